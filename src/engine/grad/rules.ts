// Gradient rules: for one forward node and the gradients of its outputs, the nodes that compute the gradients
// of its inputs. Each rule is written with standard ONNX operators (opset 17); ranks and broadcast patterns come
// from the builder's probe run, every size that depends on the input (batch, sequence) is read at run time.
// The rules follow ORT's training gradient builders (orttraining/core/graph/gradient_builder.cc).
import { EngineError } from '../errors';
import type { Emitter } from './emitter';
import { type OnnxNode, tensorPayload } from './onnxModel';

export interface RuleContext {
  e: Emitter;
  /** Probe dims of a tensor of the forward graph. */
  dims(t: string): number[];
  /** Whether the gradient of this tensor is wanted (it is reached from a requested tensor). */
  wants(t: string): boolean;
  /** Int64 values of a constant tensor (Constant node or initializer), when it is one. */
  constInts(t: string): number[] | undefined;
  /** Model opset before the builder raised it. */
  opset: number;
  /** ONNX Runtime's com.microsoft operators may be emitted (GradientOptions.contribOps). */
  contrib?: boolean;
  /** A shared transposed copy of a Gemm's 2-D input x, when one is worth making (GradientOptions.sharedTransposes). */
  transposed?: (x: string) => string | undefined;
}

/** Gradient of each input slot (undefined where none is wanted or defined). */
export type Rule = (n: OnnxNode, g: (string | undefined)[], c: RuleContext) => (string | undefined)[];

const sameDims = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Sums `g` (shaped like the broadcast result `yDims`) down to the shape of `x`. */
export function unbroadcast(c: RuleContext, g: string, x: string, yDims: number[]): string {
  const xd = c.dims(x);
  if (sameDims(xd, yDims)) return g;
  if (xd.length === 1 && yDims.length >= 2 && xd[0] === yDims[yDims.length - 1] && xd[0] > 1)
    return sumRows(c, g, xd[0], yDims.length);
  const d = yDims.length - xd.length;
  const axes: number[] = [];
  for (let i = 0; i < d; i++) axes.push(i);
  xd.forEach((n, i) => {
    if (n === 1 && yDims[i + d] !== 1) axes.push(i + d);
  });
  let r = axes.length ? c.e.reduceSum(g, axes, true) : g;
  if (d !== 0) r = c.e.reshape(r, c.e.shape(x));
  return r;
}

/** The gradient of a vector broadcast along the last axis (a bias): `g` summed over all its other axes, as a
 *  vector of ones times `g` seen as a matrix [rows, n]. On ORT's CPU provider that product is 2-4× faster than a
 *  ReduceSum over the leading axes (which also stalls when the machine is loaded), and a bias gradient is
 *  taken ~10 times per encoder layer. The ones are 1-D, so the product is the bias's shape [n] itself (MatMul
 *  drops a 1-D operand's axis), and a `g` that is a matrix already (a linear layer run as a Gemm) is not
 *  reshaped: four nodes. */
function sumRows(c: RuleContext, g: string, n: number, rank: number): string {
  const e = c.e;
  const g2 = rank === 2 ? g : e.reshape(g, e.i64([-1, n]));
  const rows = e.op('Slice', [e.shape(g2), e.i64([0]), e.i64([1])]);
  const ones = e.op(
    'ConstantOfShape',
    [rows],
    [{ name: 'value', t: tensorPayload('value', [1], Float32Array.from([1])) }],
  );
  return e.op('MatMul', [ones, g2]);
}

/** A product with a transposed operand as one FusedMatMul (transA/transB), when contrib operators are allowed and
 *  both operands have the same rank: no Transpose node. Where the operand is itself a Transpose of the forward pass
 *  (attention's heads), ORT would otherwise merge the two Transposes into a new one, a full copy per use. */
const fused = (c: RuleContext, ad: number[], bd: number[]) => !!c.contrib && ad.length === bd.length;

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
const swapLast = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
const attrI = (n: OnnxNode, name: string, dflt: number) => n.attrs.get(name)?.i ?? dflt;
const attrF = (n: OnnxNode, name: string, dflt: number) => n.attrs.get(name)?.f ?? dflt;

function unsupported(n: OnnxNode, why: string): never {
  throw new EngineError(
    'grad-unsupported-op',
    `No gradient rule for the ONNX operator ${n.opType} (node "${n.name}") ${why}.`,
    'Use a standard (unoptimised) BERT-family export, e.g. onnx/model.onnx from the same repository.',
  );
}

const elementwise =
  (f: (n: OnnxNode, gy: string, c: RuleContext) => string): Rule =>
  (n, g, c) => [c.wants(n.inputs[0]) ? f(n, g[0]!, c) : undefined];

export const RULES: Record<string, Rule> = {
  Identity: (_n, g) => [g[0]],
  Dropout: (_n, g) => [g[0]],
  Add: (n, g, c) => {
    const yd = c.dims(n.outputs[0]);
    return n.inputs.map((x) => (c.wants(x) ? unbroadcast(c, g[0]!, x, yd) : undefined));
  },
  Sum: (n, g, c) => {
    const yd = c.dims(n.outputs[0]);
    return n.inputs.map((x) => (c.wants(x) ? unbroadcast(c, g[0]!, x, yd) : undefined));
  },
  Sub: (n, g, c) => {
    const yd = c.dims(n.outputs[0]);
    const [a, b] = n.inputs;
    return [
      c.wants(a) ? unbroadcast(c, g[0]!, a, yd) : undefined,
      c.wants(b) ? unbroadcast(c, c.e.neg(g[0]!), b, yd) : undefined,
    ];
  },
  Mul: (n, g, c) => {
    const yd = c.dims(n.outputs[0]);
    const [a, b] = n.inputs;
    return [
      c.wants(a) ? unbroadcast(c, c.e.mul(g[0]!, b), a, yd) : undefined,
      c.wants(b) ? unbroadcast(c, c.e.mul(g[0]!, a), b, yd) : undefined,
    ];
  },
  Div: (n, g, c) => {
    const yd = c.dims(n.outputs[0]);
    const [a, b] = n.inputs;
    return [
      c.wants(a) ? unbroadcast(c, c.e.div(g[0]!, b), a, yd) : undefined,
      c.wants(b) ? unbroadcast(c, c.e.neg(c.e.div(c.e.mul(g[0]!, n.outputs[0]), b)), b, yd) : undefined,
    ];
  },
  Pow: (n, g, c) => {
    const [a, p] = n.inputs;
    if (c.wants(p)) unsupported(n, 'with respect to its exponent');
    if (!c.wants(a)) return [undefined, undefined];
    const yd = c.dims(n.outputs[0]);
    const e = c.e;
    const pf = e.castFloat(p);
    const d = e.mul(pf, e.op('Pow', [a, e.sub(pf, e.f32(1))]));
    return [unbroadcast(c, e.mul(g[0]!, d), a, yd), undefined];
  },
  Sqrt: elementwise((n, gy, c) => c.e.div(c.e.mul(gy, c.e.f32(0.5)), n.outputs[0])),
  Neg: elementwise((_n, gy, c) => c.e.neg(gy)),
  Exp: elementwise((n, gy, c) => c.e.mul(gy, n.outputs[0])),
  Log: elementwise((n, gy, c) => c.e.div(gy, n.inputs[0])),
  Reciprocal: elementwise((n, gy, c) => c.e.neg(c.e.mul(gy, c.e.mul(n.outputs[0], n.outputs[0])))),
  Tanh: elementwise((n, gy, c) => c.e.sub(gy, c.e.mul(gy, c.e.mul(n.outputs[0], n.outputs[0])))),
  Sigmoid: elementwise((n, gy, c) => {
    const y = n.outputs[0];
    return c.e.mul(gy, c.e.mul(y, c.e.sub(c.e.f32(1), y)));
  }),
  Relu: elementwise((n, gy, c) => c.e.mul(gy, c.e.castFloat(c.e.op('Greater', [n.inputs[0], c.e.f32(0)])))),
  Erf: elementwise((n, gy, c) => {
    const x = n.inputs[0];
    const e = c.e;
    return e.mul(gy, e.mul(e.f32(2 / Math.sqrt(Math.PI)), e.op('Exp', [e.neg(e.mul(x, x))])));
  }),
  Cast: (n, g, c) => [c.wants(n.inputs[0]) ? c.e.castFloat(g[0]!) : undefined],
  Reshape: (n, g, c) => [c.wants(n.inputs[0]) ? c.e.reshape(g[0]!, c.e.shape(n.inputs[0])) : undefined],
  Flatten: (n, g, c) => [c.wants(n.inputs[0]) ? c.e.reshape(g[0]!, c.e.shape(n.inputs[0])) : undefined],
  Squeeze: (n, g, c) => [c.wants(n.inputs[0]) ? c.e.reshape(g[0]!, c.e.shape(n.inputs[0])) : undefined],
  Unsqueeze: (n, g, c) => [c.wants(n.inputs[0]) ? c.e.reshape(g[0]!, c.e.shape(n.inputs[0])) : undefined],
  Expand: (n, g, c) => [c.wants(n.inputs[0]) ? unbroadcast(c, g[0]!, n.inputs[0], c.dims(n.outputs[0])) : undefined],
  Transpose: (n, g, c) => {
    if (!c.wants(n.inputs[0])) return [];
    const rank = c.dims(n.inputs[0]).length;
    const perm = n.attrs.get('perm')?.ints ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inv = new Array<number>(rank);
    perm.forEach((p, i) => (inv[p] = i));
    return [c.e.transpose(g[0]!, inv)];
  },
  Softmax: (n, g, c) => {
    if (!c.wants(n.inputs[0])) return [];
    const rank = c.dims(n.inputs[0]).length;
    const axis = norm(attrI(n, 'axis', c.opset >= 13 ? -1 : 1), rank);
    if (c.opset < 13 && axis !== rank - 1) unsupported(n, 'over a non-last axis before opset 13');
    const y = n.outputs[0];
    const e = c.e;
    const s = e.reduceSum(e.mul(g[0]!, y), [axis], true);
    return [e.mul(y, e.sub(g[0]!, s))];
  },
  LogSoftmax: (n, g, c) => {
    if (!c.wants(n.inputs[0])) return [];
    const rank = c.dims(n.inputs[0]).length;
    const axis = norm(attrI(n, 'axis', c.opset >= 13 ? -1 : 1), rank);
    if (c.opset < 13 && axis !== rank - 1) unsupported(n, 'over a non-last axis before opset 13');
    const e = c.e;
    const s = e.reduceSum(g[0]!, [axis], true);
    return [e.sub(g[0]!, e.mul(e.op('Exp', [n.outputs[0]]), s))];
  },
  ReduceMean: (n, g, c) => reduceRule(n, g, c, true),
  ReduceSum: (n, g, c) => reduceRule(n, g, c, false),
  MatMul: (n, g, c) => {
    const [a, b] = n.inputs;
    const ad = c.dims(a);
    const bd = c.dims(b);
    const yd = c.dims(n.outputs[0]);
    if (ad.length < 2 || bd.length < 2) unsupported(n, 'with a 1-D operand');
    const e = c.e;
    const out: (string | undefined)[] = [undefined, undefined];
    if (c.wants(a) && bd.length === 2 && ad.length === yd.length) {
      // A weight matrix: g·Bᵀ as one Gemm with transB, never Transpose(B). ORT constant-folds a Transpose of an
      // initializer into a transposed private copy of every weight (+440 MiB for a BERT-base backward graph).
      const g2 = e.reshape(g[0]!, e.i64([-1, bd[1]]));
      out[0] = e.reshape(e.op('Gemm', [g2, b], [{ name: 'transB', i: 1 }]), e.shape(a));
    } else if (c.wants(a)) {
      const t = fused(c, ad, bd)
        ? e.msOp('FusedMatMul', [g[0]!, b], [{ name: 'transB', i: 1 }])
        : e.op('MatMul', [g[0]!, e.transpose(b, swapLast(bd.length))]);
      out[0] = unbroadcast(c, t, a, [...yd.slice(0, -2), ad[ad.length - 2], ad[ad.length - 1]]);
    }
    if (c.wants(b)) {
      if (bd.length === 2 && ad.length > 2) {
        // Weight of a batched product: fold the batch axes into the rows, one 2-D product.
        const a2 = e.reshape(a, e.i64([-1, bd[0]]));
        const g2 = e.reshape(g[0]!, e.i64([-1, bd[1]]));
        out[1] = e.op('MatMul', [e.transpose(a2, [1, 0]), g2]);
      } else {
        const t = fused(c, ad, bd)
          ? e.msOp('FusedMatMul', [a, g[0]!], [{ name: 'transA', i: 1 }])
          : e.op('MatMul', [e.transpose(a, swapLast(ad.length)), g[0]!]);
        out[1] = unbroadcast(c, t, b, [...yd.slice(0, -2), bd[bd.length - 2], bd[bd.length - 1]]);
      }
    }
    return out;
  },
  Gemm: (n, g, c) => {
    const [a, b, cc] = n.inputs;
    const alpha = attrF(n, 'alpha', 1);
    const beta = attrF(n, 'beta', 1);
    const tA = attrI(n, 'transA', 0);
    const tB = attrI(n, 'transB', 0);
    const gy = g[0]!;
    const e = c.e;
    const gemm = (x: string, y: string, ta: number, tb: number) =>
      e.op(
        'Gemm',
        [x, y],
        [
          { name: 'alpha', f: alpha },
          { name: 'transA', i: ta },
          { name: 'transB', i: tb },
        ],
      );
    const out: (string | undefined)[] = [undefined, undefined, undefined];
    if (c.wants(a)) out[0] = tA ? (tB ? gemm(b, gy, 1, 1) : gemm(b, gy, 0, 1)) : gemm(gy, b, 0, tB ? 0 : 1);
    const at = !tA && !tB && c.wants(b) ? c.transposed?.(a) : undefined;
    if (c.wants(b)) out[1] = at ? gemm(at, gy, 0, 0) : tB ? gemm(gy, a, 1, tA) : gemm(a, gy, tA ? 0 : 1, 0);
    if (cc && c.wants(cc)) out[2] = unbroadcast(c, beta === 1 ? gy : e.mul(gy, e.f32(beta)), cc, c.dims(n.outputs[0]));
    return out;
  },
  Where: (n, g, c) => {
    const [cond, x, y] = n.inputs;
    const yd = c.dims(n.outputs[0]);
    const e = c.e;
    const zero = e.f32(0);
    return [
      undefined,
      c.wants(x) ? unbroadcast(c, e.op('Where', [cond, g[0]!, zero]), x, yd) : undefined,
      c.wants(y) ? unbroadcast(c, e.op('Where', [cond, zero, g[0]!]), y, yd) : undefined,
    ];
  },
  Gather: (n, g, c) => {
    const [data, idx] = n.inputs;
    if (!c.wants(data)) return [];
    const e = c.e;
    const dd = c.dims(data);
    const r = dd.length;
    const axis = norm(attrI(n, 'axis', 0), r);
    let q = c.dims(idx).length;
    let gy = g[0]!;
    let ix = idx;
    if (q === 0) {
      ix = e.reshape(idx, e.i64([1]));
      gy = e.unsqueeze(gy, [axis]);
      q = 1;
    }
    // Negative indices count from the end of the axis.
    const len = e.op('Gather', [e.shape(data), e.i64([axis], true)]);
    ix = e.op('Where', [e.op('Less', [ix, e.i64([0], true)]), e.add(ix, len), ix]);
    if (axis === 0 && r === 2 && dd[0] <= 16) {
      // A table of a few rows (token types): one-hot(indices)ᵀ · gradient rows, one small product — cheaper than
      // a sequential scatter of every token's row, and as reproducible.
      const width = e.op('Slice', [e.shape(data), e.i64([1]), e.i64([2])]);
      const g2 = e.reshape(gy, e.op('Concat', [e.i64([-1]), width], [{ name: 'axis', i: 0 }]));
      const depth = e.op('Gather', [e.shape(data), e.i64([0], true)]);
      const hot = e.op('OneHot', [e.reshape(ix, e.i64([-1])), depth, e.f32(0, 1)], [{ name: 'axis', i: -1 }]);
      return [e.op('Gemm', [hot, g2], [{ name: 'transA', i: 1 }])];
    }
    if (axis === 0 && r === 2) {
      // An embedding table [rows, width]: the gradient rows added into their table rows with ScatterElements,
      // which ORT's CPU provider runs in one sequential loop. ScatterND (below) splits the updates between
      // threads with no care for repeated indices, so rows that several tokens share (token type 0, [CLS],
      // [PAD]) lose additions at random once a batch is large enough to be split: wrong and irreproducible.
      const width = e.op('Slice', [e.shape(data), e.i64([1]), e.i64([2])]);
      const g2 = e.reshape(gy, e.op('Concat', [e.i64([-1]), width], [{ name: 'axis', i: 0 }]));
      const rows = e.op('Expand', [e.reshape(ix, e.i64([-1, 1])), e.shape(g2)]);
      return [
        e.op(
          'ScatterElements',
          [e.zerosLike(data), rows, g2],
          [
            { name: 'axis', i: 0 },
            { name: 'reduction', s: 'add' },
          ],
        ),
      ];
    }
    const indices = e.unsqueeze(ix, [-1]);
    if (axis === 0) {
      return [e.op('ScatterND', [e.zerosLike(data), indices, gy], [{ name: 'reduction', s: 'add' }])];
    }
    // Move the gathered axis to the front, scatter-add the rows, move it back.
    const p = [axis, ...Array.from({ length: r }, (_, i) => i).filter((i) => i !== axis)];
    const inv = new Array<number>(r);
    p.forEach((v, i) => (inv[v] = i));
    const gr = c.dims(n.outputs[0]).length + (c.dims(idx).length === 0 ? 1 : 0);
    const gp = [
      ...Array.from({ length: q }, (_, i) => axis + i),
      ...Array.from({ length: gr }, (_, i) => i).filter((i) => i < axis || i >= axis + q),
    ];
    const zshape = e.op('Gather', [e.shape(data), e.i64(p)]);
    const zeros = e.op('ConstantOfShape', [zshape]);
    const s = e.op('ScatterND', [zeros, indices, e.transpose(gy, gp)], [{ name: 'reduction', s: 'add' }]);
    return [e.transpose(s, inv)];
  },
  Concat: (n, g, c) => {
    const e = c.e;
    const rank = c.dims(n.outputs[0]).length;
    const axis = norm(attrI(n, 'axis', 0), rank);
    const out: (string | undefined)[] = [];
    let start = e.i64([0]);
    n.inputs.forEach((x, i) => {
      const len = e.op('Slice', [e.shape(x), e.i64([axis]), e.i64([axis + 1])]);
      const end = e.add(start, len);
      out[i] = c.wants(x) ? e.op('Slice', [g[0]!, start, end, e.i64([axis])]) : undefined;
      start = end;
    });
    return out;
  },
  Split: (n, g, c) => {
    if (!c.wants(n.inputs[0])) return [];
    const e = c.e;
    const rank = c.dims(n.inputs[0]).length;
    const axis = norm(attrI(n, 'axis', 0), rank);
    const parts = n.outputs.map((o, i) => g[i] ?? e.zerosLike(o));
    return [e.op('Concat', parts, [{ name: 'axis', i: axis }])];
  },
  Slice: (n, g, c) => {
    const [data, starts, ends, axesT, stepsT] = n.inputs;
    if (!c.wants(data)) return [];
    if (c.opset < 10) unsupported(n, 'with attribute-style starts and ends (opset < 10)');
    const e = c.e;
    const rank = c.dims(data).length;
    const k = c.dims(starts)[0];
    if (stepsT) {
      const steps = c.constInts(stepsT);
      if (!steps || steps.some((s) => s !== 1)) unsupported(n, 'with steps other than 1');
    }
    let axes = Array.from({ length: k }, (_, i) => i);
    if (axesT) {
      const a = c.constInts(axesT);
      if (!a) unsupported(n, 'with axes computed at run time');
      axes = a.map((x) => norm(x, rank));
    }
    // Pad the gradient back: the first kept index before, what follows the last kept index after. The kept
    // indices come from slicing a range with the node's own starts and ends, so clamping follows ORT's rules.
    const begins: string[] = Array.from({ length: rank }, () => e.i64([0]));
    const endsP: string[] = Array.from({ length: rank }, () => e.i64([0]));
    axes.forEach((ax, j) => {
      const dim = e.op('Gather', [e.shape(data), e.i64([ax], true)]);
      const range = e.op('Range', [e.i64([0], true), dim, e.i64([1], true)]);
      const kept = e.op('Slice', [
        range,
        e.op('Gather', [starts, e.i64([j])]),
        e.op('Gather', [ends, e.i64([j])]),
        e.i64([0]),
      ]);
      const first = e.op('ReduceMin', [kept], [{ name: 'keepdims', i: 1 }]);
      const last = e.op('ReduceMax', [kept], [{ name: 'keepdims', i: 1 }]);
      begins[ax] = first;
      endsP[ax] = e.sub(e.sub(e.unsqueeze(dim, [0]), last), e.i64([1]));
    });
    const pads = e.op('Concat', [...begins, ...endsP], [{ name: 'axis', i: 0 }]);
    return [e.op('Pad', [g[0]!, pads])];
  },
  LayerNormalization: (n, g, c) => {
    const [x, scale, bias] = n.inputs;
    const e = c.e;
    const xd = c.dims(x);
    const rank = xd.length;
    const axis = norm(attrI(n, 'axis', -1), rank);
    const eps = attrF(n, 'epsilon', 1e-5);
    const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
    const yd = c.dims(n.outputs[0]);
    const gy = g[0]!;
    if (g.slice(1).some((t) => t !== undefined)) unsupported(n, 'through its Mean/InvStdDev outputs');
    let rstd: string;
    let xhat: string;
    if (n.outputs[1] && n.outputs[2]) {
      // The forward pass's own mean and 1/σ (optional outputs): two passes fewer than recomputing them.
      rstd = n.outputs[2];
      xhat = e.mul(e.sub(x, n.outputs[1]), rstd);
    } else {
      const mu = e.reduceMean(x, axes, true);
      const xc = e.sub(x, mu);
      const variance = e.reduceMean(e.mul(xc, xc), axes, true);
      rstd = e.op('Reciprocal', [e.op('Sqrt', [e.add(variance, e.f32(eps))])]);
      xhat = e.mul(xc, rstd);
    }
    const out: (string | undefined)[] = [undefined, undefined, undefined];
    if (c.wants(scale)) out[1] = unbroadcast(c, e.mul(gy, xhat), scale, yd);
    if (bias && c.wants(bias)) out[2] = unbroadcast(c, gy, bias, yd);
    if (c.wants(x)) {
      const dxhat = e.mul(gy, scale);
      const m1 = e.reduceMean(dxhat, axes, true);
      const m2 = e.reduceMean(e.mul(dxhat, xhat), axes, true);
      out[0] = e.mul(rstd, e.sub(e.sub(dxhat, m1), e.mul(xhat, m2)));
    }
    return out;
  },
};

function reduceRule(n: OnnxNode, g: (string | undefined)[], c: RuleContext, mean: boolean): (string | undefined)[] {
  const x = n.inputs[0];
  if (!c.wants(x)) return [];
  const e = c.e;
  const rank = c.dims(x).length;
  const keep = attrI(n, 'keepdims', 1);
  let gy = g[0]!;
  if (!keep) {
    let axes = n.attrs.get('axes')?.ints;
    if (!axes && n.inputs[1]) axes = c.constInts(n.inputs[1]);
    if (!axes) {
      if (n.inputs[1]) unsupported(n, 'with axes computed at run time and keepdims=0');
      axes = Array.from({ length: rank }, (_, i) => i);
    }
    gy = e.unsqueeze(
      gy,
      axes.map((a) => norm(a, rank)).sort((a, b) => a - b),
    );
  }
  let dx = e.op('Expand', [gy, e.shape(x)]);
  if (mean) {
    const ratio = e.div(e.castFloat(e.op('Size', [n.outputs[0]])), e.castFloat(e.op('Size', [x])));
    dx = e.mul(dx, ratio);
  }
  return [dx];
}

/** Input slots through which values (not shapes, indices or masks) flow, for operators with a rule. */
export const DIFFERENTIABLE_SLOTS: Record<string, number[]> = {
  Gather: [0],
  Reshape: [0],
  Expand: [0],
  Slice: [0],
  Squeeze: [0],
  Unsqueeze: [0],
  Split: [0],
  Where: [1, 2],
  Cast: [0],
  Flatten: [0],
  Dropout: [0],
  ReduceMean: [0],
  ReduceSum: [0],
  Pow: [0, 1],
  Transpose: [0],
};

/** Operators whose outputs carry no gradient whatever their inputs (comparisons, shapes, index math…). */
export const NON_DIFFERENTIABLE = new Set([
  'Shape',
  'Size',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
  'ArgMax',
  'ArgMin',
  'NonZero',
  'ConstantOfShape',
  'Range',
  'Constant',
  'OneHot',
  'TopK',
  'EyeLike',
  'RandomNormalLike',
  'RandomUniformLike',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'CumSum',
  'Trilu',
]);
