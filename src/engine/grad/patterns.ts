// Gradients of whole subgraphs (patterns) where the node-by-node rules make more passes over memory than the
// derivative needs. The exact-erf GELU of BERT-family exports, 0.5·x·(1 + erf(x/√2)), is five elementwise nodes;
// differentiated node by node that is ten passes over the [batch, seq, 4·hidden] activation per layer (the Erf
// rule alone is five). Its derivative Φ(x) + x·φ(x) = ½·(a + √(2/π)·x·exp(−u²)), with u = x/√2 and a = 1 + erf(u)
// read from the forward pass, takes seven, with the forward pass left as exported. A graph that trains can have
// its forward written as x·Φ(x) instead (geluPhiForward, the same five nodes): then the derivative reads Φ and
// takes six. A GELU after a linear layer that the training graph rewrites (training/fuseLinear.ts) reads u = x/√2
// from that layer and is y = u·q, q = (1 + erf(u))/√2: four forward passes, and its derivative reads q and takes
// six (findScaledGelus, scaledGeluGradient).
import { readFields } from '../onnx/protobuf';
import { TENSOR_DATA_TYPE, TENSOR_DIMS, TENSOR_FLOAT_DATA, TENSOR_RAW } from '../onnx/schema';
import type { Emitter } from './emitter';
import { DT_FLOAT, type OnnxModel, type OnnxNode, encodeNode, nodeLinks, readInitializer } from './onnxModel';

/** The one float value of a constant (a Constant node's value or a one-value initializer), if it is one. */
export function scalarOf(m: OnnxModel, producers: Map<string, OnnxNode>, t: string): number | undefined {
  const n = producers.get(t);
  if (n?.opType === 'Constant') {
    const a = n.attrs.get('value');
    if (a?.f !== undefined) return a.f;
    if (!a?.t) return n.attrs.get('value_float')?.f;
    let type = 0;
    let count = 1;
    let value: number | undefined;
    for (const f of readFields(a.t)) {
      if (f.no === TENSOR_DATA_TYPE) type = f.value!;
      else if (f.no === TENSOR_DIMS) count *= f.value!;
      else if (f.no === TENSOR_RAW && f.valEnd - f.valStart === 4)
        value = new DataView(a.t.buffer, a.t.byteOffset + f.valStart, 4).getFloat32(0, true);
      else if (f.no === TENSOR_FLOAT_DATA)
        value = new DataView(a.t.buffer, a.t.byteOffset + f.valStart, 4).getFloat32(0, true); // packed or fixed32: the first value
    }
    return type === DT_FLOAT && count === 1 ? value : undefined;
  }
  const init = m.initializers.get(t);
  if (init && init.dataType === DT_FLOAT && init.dims.reduce((a, b) => a * b, 1) === 1)
    return readInitializer(m, t).data[0];
  return undefined;
}

/** One exact GELU: its input x, the forward's u = x/√2 and a = 1 + erf(u), and its nodes (the last one
 *  produces the GELU's output). */
export interface GeluPattern {
  x: string;
  u: string;
  a: string;
  nodes: OnnxNode[];
}

/** What pattern matching asks of a graph: the producer of a tensor, its one reader when it has only one and is
 *  neither a graph output nor kept, and a binary node's other operand. */
function patternLinks(m: OnnxModel, keep: (t: string) => boolean) {
  const { producers, readers } = nodeLinks(m);
  const outputs = new Set(m.outputs.map((o) => o.name));
  const single = (t: string) => {
    const r = readers.get(t) ?? [];
    return r.length === 1 && !outputs.has(t) && !keep(t) ? r[0] : undefined;
  };
  const other = (n: OnnxNode, t: string) => (n.inputs[0] === t ? n.inputs[1] : n.inputs[0]);
  return { producers, single, other };
}

/** Every exact GELU whose intermediates nothing else reads (nor the graph's outputs, nor `keep`): x/√2 (Div by
 *  √2 or Mul by 1/√2) → Erf → +1 → ·x → ·0.5, the last two Muls in either order. Keyed by the index of the node
 *  that produces the GELU's output. */
export function findGeluPatterns(m: OnnxModel, keep: (t: string) => boolean): Map<number, GeluPattern> {
  const { producers, single, other } = patternLinks(m, keep);
  const near = (v: number | undefined, want: number) => v !== undefined && Math.abs(v - want) < 1e-6;
  const found = new Map<number, GeluPattern>();
  for (const erf of m.nodes) {
    if (erf.opType !== 'Erf' || erf.domain) continue;
    const u = erf.inputs[0];
    const scale = producers.get(u);
    if (!scale || scale.domain || single(u) !== erf) continue;
    let x: string;
    if (scale.opType === 'Div' && near(scalarOf(m, producers, scale.inputs[1]), Math.SQRT2)) x = scale.inputs[0];
    else if (scale.opType === 'Mul' && near(scalarOf(m, producers, scale.inputs[1]), Math.SQRT1_2)) x = scale.inputs[0];
    else if (scale.opType === 'Mul' && near(scalarOf(m, producers, scale.inputs[0]), Math.SQRT1_2)) x = scale.inputs[1];
    else continue;
    const add = single(erf.outputs[0]);
    if (!add || add.opType !== 'Add' || add.domain || scalarOf(m, producers, other(add, erf.outputs[0])) !== 1)
      continue;
    const a = add.outputs[0];
    const mulA = single(a);
    if (!mulA || mulA.opType !== 'Mul' || mulA.domain) continue;
    const b = other(mulA, a);
    let last: OnnxNode | undefined;
    let middle: OnnxNode;
    if (b === x) {
      // 0.5 · (x · a)
      middle = mulA;
      last = single(mulA.outputs[0]);
      if (!last || last.opType !== 'Mul' || last.domain) continue;
      if (scalarOf(m, producers, other(last, mulA.outputs[0])) !== 0.5) continue;
    } else {
      // (0.5 · x) · a
      const half = producers.get(b);
      if (!half || half.opType !== 'Mul' || half.domain || single(b) !== mulA) continue;
      const hx = half.inputs[0] === x ? half.inputs[1] : half.inputs[1] === x ? half.inputs[0] : undefined;
      if (hx === undefined || scalarOf(m, producers, hx) !== 0.5) continue;
      middle = half;
      last = mulA;
    }
    if (keep(x)) continue;
    found.set(last.index, { x, u, a, nodes: [scale, erf, add, middle, last] });
  }
  return found;
}

/** dL/dx of a GELU from dL/dy: ½·gy·(a + √(2/π)·x·exp(−u²)), the constant folded into the exponent. */
export function geluGradient(e: Emitter, p: GeluPattern, gy: string): string {
  const q = e.op('Exp', [e.sub(e.f32(Math.log(Math.sqrt(2 / Math.PI))), e.mul(p.u, p.u))]);
  const t = e.add(p.a, e.mul(p.x, q));
  return e.mul(e.mul(gy, t), e.f32(0.5));
}

/** The GELU's forward as x·Φ(x), Φ(x) = ½·erf(x/√2) + ½ (the same five elementwise nodes as the export's
 *  ½·x·(1 + erf(x/√2))), written in place of the pattern's last node; the pattern's other nodes go. Its backward
 *  (geluPhiGradient) reads Φ and takes one pass fewer than geluGradient's, which needs the factor ½ at the end. */
export function geluPhiForward(e: Emitter, p: GeluPattern, y: string): { bytes: Uint8Array[]; phi: string; u: string } {
  const u = e.fresh('gelu_u');
  const erf = e.fresh('gelu_erf');
  const half = e.fresh('gelu_half_erf');
  const phi = e.fresh('gelu_phi');
  const c = (v: number) => e.f32(v);
  return {
    bytes: [
      encodeNode('Mul', [p.x, c(Math.SQRT1_2)], [u], `${u}_node`),
      encodeNode('Erf', [u], [erf], `${erf}_node`),
      encodeNode('Mul', [erf, c(0.5)], [half], `${half}_node`),
      encodeNode('Add', [half, c(0.5)], [phi], `${phi}_node`),
      encodeNode('Mul', [p.x, phi], [y], `${y}/bertlens_gelu_node`),
    ],
    phi,
    u,
  };
}

/** dL/dx of y = x·Φ(x): gy·(Φ + x·φ(x)), φ(x) = exp(−u²)/√(2π) with u = x/√2, the constant folded into the
 *  exponent. */
export function geluPhiGradient(e: Emitter, x: string, u: string, phi: string, gy: string): string {
  const q = e.op('Exp', [e.sub(e.f32(-Math.log(Math.sqrt(2 * Math.PI))), e.mul(u, u))]);
  return e.mul(gy, e.add(phi, e.mul(x, q)));
}

/** A GELU whose linear layer hands it u = x/√2 (training/fuseLinear.ts): y = u·q up to a constant factor that
 *  the next layer applies, q = s·(1 + erf(u)), written Erf(u) → ·s → +s → ·u. */
export interface ScaledGeluPattern {
  u: string;
  q: string;
  s: number;
  nodes: OnnxNode[];
}

/** Every scaled GELU whose intermediates nothing else reads (nor the graph's outputs, nor `keep`), keyed by the
 *  index of the node that produces its output. */
export function findScaledGelus(m: OnnxModel, keep: (t: string) => boolean): Map<number, ScaledGeluPattern> {
  const { producers, single, other } = patternLinks(m, keep);
  const plain = (n: OnnxNode | undefined, op: string): n is OnnxNode => !!n && n.opType === op && !n.domain;
  const found = new Map<number, ScaledGeluPattern>();
  for (const erf of m.nodes) {
    if (!plain(erf, 'Erf')) continue;
    const u = erf.inputs[0];
    const scaled = single(erf.outputs[0]);
    if (!plain(scaled, 'Mul')) continue;
    const s = scalarOf(m, producers, other(scaled, erf.outputs[0]));
    if (s === undefined || !(s > 0)) continue;
    const add = single(scaled.outputs[0]);
    if (!plain(add, 'Add') || scalarOf(m, producers, other(add, scaled.outputs[0])) !== s) continue;
    const q = add.outputs[0];
    const last = single(q);
    if (!plain(last, 'Mul') || other(last, q) !== u || keep(u)) continue;
    found.set(last.index, { u, q, s, nodes: [erf, scaled, add, last] });
  }
  return found;
}

/** dL/du of y = u·q(u): gy·(q + u·q′(u)), q′(u) = s·(2/√π)·exp(−u²). With s = √π/2, q′ is exp(−u²) and the term
 *  is u / exp(u²) (five passes); otherwise the constant is folded into the exponent (six). */
export function scaledGeluGradient(e: Emitter, p: ScaledGeluPattern, gy: string): string {
  const c = (2 * p.s) / Math.sqrt(Math.PI);
  const uu = e.mul(p.u, p.u);
  const term =
    Math.abs(c - 1) < 1e-6 ? e.div(p.u, e.op('Exp', [uu])) : e.mul(p.u, e.op('Exp', [e.sub(e.f32(Math.log(c)), uu)]));
  return e.mul(gy, e.add(p.q, term));
}
