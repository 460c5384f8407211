// Attention rollout as a small ONNX graph, run by ONNX Runtime: the same arithmetic as `rolloutOf` (0.5·A + 0.5·I
// per layer, rows renormalised, multiplied from the first layer up), in float32 MatMuls. At BERT-base size
// (12 layers, ~110 tokens) the JavaScript loop took ~18 ms of an attention call whose raw session run takes ~75 ms;
// MLAS does the 12 products in about a millisecond. One session per layer count, opened on first use and kept
// for the process (a few hundred bytes of graph, no weights).
import { concatBytes, lenField, stringField, varintField } from '../onnx/protobuf';
import {
  DT_FLOAT,
  MODEL_GRAPH,
  MODEL_IR_VERSION,
  MODEL_OPSET,
  OPSET_DOMAIN,
  OPSET_VERSION,
  encodeInitializer,
  encodeNode,
  encodeValueInfo,
} from '../onnx/schema';
import { type RuntimeSession, openSession } from '../runtime';

const INPUT = 'head_mean';
const OUTPUT = 'rollout';

/** The ModelProto: input `head_mean` [layers, n, n] (float32, n dynamic), output `rollout` [n, n]. Opset 13. */
export function rolloutModel(layers: number): Uint8Array {
  const nodes: Uint8Array[] = [];
  const node = (op: string, inputs: string[], outputs: string[], attrs: Parameters<typeof encodeNode>[4] = []) =>
    nodes.push(encodeNode(op, inputs, outputs, `${op}_${nodes.length}`, attrs));
  // Â = (0.5·A + 0.5·I) / rowsum, for every layer at once.
  node('Gather', [INPUT, 'zero'], ['first'], [{ name: 'axis', i: 0 }]);
  node('EyeLike', ['first'], ['eye']);
  node('Mul', [INPUT, 'half'], ['half_a']);
  node('Mul', ['eye', 'half'], ['half_eye']);
  node('Add', ['half_a', 'half_eye'], ['aug']);
  node('ReduceSum', ['aug', 'last_axis'], ['row_sum'], [{ name: 'keepdims', i: 1 }]);
  node('Div', ['aug', 'row_sum'], ['norm']);
  const layer = (l: number) => `norm_${l}`;
  if (layers === 1) node('Identity', ['norm'], [layer(0)]);
  else
    node(
      'Split',
      ['norm'],
      Array.from({ length: layers }, (_, l) => layer(l)),
      [{ name: 'axis', i: 0 }],
    );
  // acc ← Â_l · acc, from layer 0 (acc starts as I, so the first product is Â_0 itself).
  let acc = layer(0);
  for (let l = 1; l < layers; l++) {
    node('MatMul', [layer(l), acc], [`acc_${l}`]);
    acc = `acc_${l}`;
  }
  node('Squeeze', [acc, 'zero_axes'], [OUTPUT]);
  const graph = concatBytes([
    ...nodes,
    stringField(2, 'bert_lens_rollout'), // GraphProto.name
    encodeInitializer('zero', [], BigInt64Array.from([0n])),
    encodeInitializer('zero_axes', [1], BigInt64Array.from([0n])),
    encodeInitializer('last_axis', [1], BigInt64Array.from([-1n])),
    encodeInitializer('half', [], Float32Array.from([0.5])),
    encodeValueInfo('input', INPUT, DT_FLOAT, [layers, 'n', 'n']),
    encodeValueInfo('output', OUTPUT, DT_FLOAT, ['n', 'n']),
  ]);
  return concatBytes([
    varintField(MODEL_IR_VERSION, 7),
    lenField(MODEL_GRAPH, graph),
    lenField(MODEL_OPSET, concatBytes([stringField(OPSET_DOMAIN, ''), varintField(OPSET_VERSION, 13)])),
  ]);
}

const sessions = new Map<number, Promise<RuntimeSession>>();

/** The rollout of head means [layers, n, n] → [n, n], computed by ONNX Runtime on the CPU. */
export async function rolloutInOnnx(headMean: Float32Array, layers: number, n: number): Promise<Float32Array> {
  let s = sessions.get(layers);
  if (!s) {
    s = openSession(rolloutModel(layers));
    sessions.set(layers, s);
    s.catch(() => sessions.delete(layers));
  }
  const out = await (await s).run({ [INPUT]: { type: 'float32', data: headMean, dims: [layers, n, n] } }, [OUTPUT]);
  return out[OUTPUT].data as Float32Array;
}
