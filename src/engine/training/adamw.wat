;; AdamW's update over one parameter, two values per iteration (f64x2 lanes): the same double-precision
;; arithmetic, in the same order, as the JavaScript loop in optimizer.ts, so the two give the same float32 bits.
;; Compiled by scripts/build-adamw-wasm.mjs into adamwWasm.ts; test/engine/adamw-wasm.test.ts checks that the
;; embedded bytes are this file's.
;;   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g·g;  p ← p·shrink − step·m / (√v·inv + ε)
;; p, g, m, v: byte offsets of float32 arrays in memory; n: values (even; the caller does an odd tail).
(module
  (memory (export "memory") 0)
  (func (export "adamw")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $b1 f64) (param $b2 f64) (param $ob1 f64) (param $ob2 f64)
    (param $step f64) (param $inv f64) (param $eps f64) (param $shrink f64)
    (local $i i32) (local $o i32) (local $gj v128) (local $mj v128) (local $vj v128)
    (local $B1 v128) (local $B2 v128) (local $OB1 v128) (local $OB2 v128)
    (local $ST v128) (local $INV v128) (local $EPS v128) (local $SH v128)
    (local.set $B1 (f64x2.splat (local.get $b1)))
    (local.set $B2 (f64x2.splat (local.get $b2)))
    (local.set $OB1 (f64x2.splat (local.get $ob1)))
    (local.set $OB2 (f64x2.splat (local.get $ob2)))
    (local.set $ST (f64x2.splat (local.get $step)))
    (local.set $INV (f64x2.splat (local.get $inv)))
    (local.set $EPS (f64x2.splat (local.get $eps)))
    (local.set $SH (f64x2.splat (local.get $shrink)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gj
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $g) (local.get $o)))))
        ;; mj = b1·m + ob1·g
        (local.set $mj
          (f64x2.add
            (f64x2.mul (local.get $B1)
              (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $m) (local.get $o)))))
            (f64x2.mul (local.get $OB1) (local.get $gj))))
        ;; vj = b2·v + (ob2·g)·g
        (local.set $vj
          (f64x2.add
            (f64x2.mul (local.get $B2)
              (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $v) (local.get $o)))))
            (f64x2.mul (f64x2.mul (local.get $OB2) (local.get $gj)) (local.get $gj))))
        (v128.store64_lane 0 (i32.add (local.get $m) (local.get $o)) (f32x4.demote_f64x2_zero (local.get $mj)))
        (v128.store64_lane 0 (i32.add (local.get $v) (local.get $o)) (f32x4.demote_f64x2_zero (local.get $vj)))
        ;; p = p·shrink − (step·mj) / (√vj·inv + eps)
        (v128.store64_lane 0 (i32.add (local.get $p) (local.get $o))
          (f32x4.demote_f64x2_zero
            (f64x2.sub
              (f64x2.mul
                (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (local.get $o))))
                (local.get $SH))
              (f64x2.div
                (f64x2.mul (local.get $ST) (local.get $mj))
                (f64x2.add (f64x2.mul (f64x2.sqrt (local.get $vj)) (local.get $INV)) (local.get $EPS))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))))
