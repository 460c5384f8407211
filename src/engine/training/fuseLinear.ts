// Training-graph speed-up: each linear layer of an export is MatMul(x [batch, seq, k], W [k, n]) then Add(b, ·),
// and the Add is a separate pass over the [batch, seq, n] output. ORT fuses the two for inference only when x
// is 2-D. Seen as x [batch·seq, k], one Gemm(x, W, b) adds the bias while it writes the product, and the
// gradient builder's Gemm rule gives the same backward products (g·Wᵀ, xᵀ·g) and the bias gradient as a sum of
// rows. Reshapes on either side keep every other tensor as it was; parameter names do not change, so the same
// weights feed the exported graph and this one. Only the graph that trains is rewritten.
import { encodeInitializer } from '../onnx/schema';
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

export interface FusedLinears {
  bytes: Uint8Array;
  /** MatMul + bias Add pairs replaced by one Gemm each. */
  fused: number;
}

/** Dims of a float initializer, or of the initializer an Identity alias names. */
function floatDims(m: OnnxModel, producers: Map<string, OnnxNode>, t: string): number[] | undefined {
  const init = m.initializers.get(t);
  if (init) return init.dataType === DT_FLOAT ? init.dims : undefined;
  const alias = producers.get(t);
  return alias?.opType === 'Identity' && !alias.domain ? floatDims(m, producers, alias.inputs[0]) : undefined;
}

/** Replaces every MatMul by a weight matrix whose only reader is an Add of a bias vector by one Gemm between
 *  two Reshapes. */
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
  let fused = 0;
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
    const base = `${add.name || add.outputs[0]}/bertlens_linear`;
    const x2 = `${base}/x2d`;
    const g = `${base}/gemm`;
    const shape = `${base}/shape`;
    replace.set(mm.index, encodeNode('Reshape', [x, i64([-1, wd[0]])], [x2], `${base}/Reshape_in`));
    replace.set(
      add.index,
      concatBytes([
        encodeNode('Gemm', [x2, w, b], [g], `${base}/Gemm`),
        encodeNode('Shape', [x], [`${shape}/x`], `${base}/Shape`),
        encodeNode('Slice', [`${shape}/x`, i64([0]), i64([-1])], [`${shape}/lead`], `${base}/Slice`),
        encodeNode('Concat', [`${shape}/lead`, i64([wd[1]])], [shape], `${base}/Concat`, [{ name: 'axis', i: 0 }]),
        encodeNode('Reshape', [g, shape], [add.outputs[0]], `${base}/Reshape_out`),
      ]),
    );
    fused++;
  }
  if (!fused) return { bytes, fused: 0 };
  const out = writeModel(m, {
    replaceNodes: replace,
    appendNodes: [],
    appendInitializers: inits,
    appendInputs: [],
    outputs: m.outputs.map((o) => bytes.subarray(o.field.start, o.field.end)),
    minOpset: m.opset,
  });
  return { bytes: out, fused };
}
