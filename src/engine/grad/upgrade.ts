// Upgrades an export of opset 9–12 to opset-13 semantics, so that the gradient builder (which writes the whole
// graph at opset 17) can differentiate it. Many hub exports (Xenova, older optimum) are opset 11/12. What changed
// between the model's opset and 13 for the operators BERT-family exports use:
//   Squeeze / Unsqueeze / ReduceSum  `axes` attribute → second input (13)
//   Split                            `split` attribute → second input (13)
//   Softmax / LogSoftmax / Hardmax   before 13: flatten to 2-D at `axis` (default 1), normalise each row;
//                                    13: normalise along `axis` (default -1). On the last axis both agree; on
//                                    another axis the old meaning is written out: Flatten → op → Reshape.
//   Slice (< 10)                     `starts`/`ends`/`axes` attributes → inputs
//   Clip (< 11)                      `min`/`max` attributes → inputs
//   TopK (< 10)                      `k` attribute → input
//   Pad (< 11)                       `pads`/`value` attributes → inputs
//   Dropout (< 12)                   `ratio`/`is_test` attributes dropped (inference: identity)
// ReduceMean and the other reductions keep their `axes` attribute until 18. Operators whose old form is not
// rewritten here (Upsample, Scatter, Resize before 11, control flow with subgraphs) are refused by name.
import { EngineError } from '../errors';
import { WT_LEN, concatBytes, fieldString, lenField, readFields, stringField } from '../onnx/protobuf';
import { ATTR_NAME, GRAPH_NODE, NODE_ATTRIBUTE, NODE_INPUT } from '../onnx/schema';
import {
  type Attr,
  type OnnxModel,
  type OnnxNode,
  encodeAttr,
  encodeInitializer,
  encodeNode,
  parseModel,
  writeModel,
} from './onnxModel';

export const MIN_UPGRADE_OPSET = 9;
const P = 'bertlens_opset13/';

/** Operators with an old form this upgrade does not rewrite. */
const REFUSED: Record<string, number> = {
  Upsample: 99,
  Scatter: 99,
  Resize: 11,
  Loop: 99,
  If: 99,
  Scan: 99,
  MaxUnpool: 11,
  BatchNormalization: 9,
};

function refuse(opset: number, what: string): never {
  throw new EngineError(
    'grad-opset',
    `Gradients need an ONNX export of opset 13 or later, or one BERT Lens can upgrade (opset ${MIN_UPGRADE_OPSET}–12 without ${what}); this model is opset ${opset}.`,
    'Re-export the model with opset 14 (the default of recent exporters).',
  );
}

/** A node of the original graph with new inputs, some attributes dropped and others added. */
function rewrite(m: OnnxModel, n: OnnxNode, inputs: string[], drop: string[], add: Attr[] = []): Uint8Array {
  const b = m.bytes;
  const parts: Uint8Array[] = inputs.map((i) => stringField(NODE_INPUT, i));
  for (const f of readFields(b, n.field.valStart, n.field.valEnd)) {
    if (f.no === NODE_INPUT) continue;
    if (f.no === NODE_ATTRIBUTE && f.wt === WT_LEN) {
      const name = readFields(b, f.valStart, f.valEnd).find((a) => a.no === ATTR_NAME);
      if (name && [...drop, ...add.map((a) => a.name)].includes(fieldString(b, name))) continue;
    }
    parts.push(b.subarray(f.start, f.end));
  }
  parts.push(...add.map(encodeAttr));
  return lenField(GRAPH_NODE, concatBytes(parts));
}

/** The model rewritten with opset-13 semantics (and declared opset 17, as the gradient graph is written), or the
 *  bytes unchanged when the model is opset 13 or later. `rankOf` gives the rank of a tensor when known (from a
 *  probe run); without it, a softmax is written out exactly with Flatten → op → Reshape. */
export function upgradeToOpset13(
  bytes: Uint8Array,
  rankOf: (tensor: string) => number | undefined = () => undefined,
): Uint8Array {
  const m = parseModel(bytes);
  if (m.opset >= 13) return bytes;
  if (m.opset < MIN_UPGRADE_OPSET) refuse(m.opset, 'operators older than opset 9');
  const replace = new Map<number, Uint8Array>();
  const inits: Uint8Array[] = [];
  let k = 0;
  const i64 = (vals: number[]) => {
    const name = `${P}const_${k++}`;
    inits.push(encodeInitializer(name, [vals.length], BigInt64Array.from(vals.map((v) => BigInt(v)))));
    return name;
  };
  const f32 = (v: number) => {
    const name = `${P}const_${k++}`;
    inits.push(encodeInitializer(name, [], Float32Array.of(v)));
    return name;
  };
  for (const n of m.nodes) {
    if (n.domain && n.domain !== 'ai.onnx') continue;
    const ints = (a: string) => n.attrs.get(a)?.ints;
    switch (n.opType) {
      case 'Squeeze':
      case 'Unsqueeze':
      case 'ReduceSum': {
        const axes = ints('axes');
        if (axes) replace.set(n.index, rewrite(m, n, [n.inputs[0], i64(axes)], ['axes']));
        break;
      }
      case 'Split': {
        const split = ints('split');
        if (split) replace.set(n.index, rewrite(m, n, [n.inputs[0], i64(split)], ['split']));
        break;
      }
      case 'Softmax':
      case 'LogSoftmax':
      case 'Hardmax': {
        const x = n.inputs[0];
        let axis = n.attrs.get('axis')?.i ?? 1;
        const rank = rankOf(x);
        if (rank !== undefined && axis < 0) axis += rank;
        if (axis === -1 || (rank !== undefined && axis === rank - 1)) {
          replace.set(n.index, rewrite(m, n, n.inputs, ['axis'], [{ name: 'axis', i: -1 }]));
        } else {
          // The opset < 13 meaning, exactly: rows of the 2-D flattening at `axis`, then back to x's shape.
          const base = `${P}${n.outputs[0]}`;
          replace.set(
            n.index,
            concatBytes([
              encodeNode('Shape', [x], [`${base}/shape`], `${base}/shape_node`),
              encodeNode('Flatten', [x], [`${base}/flat`], `${base}/flatten_node`, [{ name: 'axis', i: axis }]),
              encodeNode(n.opType, [`${base}/flat`], [`${base}/rows`], `${base}/rows_node`, [{ name: 'axis', i: -1 }]),
              encodeNode(
                'Reshape',
                [`${base}/rows`, `${base}/shape`],
                [n.outputs[0]],
                n.name || `${base}/reshape_node`,
              ),
            ]),
          );
        }
        break;
      }
      case 'Slice':
        if (m.opset < 10) {
          const starts = ints('starts') ?? [];
          const axes = ints('axes');
          replace.set(
            n.index,
            rewrite(
              m,
              n,
              [n.inputs[0], i64(starts), i64(ints('ends') ?? []), ...(axes ? [i64(axes)] : [])],
              ['starts', 'ends', 'axes'],
            ),
          );
        }
        break;
      case 'Clip':
        if (m.opset < 11) {
          const min = n.attrs.get('min')?.f;
          const max = n.attrs.get('max')?.f;
          replace.set(
            n.index,
            rewrite(
              m,
              n,
              [n.inputs[0], min === undefined ? '' : f32(min), max === undefined ? '' : f32(max)],
              ['min', 'max'],
            ),
          );
        }
        break;
      case 'TopK':
        if (m.opset < 10) replace.set(n.index, rewrite(m, n, [n.inputs[0], i64([n.attrs.get('k')?.i ?? 1])], ['k']));
        break;
      case 'Pad':
        if (m.opset < 11) {
          const value = n.attrs.get('value')?.f;
          replace.set(
            n.index,
            rewrite(
              m,
              n,
              [n.inputs[0], i64(ints('pads') ?? []), ...(value !== undefined ? [f32(value)] : [])],
              ['pads', 'value'],
            ),
          );
        }
        break;
      case 'Dropout':
        if (m.opset < 12) replace.set(n.index, rewrite(m, n, [n.inputs[0]], ['ratio', 'is_test']));
        break;
      default:
        if (REFUSED[n.opType] !== undefined && m.opset < REFUSED[n.opType])
          refuse(m.opset, `${n.opType} (node "${n.name}")`);
    }
  }
  return writeModel(m, {
    replaceNodes: replace,
    appendNodes: [],
    appendInitializers: inits,
    appendInputs: [],
    outputs: m.outputs.map((o) => m.bytes.subarray(o.field.start, o.field.end)),
    minOpset: 17,
  });
}

/** Inputs of the nodes whose upgrade depends on a rank (softmax-like operators). */
export function rankQuestions(bytes: Uint8Array): string[] {
  const m = parseModel(bytes);
  if (m.opset >= 13) return [];
  return [
    ...new Set(
      m.nodes
        .filter((n) => !n.domain && (n.opType === 'Softmax' || n.opType === 'LogSoftmax' || n.opType === 'Hardmax'))
        .map((n) => n.inputs[0]),
    ),
  ];
}
