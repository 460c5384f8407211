// Training-graph speed-up: opset-14 exports spell each LayerNorm out as nine nodes (ReduceMean, Sub, Pow,
// ReduceMean, Add ε, Sqrt, Div, Mul γ, Add β). Differentiated node by node that becomes ~40 small nodes per
// LayerNorm (broadcast reductions, shape reads, Pow(x, 1)…), and ORT cannot fuse the forward ones either because
// the backward pass reads their intermediates. One ONNX LayerNormalization node (opset 17) per pattern gives the
// gradient builder its LayerNormalization rule instead: a fused forward kernel and ~15 backward nodes.
// Only the graph that trains is rewritten; the exported model keeps the encoder's own nodes. Parameter names
// (γ, β) are unchanged, so the same weights feed either graph.
import { readFields } from '../onnx/protobuf';
import {
  DT_FLOAT,
  type OnnxModel,
  type OnnxNode,
  encodeNode,
  nodeLinks,
  parseModel,
  writeModel,
} from '../grad/onnxModel';
import { scalarOf } from '../grad/patterns';
import { TENSOR_RAW } from '../onnx/schema';

/** ReduceMean over the last axis only, keeping it (attribute axes before opset 18, an input from 18). */
function meanOverLast(m: OnnxModel, producers: Map<string, OnnxNode>, n: OnnxNode | undefined): boolean {
  if (!n || n.opType !== 'ReduceMean' || (n.attrs.get('keepdims')?.i ?? 1) !== 1) return false;
  let axes = n.attrs.get('axes')?.ints;
  if (!axes && n.inputs[1]) {
    const c = producers.get(n.inputs[1]);
    const t = c?.opType === 'Constant' ? c.attrs.get('value')?.t : undefined;
    if (t) {
      axes = [];
      for (const f of readFields(t))
        if (f.no === TENSOR_RAW)
          axes.push(Number(new DataView(t.buffer, t.byteOffset + f.valStart, 8).getBigInt64(0, true)));
    }
  }
  return !!axes && axes.length === 1 && axes[0] === -1;
}

export interface FusedGraph {
  bytes: Uint8Array;
  /** LayerNorm patterns replaced by one LayerNormalization node each. */
  fused: number;
}

/** Replaces every spelled-out LayerNorm over the last axis whose intermediates nothing else reads by one
 *  LayerNormalization node (the default-domain opset is raised to 17 when one is fused). */
export function fuseLayerNorms(bytes: Uint8Array): FusedGraph {
  const m = parseModel(bytes);
  const { producers, readers } = nodeLinks(m);
  const graphOutputs = new Set(m.outputs.map((o) => o.name));
  const only = (t: string, reader: OnnxNode) =>
    !graphOutputs.has(t) && (readers.get(t) ?? []).length === 1 && readers.get(t)![0] === reader;
  const single = (t: string) => {
    const r = readers.get(t) ?? [];
    return r.length === 1 && !graphOutputs.has(t) ? r[0] : undefined;
  };
  const other = (n: OnnxNode, t: string) => (n.inputs[0] === t ? n.inputs[1] : n.inputs[0]);
  // γ and β: 1-D float initializers, or Identity aliases of one (exporters share equal tensors that way).
  const isVector = (t: string): boolean => {
    const init = m.initializers.get(t);
    if (init) return init.dims.length === 1 && init.dataType === DT_FLOAT;
    const alias = producers.get(t);
    return alias?.opType === 'Identity' && m.initializers.has(alias.inputs[0]) && isVector(alias.inputs[0]);
  };
  const replace = new Map<number, Uint8Array | null>();
  let fused = 0;
  for (const pow of m.nodes) {
    if (pow.opType !== 'Pow' || scalarOf(m, producers, pow.inputs[1]) !== 2) continue;
    const sub = producers.get(pow.inputs[0]);
    if (!sub || sub.opType !== 'Sub') continue;
    const [x, meanT] = sub.inputs;
    const mean = producers.get(meanT);
    if (!meanOverLast(m, producers, mean) || mean!.inputs[0] !== x || !only(meanT, sub)) continue;
    const d = sub.outputs[0];
    const dReaders = readers.get(d) ?? [];
    if (graphOutputs.has(d) || dReaders.length !== 2) continue;
    const div = dReaders.find((r) => r !== pow);
    if (!div || div.opType !== 'Div' || div.inputs[0] !== d) continue;
    const varMean = single(pow.outputs[0]);
    if (!meanOverLast(m, producers, varMean) || varMean!.inputs[0] !== pow.outputs[0]) continue;
    const addEps = single(varMean!.outputs[0]);
    if (!addEps || addEps.opType !== 'Add') continue;
    const eps = scalarOf(m, producers, other(addEps, varMean!.outputs[0]));
    if (eps === undefined || !(eps > 0)) continue;
    const sqrt = single(addEps.outputs[0]);
    if (!sqrt || sqrt.opType !== 'Sqrt' || !only(sqrt.outputs[0], div) || div.inputs[1] !== sqrt.outputs[0]) continue;
    const mul = single(div.outputs[0]);
    if (!mul || mul.opType !== 'Mul') continue;
    const gamma = other(mul, div.outputs[0]);
    const addBeta = single(mul.outputs[0]);
    if (!addBeta || addBeta.opType !== 'Add') continue;
    const beta = other(addBeta, mul.outputs[0]);
    if (!isVector(gamma) || !isVector(beta)) continue;
    for (const n of [mean!, sub, pow, varMean!, addEps, sqrt, div, mul]) replace.set(n.index, null);
    replace.set(
      addBeta.index,
      encodeNode(
        'LayerNormalization',
        [x, gamma, beta],
        // Mean and 1/σ as outputs too: the backward pass reads them instead of recomputing them.
        [addBeta.outputs[0], `${addBeta.outputs[0]}/bertlens_mean`, `${addBeta.outputs[0]}/bertlens_inv_std`],
        `${addBeta.name || addBeta.outputs[0]}/bertlens_fused_layernorm`,
        [
          { name: 'axis', i: -1 },
          { name: 'epsilon', f: eps },
        ],
      ),
    );
    fused++;
  }
  if (!fused) return { bytes, fused: 0 };
  const out = writeModel(m, {
    replaceNodes: replace,
    appendNodes: [],
    appendInitializers: [],
    appendInputs: [],
    outputs: m.outputs.map((o) => bytes.subarray(o.field.start, o.field.end)),
    minOpset: 17,
  });
  return { bytes: out, fused };
}
