;; AdamW's update over one parameter, four values per iteration (f32x4 lanes): float32 arithmetic, as PyTorch's
;; AdamW does it on float32 tensors, in the same order as the JavaScript loop in optimizer.ts (which rounds each
;; operation with Math.fround), so the two give the same bits. Compiled by scripts/build-adamw-wasm.mjs into
;; adamwWasm.ts; test/engine/adamw-wasm.test.ts checks that the embedded bytes are this file's.
;;   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g·g;  p ← p·shrink − step·m / (√v·inv + ε)
;; p, g, m, v: byte offsets of float32 arrays in memory; n: values (a multiple of 4; the caller does the tail).
;; scatter_add: a table's gradient from its looked-up rows, out[rows[i]·w …] += vals[i·w …] for i in order (the
;; same float32 additions, in the same order, as denseRows in optimizer.ts); w: the row width, a multiple of 4.
(module
  (memory (export "memory") 0)
  (func (export "adamw")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $b1 f32) (param $b2 f32) (param $ob1 f32) (param $ob2 f32)
    (param $step f32) (param $inv f32) (param $eps f32) (param $shrink f32)
    (local $i i32) (local $o i32) (local $gj v128) (local $mj v128) (local $vj v128)
    (local $B1 v128) (local $B2 v128) (local $OB1 v128) (local $OB2 v128)
    (local $ST v128) (local $INV v128) (local $EPS v128) (local $SH v128)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $OB1 (f32x4.splat (local.get $ob1)))
    (local.set $OB2 (f32x4.splat (local.get $ob2)))
    (local.set $ST (f32x4.splat (local.get $step)))
    (local.set $INV (f32x4.splat (local.get $inv)))
    (local.set $EPS (f32x4.splat (local.get $eps)))
    (local.set $SH (f32x4.splat (local.get $shrink)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gj (v128.load (i32.add (local.get $g) (local.get $o))))
        (local.set $mj
          (f32x4.add
            (f32x4.mul (local.get $B1) (v128.load (i32.add (local.get $m) (local.get $o))))
            (f32x4.mul (local.get $OB1) (local.get $gj))))
        (local.set $vj
          (f32x4.add
            (f32x4.mul (local.get $B2) (v128.load (i32.add (local.get $v) (local.get $o))))
            (f32x4.mul (f32x4.mul (local.get $OB2) (local.get $gj)) (local.get $gj))))
        (v128.store (i32.add (local.get $m) (local.get $o)) (local.get $mj))
        (v128.store (i32.add (local.get $v) (local.get $o)) (local.get $vj))
        (v128.store (i32.add (local.get $p) (local.get $o))
            (f32x4.sub
              (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $o))) (local.get $SH))
              (f32x4.div
                (f32x4.mul (local.get $ST) (local.get $mj))
                (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vj)) (local.get $INV)) (local.get $EPS)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))
  (func (export "scatter_add")
    (param $out i32) (param $rows i32) (param $vals i32) (param $n i32) (param $w i32)
    (local $i i32) (local $wb i32) (local $dst i32) (local $src i32) (local $j i32)
    (local.set $wb (i32.shl (local.get $w) (i32.const 2)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $dst
          (i32.add (local.get $out)
            (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))) (local.get $wb))))
        (local.set $src (i32.add (local.get $vals) (i32.mul (local.get $i) (local.get $wb))))
        (local.set $j (i32.const 0))
        (block $rowdone
          (loop $col
            (br_if $rowdone (i32.ge_u (local.get $j) (local.get $wb)))
            (v128.store (i32.add (local.get $dst) (local.get $j))
              (f32x4.add
                (v128.load (i32.add (local.get $dst) (local.get $j)))
                (v128.load (i32.add (local.get $src) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $col)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row)))))
