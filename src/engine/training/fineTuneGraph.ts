// The network that fine-tuning trains and exports: the base encoder of any supported export (masked LM,
// feature extraction, classification…) cut at its last hidden state, with a fresh head that follows the
// family's transformers convention. No dropout (inference graph; training runs without dropout too, so a run is
// deterministic). Also reads and writes the graph's parameters (float initializers and their Identity aliases).
import { EngineError } from '../errors';
import type { Family } from '../api';
import { type Field, WT_LEN, concatBytes, fieldBytes, fieldString, lenField, readFields } from '../onnx/protobuf';
import {
  type Attr,
  DT_FLOAT,
  GRAPH_INITIALIZER,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  MODEL_GRAPH,
  NODE_INPUT,
  NODE_OP_TYPE,
  NODE_OUTPUT,
  TENSOR_DATA_LOCATION,
  TENSOR_DATA_TYPE,
  TENSOR_DIMS,
  TENSOR_FLOAT_DATA,
  TENSOR_NAME,
  TENSOR_RAW,
  encodeInitializer,
  encodeNode,
  encodeValueInfo,
  readPackedVarints,
} from '../onnx/schema';
import { parseGraph } from './onnxHead';
import { createRng, normal } from './random';
import type { FineTuneTask } from './taskData';

export interface HeadParameter {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface FineTuneHeadSpec {
  family: Family;
  task: FineTuneTask;
  /** The encoder's last hidden state [batch, seq, hidden]. */
  hiddenTensor: string;
  hiddenSize: number;
  /** Classes (sequence, pair, token); QA has its start/end pair. */
  numLabels: number;
  seed: number;
  /** Std of the fresh weights (config.initializer_range, 0.02). */
  initializerRange?: number;
  /** Sequence heads: the first token's state (the family's convention, default) or the mean over the tokens
   *  of attention_mask (for encoders whose [CLS] state was never trained, such as MLM-only pretraining). */
  pooling?: 'cls' | 'mean';
}

export interface FineTuneModel {
  bytes: Uint8Array;
  /** The head's parameters, fresh (normal(0, range) weights, zero biases). */
  head: HeadParameter[];
  outputs: string[];
}

let counter = 0;
function node(op: string, inputs: string[], outputs: string[], attrs: Attr[] = []): Uint8Array {
  return encodeNode(op, inputs, outputs, `bertlens_head/${op}_${counter++}`, attrs);
}

/** A graph initializer (raw data). */
export const tensorField = encodeInitializer;
const outputInfo = (name: string, dims: (number | string)[]) => encodeValueInfo('output', name, DT_FLOAT, dims);

/** The head's parameter names and shapes, named as transformers names them (weights stored [in, out] for MatMul). */
export function headLayout(
  family: Family,
  task: FineTuneTask,
  h: number,
  k: number,
): { name: string; dims: number[] }[] {
  if (task === 'token')
    return [
      { name: 'classifier.weight', dims: [h, k] },
      { name: 'classifier.bias', dims: [k] },
    ];
  if (task === 'qa')
    return [
      { name: 'qa_outputs.weight', dims: [h, 2] },
      { name: 'qa_outputs.bias', dims: [2] },
    ];
  const first =
    family === 'distilbert'
      ? 'pre_classifier'
      : family === 'roberta' || family === 'electra'
        ? 'classifier.dense'
        : 'pooler.dense';
  const last = family === 'roberta' || family === 'electra' ? 'classifier.out_proj' : 'classifier';
  return [
    { name: `${first}.weight`, dims: [h, h] },
    { name: `${first}.bias`, dims: [h] },
    { name: `${last}.weight`, dims: [h, k] },
    { name: `${last}.bias`, dims: [k] },
  ];
}

/** The activation between the two sequence-head layers, by family: BERT/ALBERT pooler and RoBERTa's head use
 *  tanh, DistilBERT's pre_classifier ReLU, ELECTRA's head GELU. */
export function headActivation(family: Family): 'tanh' | 'relu' | 'gelu' {
  return family === 'distilbert' ? 'relu' : family === 'electra' ? 'gelu' : 'tanh';
}

function headNodes(spec: FineTuneHeadSpec, names: string[], nodes: Uint8Array[], inits: Uint8Array[]): string[] {
  const h = spec.hiddenTensor;
  const t = (s: string) => `bertlens_head/${s}`;
  if (spec.task === 'token') {
    nodes.push(node('MatMul', [h, names[0]], [t('z')]), node('Add', [t('z'), names[1]], ['logits']));
    return ['logits'];
  }
  if (spec.task === 'qa') {
    inits.push(
      tensorField(t('zero'), [], BigInt64Array.from([0n])),
      tensorField(t('one'), [], BigInt64Array.from([1n])),
    );
    nodes.push(node('MatMul', [h, names[0]], [t('z')]), node('Add', [t('z'), names[1]], [t('se')]));
    nodes.push(
      node('Gather', [t('se'), t('zero')], ['start_logits'], [{ name: 'axis', i: 2 }]),
      node('Gather', [t('se'), t('one')], ['end_logits'], [{ name: 'axis', i: 2 }]),
    );
    return ['start_logits', 'end_logits'];
  }
  if (spec.pooling === 'mean') {
    // Σ_t mask_t·h_t / max(1, Σ_t mask_t), as [B,1,S]·[B,S,H] products.
    inits.push(
      tensorField(t('shape_b1s'), [3], BigInt64Array.from([0n, 1n, -1n])),
      tensorField(t('shape_bh'), [2], BigInt64Array.from([0n, -1n])),
      tensorField(t('onef'), [], Float32Array.from([1])),
    );
    nodes.push(
      node('Cast', ['attention_mask'], [t('mask_f')], [{ name: 'to', i: DT_FLOAT }]),
      node('Reshape', [t('mask_f'), t('shape_b1s')], [t('mask3')]),
    );
    nodes.push(
      node('Transpose', [t('mask3')], [t('mask3_t')], [{ name: 'perm', ints: [0, 2, 1] }]),
      node('MatMul', [t('mask3'), t('mask3_t')], [t('count_raw')]),
      node('Max', [t('count_raw'), t('onef')], [t('count')]),
    );
    nodes.push(
      node('MatMul', [t('mask3'), h], [t('sum')]),
      node('Div', [t('sum'), t('count')], [t('mean3')]),
      node('Reshape', [t('mean3'), t('shape_bh')], [t('cls')]),
    );
  } else {
    inits.push(tensorField(t('zero'), [], BigInt64Array.from([0n])));
    nodes.push(node('Gather', [h, t('zero')], [t('cls')], [{ name: 'axis', i: 1 }]));
  }
  nodes.push(node('MatMul', [t('cls'), names[0]], [t('d')]), node('Add', [t('d'), names[1]], [t('pre')]));
  const act = headActivation(spec.family);
  if (act === 'tanh') nodes.push(node('Tanh', [t('pre')], [t('act')]));
  else if (act === 'relu') nodes.push(node('Relu', [t('pre')], [t('act')]));
  else {
    // GELU (erf form, as transformers' "gelu"): 0.5·x·(1 + erf(x/√2)).
    inits.push(
      tensorField(t('sqrt2'), [], Float32Array.from([Math.SQRT2])),
      tensorField(t('half'), [], Float32Array.from([0.5])),
      tensorField(t('onef_gelu'), [], Float32Array.from([1])),
    );
    nodes.push(
      node('Div', [t('pre'), t('sqrt2')], [t('g1')]),
      node('Erf', [t('g1')], [t('g2')]),
      node('Add', [t('g2'), t('onef_gelu')], [t('g3')]),
    );
    nodes.push(node('Mul', [t('pre'), t('half')], [t('g4')]), node('Mul', [t('g4'), t('g3')], [t('act')]));
  }
  nodes.push(node('MatMul', [t('act'), names[2]], [t('z')]), node('Add', [t('z'), names[3]], ['logits']));
  return ['logits'];
}

function graphField(bytes: Uint8Array): { top: Field[]; g: Field } {
  const top = readFields(bytes);
  const g = top.find((f) => f.no === MODEL_GRAPH && f.wt === WT_LEN);
  if (!g)
    throw new EngineError(
      'model-not-onnx',
      'The model file is not an ONNX model (no graph).',
      'Use a hub-layout model folder with onnx/model.onnx.',
    );
  return { top, g };
}

/** Builds the fine-tuning network: the encoder's nodes up to `hiddenTensor` (the old head and its weights go),
 *  then the fresh head, with the task's standard outputs. Head weights are seeded. */
export function buildFineTuneModel(
  bytes: Uint8Array,
  spec: FineTuneHeadSpec,
  headValues?: HeadParameter[],
): FineTuneModel {
  counter = 0; // node names depend only on the spec, so the same run writes the same bytes
  const { top, g } = graphField(bytes);
  const { fields, nodes: parsed, names, inputs } = parseGraph(bytes, g);
  const produced = new Map<string, number>();
  parsed.forEach((n, i) => n.outputs.forEach((o) => produced.set(o, i)));
  if (!produced.has(spec.hiddenTensor))
    throw new EngineError(
      'model-outputs',
      `The encoder has no tensor "${spec.hiddenTensor}".`,
      'Use a standard BERT-family export.',
    );
  const keep = new Set<number>();
  const stack = [spec.hiddenTensor];
  while (stack.length) {
    const p = produced.get(stack.pop()!);
    if (p === undefined || keep.has(p)) continue;
    keep.add(p);
    stack.push(...parsed[p].inputs.filter(Boolean));
  }
  const used = new Set<string>();
  for (const i of keep) for (const t of parsed[i].inputs) used.add(t);
  const kept = new Set<string>(inputs);
  for (const i of keep) for (const t of parsed[i].outputs) kept.add(t);

  const layout = headLayout(spec.family, spec.task, spec.hiddenSize, spec.task === 'qa' ? 2 : spec.numLabels);
  for (const l of layout)
    if (kept.has(l.name) || used.has(l.name))
      throw new EngineError(
        'model-outputs',
        `The encoder already has a tensor named "${l.name}".`,
        'Report this model; its tensor names clash with the new head.',
      );
  const rng = createRng(spec.seed);
  const std = spec.initializerRange ?? 0.02;
  const head: HeadParameter[] = layout.map((l) => {
    const given = headValues?.find((v) => v.name === l.name);
    if (given) return { ...l, data: given.data };
    const n = l.dims.reduce((a, b) => a * b, 1);
    return {
      ...l,
      data: l.dims.length === 1 ? new Float32Array(n) : Float32Array.from({ length: n }, () => normal(rng) * std),
    };
  });
  const newNodes: Uint8Array[] = [];
  const newInits: Uint8Array[] = head.map((p) => tensorField(p.name, p.dims, p.data));
  const outputs = headNodes(
    spec,
    head.map((p) => p.name),
    newNodes,
    newInits,
  );
  const parts: Uint8Array[] = [];
  let nodeIndex = 0;
  for (const f of fields) {
    if (f.no === GRAPH_NODE) {
      if (keep.has(nodeIndex++)) parts.push(bytes.subarray(f.start, f.end));
    } else if (f.no === GRAPH_INITIALIZER) {
      if (used.has(names.get(f) ?? '')) parts.push(bytes.subarray(f.start, f.end));
    } else if (f.no === GRAPH_VALUE_INFO) {
      if (kept.has(names.get(f) ?? '')) parts.push(bytes.subarray(f.start, f.end));
    } else if (f.no !== GRAPH_OUTPUT) parts.push(bytes.subarray(f.start, f.end));
  }
  parts.push(...newNodes, ...newInits);
  for (const o of outputs)
    parts.push(
      outputInfo(
        o,
        spec.task === 'sequence' || spec.task === 'pair'
          ? ['batch_size', spec.numLabels]
          : spec.task === 'token'
            ? ['batch_size', 'sequence_length', spec.numLabels]
            : ['batch_size', 'sequence_length'],
      ),
    );
  const graph = lenField(MODEL_GRAPH, concatBytes(parts));
  return { bytes: concatBytes(top.map((f) => (f === g ? graph : bytes.subarray(f.start, f.end)))), head, outputs };
}

export interface GraphParameter {
  name: string;
  dims: number[];
  data: Float32Array;
  /** For an Identity alias of an initializer (exporters share equal tensors this way): the source's name. */
  aliasOf?: string;
}

function readTensor(
  bytes: Uint8Array,
  f: Field,
): { name: string; dims: number[]; type: number; data?: Float32Array; external: boolean } {
  let name = '';
  const dims: number[] = [];
  let type = 0;
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  let external = false;
  for (const t of readFields(bytes, f.valStart, f.valEnd)) {
    if (t.no === TENSOR_NAME) name = fieldString(bytes, t);
    else if (t.no === TENSOR_DIMS) {
      if (t.wt === WT_LEN) {
        for (const d of readPackedVarints(bytes, t.valStart, t.valEnd)) dims.push(d);
      } else dims.push(t.value!);
    } else if (t.no === TENSOR_DATA_TYPE) type = t.value!;
    else if (t.no === TENSOR_RAW) raw = fieldBytes(bytes, t);
    else if (t.no === TENSOR_FLOAT_DATA) {
      if (t.wt === WT_LEN) {
        const b = fieldBytes(bytes, t);
        const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        for (let i = 0; i + 4 <= b.length; i += 4) floats.push(dv.getFloat32(i, true));
      } else floats.push(new DataView(bytes.buffer, bytes.byteOffset + t.valStart, 4).getFloat32(0, true));
    } else if (t.no === TENSOR_DATA_LOCATION && t.value === 1) external = true;
  }
  let data: Float32Array | undefined;
  if (type === DT_FLOAT) {
    if (raw) {
      data = new Float32Array(raw.length / 4);
      new Uint8Array(data.buffer).set(raw);
    } else data = Float32Array.from(floats);
  }
  return { name, dims, type, data, external };
}

/** The trainable parameters of a graph: float initializers with at least two values that some node reads
 *  (scalars and one-value constants are constants, not weights), and each Identity alias of one as its own
 *  parameter (fine-tuning unties them). External-data tensors are refused. */
export function readParameters(bytes: Uint8Array): GraphParameter[] {
  const { g } = graphField(bytes);
  const { fields, nodes } = parseGraph(bytes, g);
  const readers = new Set<string>();
  for (const n of nodes) for (const i of n.inputs) readers.add(i);
  const out: GraphParameter[] = [];
  const byName = new Map<string, GraphParameter>();
  for (const f of fields) {
    if (f.no !== GRAPH_INITIALIZER) continue;
    const t = readTensor(bytes, f);
    if (t.external)
      throw new EngineError(
        'model-external-data',
        `Tensor ${t.name} is stored outside the .onnx file (external data), which fine-tuning cannot read yet.`,
        'Use an export with the weights inside onnx/model.onnx.',
      );
    if (t.type !== DT_FLOAT || !t.data || t.data.length < 2 || !readers.has(t.name)) continue;
    const p = { name: t.name, dims: t.dims, data: t.data };
    out.push(p);
    byName.set(t.name, p);
  }
  for (const f of fields) {
    if (f.no !== GRAPH_NODE) continue;
    let op = '';
    const ins: string[] = [];
    const outs: string[] = [];
    for (const nf of readFields(bytes, f.valStart, f.valEnd)) {
      if (nf.no === NODE_OP_TYPE) op = fieldString(bytes, nf);
      else if (nf.no === NODE_INPUT) ins.push(fieldString(bytes, nf));
      else if (nf.no === NODE_OUTPUT) outs.push(fieldString(bytes, nf));
    }
    if (op === 'Identity' && byName.has(ins[0]) && readers.has(outs[0])) {
      const src = byName.get(ins[0])!;
      out.push({ name: outs[0], dims: src.dims, data: src.data.slice(), aliasOf: src.name });
    }
  }
  return out;
}

/** Writes new values for parameters: an initializer is replaced; an Identity alias becomes an initializer of its
 *  own (its Identity node goes). Everything else is copied byte for byte. */
export function writeParameters(
  bytes: Uint8Array,
  params: { name: string; dims: number[]; data: Float32Array }[],
): Uint8Array {
  const { top, g } = graphField(bytes);
  const { fields, names } = parseGraph(bytes, g);
  const values = new Map(params.map((p) => [p.name, p]));
  const written = new Set<string>();
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    if (f.no === GRAPH_INITIALIZER) {
      const n = names.get(f) ?? '';
      const v = values.get(n);
      if (v) {
        parts.push(tensorField(v.name, v.dims, v.data));
        written.add(n);
        continue;
      }
    } else if (f.no === GRAPH_NODE) {
      let op = '';
      const outs: string[] = [];
      for (const nf of readFields(bytes, f.valStart, f.valEnd)) {
        if (nf.no === NODE_OP_TYPE) op = fieldString(bytes, nf);
        else if (nf.no === NODE_OUTPUT) outs.push(fieldString(bytes, nf));
      }
      if (op === 'Identity' && values.has(outs[0])) continue; // becomes an initializer below
    }
    parts.push(bytes.subarray(f.start, f.end));
  }
  for (const p of params) if (!written.has(p.name)) parts.push(tensorField(p.name, p.dims, p.data));
  const graph = lenField(MODEL_GRAPH, concatBytes(parts));
  return concatBytes(top.map((f) => (f === g ? graph : bytes.subarray(f.start, f.end))));
}
