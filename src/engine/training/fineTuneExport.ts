// A fine-tuned model saved in hub layout, so that BERT Lens, transformers.js and anything that runs ONNX load it
// as they load a hub model: config.json with the family's standard `*For…` architecture and id2label/label2id,
// the tokenizer files, onnx/model.onnx (fp32, outputs `logits` or `start_logits`/`end_logits`) and
// onnx/model_quantized.onnx (dynamic int8 quantisation of the MatMul weights, written here). Never overwrites.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Family } from '../api';
import { EngineError } from '../errors';
import { WT_LEN, concatBytes, fieldString, lenField, readFields, stringField, varintField } from '../onnx/protobuf';
import type { ModelFolder } from '../models/modelFolder';
import {
  type Attr,
  DT_FLOAT as FLOAT,
  DT_INT8 as INT8,
  GRAPH_INITIALIZER,
  GRAPH_NODE,
  MODEL_GRAPH,
  NODE_OP_TYPE,
  TENSOR_DATA_TYPE,
  TENSOR_DIMS,
  TENSOR_NAME,
  TENSOR_RAW,
  encodeNode,
} from '../onnx/schema';
import { parseGraph } from './onnxHead';
import type { FineTuneTask } from './taskData';

const TOKENIZER_FILES = [
  'tokenizer.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  'special_tokens_map.json',
  'spiece.model',
  'sentencepiece.bpe.model',
];

const CLASS_PREFIX: Record<string, string> = {
  bert: 'Bert',
  distilbert: 'DistilBert',
  roberta: 'Roberta',
  'xlm-roberta': 'XLMRoberta',
  camembert: 'Camembert',
  albert: 'Albert',
  electra: 'Electra',
};

/** transformers' class for a fine-tuned head: BertForSequenceClassification, RobertaForTokenClassification… */
export function architectureFor(modelType: string | undefined, family: Family, task: FineTuneTask): string {
  const prefix = CLASS_PREFIX[modelType ?? ''] ?? CLASS_PREFIX[family] ?? 'Bert';
  return `${prefix}For${task === 'token' ? 'TokenClassification' : task === 'qa' ? 'QuestionAnswering' : 'SequenceClassification'}`;
}

function isEmptyDir(p: string): boolean {
  try {
    return fs.readdirSync(p).length === 0;
  } catch {
    return false;
  }
}

/** `<data>-finetuned`, then `-2`, `-3`…: the first name that does not exist yet. */
export function defaultFineTunedDir(dataPath: string): string {
  const abs = path.resolve(dataPath);
  const base = path.join(
    path.dirname(abs),
    `${path.basename(abs).replace(/\.(csv|tsv|tab|jsonl|ndjson|json|conll|conllu|bio|iob|iob2|ner)$/i, '')}-finetuned`,
  );
  if (!fs.existsSync(base)) return base;
  for (let i = 2; ; i++) if (!fs.existsSync(`${base}-${i}`)) return `${base}-${i}`;
}

/** Refuses an existing non-empty folder (unless `overwrite`, which the sidebar sets only after asking). */
export function checkOutputDir(dir: string, overwrite = false): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory())
    throw new EngineError('output-exists', `${dir} exists and is a file.`, 'Choose another output folder.');
  if (!isEmptyDir(dir) && !overwrite)
    throw new EngineError(
      'output-exists',
      `${dir} already exists and is not empty; nothing was overwritten.`,
      'Choose another output folder, or leave --output out for a new one next to the data.',
    );
}

export interface FineTunedSave {
  dir: string;
  source: ModelFolder;
  task: FineTuneTask;
  /** Class names (sequence / pair / token); unused for QA. */
  labels: string[];
  /** The trained fp32 graph. */
  bytes: Uint8Array;
  maxLength: number;
  /** Written as training-report.json when given. */
  report?: unknown;
  /** Extra `bert_lens` fields for config.json. */
  info?: Record<string, unknown>;
  overwrite?: boolean;
  /** Skip the int8 file (tests of other parts). */
  skipQuantized?: boolean;
}

export function saveFineTuned(s: FineTunedSave): string {
  const dir = path.resolve(s.dir);
  checkOutputDir(dir, s.overwrite);
  const src = s.source;
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), s.bytes);
  if (!s.skipQuantized) fs.writeFileSync(path.join(dir, 'onnx', 'model_quantized.onnx'), quantizeDynamic(s.bytes));
  for (const f of TOKENIZER_FILES)
    if (fs.existsSync(path.join(src.path, f))) fs.copyFileSync(path.join(src.path, f), path.join(dir, f));
  fs.writeFileSync(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify({ ...src.tokenizerConfig, model_max_length: s.maxLength }, null, 2) + '\n',
  );
  const labels = s.task === 'qa' ? [] : s.labels;
  const config: Record<string, unknown> = {
    ...src.config,
    architectures: [architectureFor(src.config.model_type, src.family, s.task)],
  };
  delete config.id2label;
  delete config.label2id;
  if (labels.length) {
    config.id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
    config.label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
    config.num_labels = labels.length;
  }
  if (s.task === 'sequence' || s.task === 'pair') config.problem_type = 'single_label_classification';
  config.bert_lens = { fine_tuned: true, task: s.task, base_model: src.path, max_length: s.maxLength, ...s.info };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  if (s.report !== undefined)
    fs.writeFileSync(path.join(dir, 'training-report.json'), JSON.stringify(s.report, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'MODEL_CARD.md'), fineTunedCard(s, config.architectures as string[]));
  return dir;
}

function fineTunedCard(s: FineTunedSave, arch: string[]): string {
  const outputs =
    s.task === 'qa'
      ? '`start_logits`, `end_logits` [batch, sequence]'
      : s.task === 'token'
        ? `\`logits\` [batch, sequence, ${s.labels.length}]`
        : `\`logits\` [batch, ${s.labels.length}]`;
  const report =
    s.report !== undefined
      ? `\n## Training and evaluation\nSee \`training-report.json\` (split, learning rate, epochs, history, test metrics for fp32 and int8, baselines).\n`
      : '';
  return `# ${arch[0]} fine-tuned with BERT Lens

The encoder of \`${s.source.path}\` (${s.source.family}) fine-tuned for ${s.task === 'qa' ? 'extractive question answering' : s.task === 'token' ? 'token classification' : s.task === 'pair' ? 'sentence-pair classification' : 'sequence classification'}, with a fresh head${s.task === 'qa' ? '' : ' (dropout on its input while training; none in this graph)'}.
\`onnx/model.onnx\` (fp32) outputs ${outputs}; \`onnx/model_quantized.onnx\` is its dynamic int8 quantisation (MatMul weights).
Inputs are cut to ${s.maxLength} tokens.
${s.labels.length ? `\nLabels: ${s.labels.map((l, i) => `${i} = ${l}`).join(', ')}.\n` : ''}${report}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Dynamic int8 quantisation (what onnxruntime.quantization.quantize_dynamic does for MatMul): each MatMul whose
// second input is a float [K, N] initializer becomes
//   DynamicQuantizeLinear(A) → (Aq uint8, a_scale, a_zero)
//   MatMulInteger(Aq, Wq int8, a_zero, 0) → int32 → Cast float → × (a_scale · w_scale)
// with the weight quantised symmetrically per tensor: w_scale = max|W| / 127, Wq = round(W / w_scale).

function tensorBytes(name: string, dims: number[], type: number, raw: Uint8Array): Uint8Array {
  return lenField(
    GRAPH_INITIALIZER,
    concatBytes([
      ...dims.map((d) => varintField(TENSOR_DIMS, d)),
      varintField(TENSOR_DATA_TYPE, type),
      stringField(TENSOR_NAME, name),
      lenField(TENSOR_RAW, raw),
    ]),
  );
}

function nodeBytes(op: string, name: string, inputs: string[], outputs: string[], attrs: Attr[] = []): Uint8Array {
  return encodeNode(op, inputs, outputs, name, attrs);
}

const intAttr = (name: string, i: number): Attr => ({ name, i });

interface FloatInit {
  dims: number[];
  data: Float32Array;
}

function floatInitializers(bytes: Uint8Array, g: { valStart: number; valEnd: number }): Map<string, FloatInit> {
  const out = new Map<string, FloatInit>();
  for (const f of readFields(bytes, g.valStart, g.valEnd)) {
    if (f.no !== GRAPH_INITIALIZER) continue;
    let name = '';
    const dims: number[] = [];
    let type = 0;
    let raw: Uint8Array | undefined;
    for (const t of readFields(bytes, f.valStart, f.valEnd)) {
      if (t.no === TENSOR_NAME) name = fieldString(bytes, t);
      else if (t.no === TENSOR_DIMS && t.wt !== WT_LEN) dims.push(t.value!);
      else if (t.no === TENSOR_DATA_TYPE) type = t.value!;
      else if (t.no === TENSOR_RAW) raw = bytes.subarray(t.valStart, t.valEnd);
    }
    if (type === FLOAT && raw && dims.length === 2) {
      const data = new Float32Array(raw.length / 4);
      new Uint8Array(data.buffer).set(raw);
      out.set(name, { dims, data });
    }
  }
  return out;
}

/** The int8 variant of an fp32 graph. MatMuls on activations only (attention scores) stay in float. */
export function quantizeDynamic(bytes: Uint8Array): Uint8Array {
  const top = readFields(bytes);
  const g = top.find((f) => f.no === MODEL_GRAPH && f.wt === WT_LEN);
  if (!g) throw new EngineError('model-not-onnx', 'Not an ONNX model.', 'Export the fp32 model first.');
  const weights = floatInitializers(bytes, g);
  const { fields, nodes, names } = parseGraph(bytes, g);
  const nodeOps = new Map<object, string>();
  for (const n of nodes) {
    for (const nf of readFields(bytes, n.field.valStart, n.field.valEnd))
      if (nf.no === NODE_OP_TYPE) nodeOps.set(n.field, fieldString(bytes, nf));
  }
  const quantized = new Map<string, { q: string; scale: string; zero: string }>();
  const parts: Uint8Array[][] = [];
  const extraInits: Uint8Array[] = [];
  let k = 0;
  const byField = new Map(nodes.map((n) => [n.field, n]));
  for (const f of fields) {
    const n = f.no === GRAPH_NODE ? byField.get(f) : undefined;
    if (!n || nodeOps.get(f) !== 'MatMul' || !weights.has(n.inputs[1])) {
      parts.push([bytes.subarray(f.start, f.end)]);
      continue;
    }
    const wName = n.inputs[1];
    let q = quantized.get(wName);
    if (!q) {
      const w = weights.get(wName)!;
      let max = 0;
      for (const x of w.data) max = Math.max(max, Math.abs(x));
      const scale = max > 0 ? max / 127 : 1;
      const data = new Int8Array(w.data.length);
      for (let i = 0; i < data.length; i++) data[i] = Math.max(-127, Math.min(127, Math.round(w.data[i] / scale)));
      q = { q: `${wName}_quantized`, scale: `${wName}_scale`, zero: `${wName}_zero_point` };
      extraInits.push(tensorBytes(q.q, w.dims, INT8, new Uint8Array(data.buffer)));
      extraInits.push(tensorBytes(q.scale, [], FLOAT, new Uint8Array(Float32Array.from([scale]).buffer)));
      extraInits.push(tensorBytes(q.zero, [], INT8, new Uint8Array([0])));
      quantized.set(wName, q);
    }
    const p = `bertlens_q${k++}/`;
    const a = n.inputs[0];
    parts.push([
      nodeBytes('DynamicQuantizeLinear', `${p}DynamicQuantizeLinear`, [a], [`${p}a_q`, `${p}a_scale`, `${p}a_zero`]),
      nodeBytes('MatMulInteger', `${p}MatMulInteger`, [`${p}a_q`, q.q, `${p}a_zero`, q.zero], [`${p}y_int`]),
      nodeBytes('Cast', `${p}Cast`, [`${p}y_int`], [`${p}y_f`], [intAttr('to', FLOAT)]),
      nodeBytes('Mul', `${p}ScaleMul`, [`${p}a_scale`, q.scale], [`${p}scale`]),
      nodeBytes('Mul', `${p}Mul`, [`${p}y_f`, `${p}scale`], n.outputs),
    ]);
  }
  // Drop the float weights that only quantised MatMuls read.
  const stillRead = new Set<string>();
  for (const f of fields) {
    const n = f.no === GRAPH_NODE ? byField.get(f) : undefined;
    if (!n) continue;
    const isQ = nodeOps.get(f) === 'MatMul' && weights.has(n.inputs[1]);
    n.inputs.forEach((i, idx) => {
      if (!(isQ && idx === 1)) stillRead.add(i);
    });
  }
  const out: Uint8Array[] = [];
  let pi = 0;
  for (const f of fields) {
    const part = parts[pi++];
    if (f.no === GRAPH_INITIALIZER) {
      const nm = names.get(f) ?? '';
      if (quantized.has(nm) && !stillRead.has(nm)) continue;
    }
    out.push(...part);
  }
  out.push(...extraInits);
  const graph = lenField(MODEL_GRAPH, concatBytes(out));
  return concatBytes(top.map((f) => (f === g ? graph : bytes.subarray(f.start, f.end))));
}
