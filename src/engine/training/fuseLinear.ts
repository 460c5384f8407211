// Training-graph speed-up: each linear layer of an export is MatMul(x [batch, seq, k], W [k, n]) then Add(b, ·).
// Seen as x [batch·seq, k], the product is one Gemm(x, W) between two Reshapes, and the gradient builder's Gemm
// rule gives the backward products (g·Wᵀ, xᵀ·g) straight, with the bias gradient a sum of rows. The bias stays a
// separate Add: ORT's Gemm adds a bias by first copying it into every output row on one thread, then
// accumulating the product onto that copy, which cost ~1 ms more than a threaded Add for the [2048, 1024]
// intermediate activation (ORT's per-node profile, embedded model, batch 16 × 128).
//
// A linear layer whose only reader is an exact GELU, ½·h·(1 + erf(h/√2)), computes u = h/√2 instead: the Gemm's
// alpha and a bias scaled by 1/√2 (a vector, so that ORT does not fold the scale of its gradient into the row sum
// and make it a slow FusedMatMul). The GELU is then y = u·q with q = (1 + erf(u))/√2: four elementwise passes
// instead of five, and its gradient (patterns.ts, scaledGeluGradient) reads q as the x·Φ(x) form reads Φ. When
// the GELU feeds another linear layer, q is (1 + erf(u))·√π/2 and that layer's alpha applies the rest, √(2/π):
// then q′(u) = exp(−u²), and the gradient takes one pass fewer again.
//
// Parameter names do not change, so the same weights feed the exported graph and this one. Only the graph that
// trains is rewritten.
import { encodeInitializer, tensorPayload } from '../onnx/schema';
import {
  DT_FLOAT,
  type OnnxModel,
  type OnnxNode,
  encodeNode,
  nodeLinks,
  parseModel,
  writeModel,
} from '../grad/onnxModel';
import { concatBytes } from '../onnx/protobuf';
import { type GeluPattern, findGeluPatterns } from '../grad/patterns';

export interface FusedLinears {
  bytes: Uint8Array;
  /** MatMul + bias Add pairs whose product became a Gemm. */
  fused: number;
  /** Exact GELUs whose 1/√2 the linear layer before them now applies. */
  scaledGelus: number;
}

/** Dims of a float initializer, or of the initializer an Identity alias names. */
function floatDims(m: OnnxModel, producers: Map<string, OnnxNode>, t: string): number[] | undefined {
  const init = m.initializers.get(t);
  if (init) return init.dataType === DT_FLOAT ? init.dims : undefined;
  const alias = producers.get(t);
  return alias?.opType === 'Identity' && !alias.domain ? floatDims(m, producers, alias.inputs[0]) : undefined;
}

/** Replaces every MatMul by a weight matrix whose only reader is an Add of a bias vector by a Gemm and a 2-D bias
 *  Add between two Reshapes; a GELU after such a layer reads u = h/√2 from it. */
export function fuseLinears(bytes: Uint8Array): FusedLinears {
  const m = parseModel(bytes);
  const { producers, readers } = nodeLinks(m);
  const graphOutputs = new Set(m.outputs.map((o) => o.name));
  const replace = new Map<number, Uint8Array | null>();
  const inits: Uint8Array[] = [];
  const consts = new Map<string, string>();
  const i64 = (values: number[]) => {
    const key = values.join(',');
    let name = consts.get(key);
    if (!name) {
      name = `bertlens_linear/const_${consts.size}`;
      consts.set(key, name);
      inits.push(encodeInitializer(name, [values.length], BigInt64Array.from(values.map(BigInt))));
    }
    return name;
  };
  // Constants as Constant nodes, not initializers: nothing takes them for parameters.
  const constant = (name: string, dims: number[], values: Float32Array) =>
    encodeNode('Constant', [], [name], `${name}_node`, [{ name: 'value', t: tensorPayload('value', dims, values) }]);
  // The linear layers: a MatMul by a weight matrix whose only reader adds a bias vector.
  interface Linear {
    mm: OnnxNode;
    add: OnnxNode;
    x: string;
    w: string;
    b: string;
    k: number;
    n: number;
  }
  const linears: Linear[] = [];
  for (const mm of m.nodes) {
    if (mm.opType !== 'MatMul' || mm.domain) continue;
    const [x, w] = mm.inputs;
    const wd = floatDims(m, producers, w);
    if (!wd || wd.length !== 2) continue;
    const y = mm.outputs[0];
    const r = readers.get(y) ?? [];
    if (graphOutputs.has(y) || r.length !== 1 || r[0].opType !== 'Add' || r[0].domain) continue;
    const add = r[0];
    const b = add.inputs[0] === y ? add.inputs[1] : add.inputs[0];
    const bd = floatDims(m, producers, b);
    if (!bd || bd.length !== 1 || bd[0] !== wd[1] || add.inputs[0] === add.inputs[1]) continue;
    linears.push({ mm, add, x, w, b, k: wd[0], n: wd[1] });
  }
  const byOutput = new Map(linears.map((l) => [l.add.outputs[0], l]));
  const byMatMul = new Map(linears.map((l) => [l.mm.index, l]));
  // Exact GELUs whose input h comes from a linear layer and feeds nothing else. Each is rewritten as y = u·q,
  // q = s·(1 + erf(u)), with s = 1/√2; or, when the GELU's only reader is another linear layer, y/c with
  // s = √π/2 and c = √(2/π) moved into that layer's alpha, so that the derivative of q is exp(−u²) and the
  // backward takes one pass fewer.
  const gelus = new Map<string, { p: GeluPattern; s: number }>();
  const alphaOf = new Map<number, number>();
  for (const p of findGeluPatterns(m, (t) => graphOutputs.has(t)).values()) {
    const inner = new Set(p.nodes.map((n) => n.index));
    if (!byOutput.has(p.x) || !(readers.get(p.x) ?? []).every((n) => inner.has(n.index))) continue;
    const y = p.nodes[p.nodes.length - 1].outputs[0];
    const next = readers.get(y) ?? [];
    const fold = !graphOutputs.has(y) && next.length === 1 && byMatMul.get(next[0].index)?.x === y;
    if (fold) alphaOf.set(next[0].index, Math.sqrt(2 / Math.PI));
    gelus.set(p.x, { p, s: fold ? Math.sqrt(Math.PI) / 2 : Math.SQRT1_2 });
  }
  let scaledGelus = 0;
  // One 2-D view of an input that several layers read (the query, key and value layers'), so that the gradient
  // builder can share what it derives from it (GradientOptions.sharedTransposes).
  const views = new Map<string, string>();
  for (const { mm, add, x, w, b, k, n } of linears) {
    const base = `${add.name || add.outputs[0]}/bertlens_linear`;
    const key = `${x}\u0000${k}`;
    const x2 = views.get(key) ?? `${base}/x2d`;
    const g = `${base}/gemm`;
    const gb = `${base}/gemm_bias`;
    const shape = `${base}/shape`;
    const h = add.outputs[0];
    const gelu = gelus.get(h);
    let alpha = alphaOf.get(mm.index) ?? 1;
    let bias = b;
    const scale: Uint8Array[] = [];
    if (gelu) {
      // u = h/√2 = (1/√2)·x·W + b/√2, then y = u·q.
      alpha *= Math.SQRT1_2;
      const r2n = `${base}/sqrt1_2x${n}`;
      bias = `${base}/bias_sqrt1_2`;
      scale.push(
        constant(r2n, [n], new Float32Array(n).fill(Math.SQRT1_2)),
        encodeNode('Mul', [b, r2n], [bias], `${base}/bias_scale`),
      );
      const last = gelu.p.nodes[gelu.p.nodes.length - 1];
      const out = last.outputs[0];
      const t = (s: string) => `${out}/bertlens_gelu/${s}`;
      for (const node of gelu.p.nodes) replace.set(node.index, null);
      replace.set(
        last.index,
        concatBytes([
          constant(t('s'), [], Float32Array.of(gelu.s)),
          encodeNode('Erf', [h], [t('erf')], `${t('erf')}_node`),
          encodeNode('Mul', [t('erf'), t('s')], [t('erf_scaled')], `${t('erf_scaled')}_node`),
          encodeNode('Add', [t('erf_scaled'), t('s')], [t('q')], `${t('q')}_node`),
          encodeNode('Mul', [h, t('q')], [out], `${out}/bertlens_gelu_node`),
        ]),
      );
      scaledGelus++;
    }
    if (views.has(key)) replace.set(mm.index, null);
    else {
      views.set(key, x2);
      replace.set(mm.index, encodeNode('Reshape', [x, i64([-1, k])], [x2], `${base}/Reshape_in`));
    }
    replace.set(
      add.index,
      concatBytes([
        encodeNode('Gemm', [x2, w], [g], `${base}/Gemm`, alpha !== 1 ? [{ name: 'alpha', f: alpha }] : []),
        ...scale,
        encodeNode('Add', [g, bias], [gb], `${base}/Add`),
        encodeNode('Shape', [x], [`${shape}/x`], `${base}/Shape`),
        encodeNode('Slice', [`${shape}/x`, i64([0]), i64([-1])], [`${shape}/lead`], `${base}/Slice`),
        encodeNode('Concat', [`${shape}/lead`, i64([n])], [shape], `${base}/Concat`, [{ name: 'axis', i: 0 }]),
        encodeNode('Reshape', [gb, shape], [h], `${base}/Reshape_out`),
      ]),
    );
  }
  const fused = linears.length;
  if (!fused) return { bytes, fused: 0, scaledGelus: 0 };
  const out = writeModel(m, {
    replaceNodes: replace,
    appendNodes: [],
    appendInitializers: inits,
    appendInputs: [],
    outputs: m.outputs.map((o) => bytes.subarray(o.field.start, o.field.end)),
    minOpset: m.opset,
  });
  return { bytes: out, fused, scaledGelus };
}
