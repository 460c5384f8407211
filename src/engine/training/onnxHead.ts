// Builds the classifier's ONNX graph from the encoder's: the encoder's nodes up to the chosen hidden states,
// then pooling and the head, with `logits` as the only output. The encoder's bytes are edited in place with the
// schema-free protobuf helpers: the GraphProto's field list is re-encoded (nodes that do not lead to the new
// output dropped, new nodes, initializers and outputs added) and every other field is copied byte for byte.
import { type Field, WT_LEN, concatBytes, fieldString, lenField, readFields } from '../onnx/protobuf';
import {
  type Attr,
  DT_FLOAT,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  MODEL_GRAPH,
  NODE_INPUT,
  NODE_OUTPUT,
  TENSOR_NAME,
  VALUE_NAME,
  encodeInitializer,
  encodeNode,
  encodeValueInfo,
} from '../onnx/schema';
import { EngineError } from '../errors';

const P = 'bertlens_classifier/';

export type PoolingKind = 'mean' | 'cls';

export interface PoolingSpec {
  /** Hidden-state tensor names to pool, concatenated in this order. */
  hiddenTensors: string[];
  pooling: PoolingKind;
  /** Token ids left out of the mean ([CLS], [SEP]…); padding is excluded through attention_mask. */
  specialIds: number[];
}

export interface HeadWeights {
  mean: Float32Array;
  scale: Float32Array;
  w1: Float32Array;
  b1: Float32Array;
  hidden?: number;
  w2?: Float32Array;
  b2?: Float32Array;
  numClasses: number;
}

/** A node of the classifier, named after its first output. */
function node(op: string, inputs: string[], outputs: string[], attrs: Attr[] = []): Uint8Array {
  return encodeNode(op, inputs, outputs, `${P}${op}_${outputs[0].slice(P.length)}`, attrs);
}

const tensor = encodeInitializer;
const outputInfo = (name: string, dims: (number | string)[]) => encodeValueInfo('output', name, DT_FLOAT, dims);

export interface ParsedNode {
  field: Field;
  inputs: string[];
  outputs: string[];
}

/** Nodes, initializer and value-info names of the graph, as byte ranges. */
export function parseGraph(bytes: Uint8Array, g: Field) {
  const fields = readFields(bytes, g.valStart, g.valEnd);
  const nodes: ParsedNode[] = [];
  const names = new Map<Field, string>();
  const inputs: string[] = [];
  for (const f of fields) {
    if (f.no === GRAPH_NODE) {
      const n: ParsedNode = { field: f, inputs: [], outputs: [] };
      for (const nf of readFields(bytes, f.valStart, f.valEnd)) {
        if (nf.no === NODE_INPUT) n.inputs.push(fieldString(bytes, nf));
        else if (nf.no === NODE_OUTPUT) n.outputs.push(fieldString(bytes, nf));
      }
      nodes.push(n);
    } else if (f.no === GRAPH_INITIALIZER || f.no === GRAPH_VALUE_INFO || f.no === GRAPH_INPUT) {
      const nameNo = f.no === GRAPH_INITIALIZER ? TENSOR_NAME : VALUE_NAME;
      for (const sf of readFields(bytes, f.valStart, f.valEnd)) {
        if (sf.no === nameNo) {
          names.set(f, fieldString(bytes, sf));
          break;
        }
      }
      if (f.no === GRAPH_INPUT) inputs.push(names.get(f) ?? '');
    }
  }
  return { fields, nodes, names, inputs };
}

/** Pooling nodes: `features` [batch, D], the mean over non-special, non-padding tokens (or the first token) of
 *  each hidden state, concatenated. The mean is a MatMul of the mask with the states, divided by the token
 *  count (floored at 1 so an all-special input gives zeros, not NaN). */
function poolingNodes(spec: PoolingSpec, inits: Uint8Array[], nodes: Uint8Array[]): string {
  const pooled: string[] = [];
  if (spec.pooling === 'cls') {
    inits.push(tensor(`${P}zero`, [], BigInt64Array.from([0n])));
    spec.hiddenTensors.forEach((h, l) => {
      nodes.push(node('Gather', [h, `${P}zero`], [`${P}cls_${l}`], [{ name: 'axis', i: 1 }]));
      pooled.push(`${P}cls_${l}`);
    });
  } else {
    nodes.push(node('Cast', ['attention_mask'], [`${P}mask_f`], [{ name: 'to', i: DT_FLOAT }]));
    let mask = `${P}mask_f`;
    spec.specialIds.forEach((id, k) => {
      inits.push(tensor(`${P}special_${k}`, [], BigInt64Array.from([BigInt(id)])));
      nodes.push(node('Equal', ['input_ids', `${P}special_${k}`], [`${P}is_special_${k}`]));
      nodes.push(node('Not', [`${P}is_special_${k}`], [`${P}not_special_${k}`]));
      nodes.push(node('Cast', [`${P}not_special_${k}`], [`${P}keep_${k}`], [{ name: 'to', i: DT_FLOAT }]));
      nodes.push(node('Mul', [mask, `${P}keep_${k}`], [`${P}mask_${k}`]));
      mask = `${P}mask_${k}`;
    });
    inits.push(tensor(`${P}shape_b1s`, [3], BigInt64Array.from([0n, 1n, -1n])));
    inits.push(tensor(`${P}one`, [], Float32Array.from([1])));
    nodes.push(node('Reshape', [mask, `${P}shape_b1s`], [`${P}mask3`]));
    nodes.push(node('Transpose', [`${P}mask3`], [`${P}mask3_t`], [{ name: 'perm', ints: [0, 2, 1] }]));
    nodes.push(node('MatMul', [`${P}mask3`, `${P}mask3_t`], [`${P}count_raw`])); // Σ m² = Σ m for a 0/1 mask
    nodes.push(node('Max', [`${P}count_raw`, `${P}one`], [`${P}count`]));
    spec.hiddenTensors.forEach((h, l) => {
      nodes.push(node('MatMul', [`${P}mask3`, h], [`${P}sum_${l}`]));
      nodes.push(node('Div', [`${P}sum_${l}`, `${P}count`], [`${P}mean3_${l}`]));
      pooled.push(`${P}mean3_${l}`);
    });
  }
  let out: string;
  if (pooled.length === 1) out = pooled[0];
  else {
    out = `${P}concat`;
    nodes.push(node('Concat', pooled, [out], [{ name: 'axis', i: spec.pooling === 'cls' ? 1 : 2 }]));
  }
  if (spec.pooling === 'mean') {
    inits.push(tensor(`${P}shape_b_d`, [2], BigInt64Array.from([0n, -1n])));
    nodes.push(node('Reshape', [out, `${P}shape_b_d`], [`${P}features`]));
    return `${P}features`;
  }
  return out;
}

function headNodes(features: string, head: HeadWeights, inits: Uint8Array[], nodes: Uint8Array[]): string {
  const d = head.mean.length;
  inits.push(tensor(`${P}mean`, [d], head.mean), tensor(`${P}scale`, [d], head.scale));
  nodes.push(node('Sub', [features, `${P}mean`], [`${P}centered`]));
  nodes.push(node('Mul', [`${P}centered`, `${P}scale`], [`${P}standardized`]));
  if (head.w2 && head.b2 && head.hidden) {
    inits.push(tensor(`${P}w1`, [d, head.hidden], head.w1), tensor(`${P}b1`, [head.hidden], head.b1));
    inits.push(tensor(`${P}w2`, [head.hidden, head.numClasses], head.w2), tensor(`${P}b2`, [head.numClasses], head.b2));
    nodes.push(node('MatMul', [`${P}standardized`, `${P}w1`], [`${P}h_lin`]));
    nodes.push(node('Add', [`${P}h_lin`, `${P}b1`], [`${P}h_pre`]));
    nodes.push(node('Relu', [`${P}h_pre`], [`${P}h`]));
    nodes.push(node('MatMul', [`${P}h`, `${P}w2`], [`${P}z_lin`]));
    nodes.push(node('Add', [`${P}z_lin`, `${P}b2`], ['logits']));
  } else {
    inits.push(tensor(`${P}w1`, [d, head.numClasses], head.w1), tensor(`${P}b1`, [head.numClasses], head.b1));
    nodes.push(node('MatMul', [`${P}standardized`, `${P}w1`], [`${P}z_lin`]));
    nodes.push(node('Add', [`${P}z_lin`, `${P}b1`], ['logits']));
  }
  return 'logits';
}

/** Rewrites the encoder model: keeps the nodes the pooled features need, appends pooling (and the head when
 *  given) and makes `features` (no head) or `logits` (with a head) the only output. */
export function buildPooledModel(bytes: Uint8Array, spec: PoolingSpec, head?: HeadWeights): Uint8Array {
  const top = readFields(bytes);
  const g = top.find((f) => f.no === MODEL_GRAPH && f.wt === WT_LEN);
  if (!g)
    throw new EngineError(
      'model-not-onnx',
      'The encoder file is not an ONNX model (no graph).',
      'Use a hub-layout model folder with onnx/model.onnx.',
    );
  const { fields, nodes: parsed, names, inputs } = parseGraph(bytes, g);
  if (spec.pooling === 'mean' && !(inputs.includes('attention_mask') && inputs.includes('input_ids'))) {
    throw new EngineError(
      'model-outputs',
      `The encoder's inputs (${inputs.join(', ')}) lack input_ids or attention_mask, which mean pooling needs.`,
      'Use CLS pooling, or a standard BERT-family export.',
    );
  }
  const produced = new Map<string, number>();
  parsed.forEach((n, i) => n.outputs.forEach((o) => produced.set(o, i)));
  for (const h of spec.hiddenTensors) {
    if (!produced.has(h))
      throw new EngineError(
        'model-outputs',
        `The encoder has no tensor "${h}" to pool.`,
        'The hidden states of this export could not be located; use a standard BERT-family export.',
      );
  }
  // Keep only the ancestors of the pooled tensors (the original heads, e.g. the masked-LM projection, go).
  const keep = new Set<number>();
  const stack = [...spec.hiddenTensors];
  while (stack.length) {
    const t = stack.pop()!;
    const p = produced.get(t);
    if (p === undefined || keep.has(p)) continue;
    keep.add(p);
    stack.push(...parsed[p].inputs.filter(Boolean));
  }
  const used = new Set<string>();
  for (const i of keep) for (const t of parsed[i].inputs) used.add(t);
  const keptTensors = new Set<string>([...inputs]);
  for (const i of keep) for (const t of parsed[i].outputs) keptTensors.add(t);

  const newInits: Uint8Array[] = [];
  const newNodes: Uint8Array[] = [];
  const features = poolingNodes(spec, newInits, newNodes);
  const output = head ? headNodes(features, head, newInits, newNodes) : features;
  if (keptTensors.has(output))
    throw new EngineError(
      'model-outputs',
      `The encoder already has a tensor named "${output}".`,
      'Report this model; its tensor names clash with the classifier head.',
    );

  const parts: Uint8Array[] = [];
  let nodeIndex = 0;
  for (const f of fields) {
    if (f.no === GRAPH_NODE) {
      if (keep.has(nodeIndex++)) parts.push(bytes.subarray(f.start, f.end));
    } else if (f.no === GRAPH_INITIALIZER) {
      if (used.has(names.get(f) ?? '')) parts.push(bytes.subarray(f.start, f.end));
    } else if (f.no === GRAPH_VALUE_INFO) {
      if (keptTensors.has(names.get(f) ?? '')) parts.push(bytes.subarray(f.start, f.end));
    } else if (f.no === GRAPH_OUTPUT) {
      // replaced below
    } else parts.push(bytes.subarray(f.start, f.end));
  }
  // Node order must stay topological: the new nodes go after the encoder's.
  parts.push(...newNodes, ...newInits);
  parts.push(
    head ? outputInfo(output, ['batch_size', head.numClasses]) : outputInfo(output, ['batch_size', 'features']),
  );
  const graph = lenField(MODEL_GRAPH, concatBytes(parts));
  return concatBytes(top.map((f) => (f === g ? graph : bytes.subarray(f.start, f.end))));
}
