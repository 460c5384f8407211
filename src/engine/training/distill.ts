// Knowledge distillation (teacher → student) for sequence and pair classification. The teacher is any
// sequence-classification model; its logits over the data are computed once (kept in memory and on disk, keyed
// by the teacher file and the texts). The student is an encoder (masked LM, feature extractor… optionally cut to
// its bottom N layers) that gets a fresh head with the teacher's label set, or a classifier with the same label
// set. The loss, α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−α)·CE(s, gold), is the 'distillation' objective of
// the backward graph (grad/objectives.ts); AdamW with a linear warm-up/decay schedule, the best validation epoch
// kept. Teacher and student are then compared on the test split: accuracy, macro-F1, ms per example (the same
// batches, run alternately), parameters and file size.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelledError, EngineError } from '../errors';
import { buildGradientGraph } from '../grad/gradient';
import { OBJECTIVE_INPUTS } from '../grad/objectives';
import type { LoadedModel } from '../model';
import { VARIANT_FILES, type ModelFolder } from '../models/modelFolder';
import { findHiddenStateOutputs, inspectGraph } from '../onnx/graph';
import { WT_LEN, readFields } from '../onnx/protobuf';
import { type InputTensor, type RuntimeSession, openSession } from '../runtime';
import type { Encoded } from '../tokenizer';
import { truncateEncoded } from './extractor';
import { choosePooling, modelFeeds, type EpochRecord, type StepProgress } from './fineTune';
import { buildFineTuneModel, readParameters, writeParameters } from './fineTuneGraph';
import { yieldToEventLoop } from './heads';
import { argmax, computeMetrics } from './metrics';
import { AdamW, bucketedBatches, linearScheduleLr } from './optimizer';
import { createRng } from './random';
import { DEFAULT_SEED } from './data/split';
import type { TaskData } from './taskData';
import type { Metrics } from './types';

export const DEFAULT_TEMPERATURE = 2;
export const DEFAULT_ALPHA = 0.5;

export interface DistillOptions {
  /** Softmax temperature T of the soft targets (default 2). */
  temperature?: number;
  /** Weight α of the soft (KL) term; 1 − α goes to the gold labels' cross-entropy (default 0.5). */
  alpha?: number;
  epochs?: number;
  /** Peak learning rate (default 1e-4 below hidden size 512, else 5e-5). */
  learningRate?: number;
  batchSize?: number;
  seed?: number;
  weightDecay?: number;
  /** Tokens per input (default 128). */
  maxLength?: number;
  /** Keep only the student's bottom N encoder layers (a smaller student from the same checkpoint). */
  studentLayers?: number;
  /** The fresh head's pooling (default 'auto', as fine-tuning chooses). */
  pooling?: 'auto' | 'cls' | 'mean';
  /** Where the teacher's logits are cached on disk (default under the OS temp folder; false: memory only). */
  cacheDir?: string | false;
}

export type DistillProgress =
  | { phase: 'loading'; message: string }
  | { phase: 'teacher'; done: number; total: number }
  | StepProgress
  | { phase: 'epoch'; epoch: number; trainLoss: number; valAccuracy: number; best: boolean }
  | { phase: 'evaluating'; what: string };

/** One side of the comparison (the CLI's --json `teacher` / `student`). */
export interface DistillSide {
  model: string;
  accuracy: number;
  macro_f1: number;
  /** Mean wall time per test example, both models run on the same batches, alternately, on the CPU. */
  ms_per_example: number;
  /** Count of the numeric weights of the graph (tensors of two values or more). */
  parameters: number;
  /** Size of the ONNX file (bytes) that was timed. */
  size_bytes: number;
  layers: number;
  variant: string;
}

export interface DistillOutcome {
  labels: string[];
  teacher: DistillSide;
  student: DistillSide;
  /** The student's full test metrics (confusion…) and the teacher's. */
  studentMetrics: Metrics;
  teacherMetrics: Metrics;
  /** The best epoch's student (fp32 graph with `logits`). */
  bytes: Uint8Array;
  /** The folder description to save the student with (config with the kept layer count). */
  studentFolder: ModelFolder;
  history: EpochRecord[];
  bestEpoch: number;
  cancelled: boolean;
  temperature: number;
  alpha: number;
  epochs: number;
  learningRate: number;
  maxLength: number;
  pooling?: { kind: 'cls' | 'mean'; reason: string };
  /** 'fresh' (encoder + new head) or 'classifier' (the student's own head, same label set). */
  studentHead: 'fresh' | 'classifier';
  /** Where the teacher's logits came from: computed now, or a cache. */
  teacherLogits: 'computed' | 'memory' | 'disk';
  trainSize: number;
  valSize: number;
  testSize: number;
  seconds: number;
}

interface Item {
  example: number;
  s: Encoded;
  t: Encoded;
  label: number;
}

/** The distillation loss in plain JS (the batch mean of α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−α)·CE(s, y)),
 *  for validation; training uses the same loss built into the backward graph. */
export function distillationLoss(
  student: ArrayLike<number>[],
  teacher: ArrayLike<number>[],
  labels: number[],
  T: number,
  alpha: number,
): number {
  const logSoftmax = (z: number[]) => {
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    return z.map((v) => v - lse);
  };
  let total = 0;
  student.forEach((row, b) => {
    const s = Array.from(row);
    const lsT = logSoftmax(s.map((v) => v / T));
    const ltT = logSoftmax(Array.from(teacher[b], (v) => v / T));
    const kl = ltT.reduce((acc, l, c) => acc + Math.exp(l) * (l - lsT[c]), 0);
    total += alpha * T * T * kl - (1 - alpha) * logSoftmax(s)[labels[b]];
  });
  return student.length ? total / student.length : 0;
}

const firstLr = (hidden: number) => (hidden >= 512 ? 5e-5 : 1e-4);

/** The teacher's class names, or a clear error when it is not a sequence classifier. */
export function teacherLabels(teacher: ModelFolder, id: string): string[] {
  if (teacher.head !== 'sequence-classification' || !teacher.labels?.length) {
    throw new EngineError(
      'distill-teacher',
      `The teacher must be a sequence-classification model; ${id} is a ${teacher.head} model${teacher.head === 'sequence-classification' ? ' without id2label' : ''}.`,
      'Use a model saved by `bert-lens train --mode fine-tune`, or a hub *ForSequenceClassification export.',
    );
  }
  return teacher.labels;
}

/** How the student gets its head: a fresh one (encoders), or its own when it classifies into the teacher's
 *  label set. Clear errors for a causal model and for a classifier with other labels. */
export function studentPlan(
  student: ModelFolder,
  id: string,
  labels: string[],
  studentLayers?: number,
): { head: 'fresh' | 'classifier'; order?: number[] } {
  if (student.head === 'causal-lm' || student.family === 'other' || student.family === 'gpt2') {
    throw new EngineError(
      'distill-student',
      `The student must be a BERT-family encoder (masked LM, feature extractor or classifier); ${id} is a ${student.head} model of type "${student.config.model_type ?? 'unknown'}".`,
      'Use the embedded model (--student embedded) or another BERT, DistilBERT, RoBERTa, ALBERT or ELECTRA model.',
    );
  }
  if (student.head !== 'sequence-classification') return { head: 'fresh' };
  const own = student.labels ?? [];
  const same = own.length === labels.length && labels.every((l) => own.includes(l));
  if (!same) {
    throw new EngineError(
      'distill-labels',
      `The student and the teacher have different label sets: student ${id} has [${own.join(', ')}], the teacher has [${labels.join(', ')}].`,
      'Use a student with the same labels, or a masked-LM / feature model (it gets a fresh head with the teacher’s labels).',
    );
  }
  if (studentLayers !== undefined)
    throw new EngineError(
      'bad-option',
      '--student-layers applies to a student that gets a fresh head, not to a classifier kept whole.',
      'Leave --student-layers out, or use a masked-LM student.',
    );
  // Teacher class k is the student's class order[k].
  return { head: 'classifier', order: labels.map((l) => own.indexOf(l)) };
}

/** Count of the numeric weights of an ONNX graph: every initializer of two values or more of a float or
 *  8-bit integer type (int8 weights of a quantized export count once, their scales not at all). */
export function countParameters(bytes: Uint8Array): number {
  const top = readFields(bytes);
  const g = top.find((f) => f.no === 7 && f.wt === WT_LEN);
  if (!g) return 0;
  let total = 0;
  for (const f of readFields(bytes, g.valStart, g.valEnd)) {
    if (f.no !== 5) continue;
    const dims: number[] = [];
    let type = 0;
    for (const t of readFields(bytes, f.valStart, f.valEnd)) {
      if (t.no === 1) {
        if (t.wt === WT_LEN) {
          let pos = t.valStart;
          while (pos < t.valEnd) {
            let v = 0;
            let mul = 1;
            for (;;) {
              const b = bytes[pos++];
              v += (b & 0x7f) * mul;
              if (!(b & 0x80)) break;
              mul *= 128;
            }
            dims.push(v);
          }
        } else dims.push(t.value!);
      } else if (t.no === 2) type = t.value!;
    }
    // FLOAT, UINT8, INT8, FLOAT16, BFLOAT16
    if (![1, 2, 3, 10, 16].includes(type)) continue;
    const n = dims.reduce((a, b) => a * b, 1);
    if (dims.length && n >= 2) total += n;
  }
  return total;
}

// ---- the teacher's logits, computed once ----

const memoryCache = new Map<string, Float32Array[]>();
const MEMORY_ENTRIES = 4;

function cacheKey(file: string, texts: { text: string; pair?: string }[], maxLength: number): string {
  const st = fs.statSync(file);
  const h = crypto
    .createHash('sha256')
    .update(JSON.stringify({ file: path.resolve(file), size: st.size, mtime: st.mtimeMs, maxLength }));
  for (const t of texts)
    h.update(t.text)
      .update('\u0000')
      .update(t.pair ?? '\u0001')
      .update('\u0000');
  return h.digest('hex').slice(0, 24);
}

/** The teacher's logits for every item (in item order), from memory, disk, or one batched pass. */
async function teacherLogits(
  session: RuntimeSession,
  file: string,
  data: TaskData,
  items: Item[],
  k: number,
  maxLength: number,
  padId: number,
  cacheDir: string | false,
  ctx: { signal?: AbortSignal; onProgress?: (p: DistillProgress) => void },
): Promise<{ logits: Float32Array[]; from: DistillOutcome['teacherLogits'] }> {
  const examples = data.dataset.examples as { text: string; pair?: string }[];
  const key = cacheKey(
    file,
    items.map((it) => examples[it.example]),
    maxLength,
  );
  const mem = memoryCache.get(key);
  if (mem) return { logits: mem, from: 'memory' };
  const diskFile = cacheDir === false ? undefined : path.join(cacheDir, `${key}.f32`);
  if (diskFile && fs.existsSync(diskFile)) {
    const buf = fs.readFileSync(diskFile);
    if (buf.byteLength === items.length * k * 4) {
      const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      const logits = items.map((_, i) => all.slice(i * k, (i + 1) * k));
      remember(key, logits);
      touch(diskFile); // most recently used: the last one pruning removes
      return { logits, from: 'disk' };
    }
  }
  const logits: Float32Array[] = new Array(items.length);
  const order = items.map((_, i) => i).sort((a, b) => items[a].t.ids.length - items[b].t.ids.length || a - b);
  const B = 32;
  for (let s = 0; s < order.length; s += B) {
    if (ctx.signal?.aborted) throw new CancelledError();
    const idx = order.slice(s, s + B);
    const r = await session.run(
      modelFeeds(
        session.inputNames,
        idx.map((i) => ({ enc: items[i].t })),
        padId,
      ),
      ['logits'],
    );
    const out = r.logits;
    if (out.data.length !== idx.length * k)
      throw new EngineError(
        'distill-teacher',
        `The teacher's logits have ${out.data.length / idx.length} classes per example, its config names ${k}.`,
        'Check the teacher’s config.json (id2label).',
      );
    idx.forEach((i, b) => (logits[i] = out.data.slice(b * k, (b + 1) * k)));
    ctx.onProgress?.({ phase: 'teacher', done: Math.min(order.length, s + B), total: order.length });
    await yieldToEventLoop();
  }
  remember(key, logits);
  if (diskFile) {
    try {
      fs.mkdirSync(path.dirname(diskFile), { recursive: true });
      const all = new Float32Array(items.length * k);
      logits.forEach((l, i) => all.set(l, i * k));
      fs.writeFileSync(`${diskFile}.tmp`, new Uint8Array(all.buffer));
      fs.renameSync(`${diskFile}.tmp`, diskFile);
      pruneTeacherCache(path.dirname(diskFile));
    } catch {
      /* a cache that cannot be written is only slower next time */
    }
  }
  return { logits, from: 'computed' };
}

function remember(key: string, logits: Float32Array[]): void {
  memoryCache.set(key, logits);
  while (memoryCache.size > MEMORY_ENTRIES) memoryCache.delete(memoryCache.keys().next().value as string);
}

/** The teacher-logit disk cache keeps its most recently used files up to this many bytes. */
export const TEACHER_CACHE_MAX_BYTES = 256 * 1024 * 1024;

function touch(file: string): void {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch {
    /* only the pruning order suffers */
  }
}

/** Removes the least recently used `.f32` files of the teacher-logit cache until the rest fit in `maxBytes` (the
 *  newest file is always kept). Other files in the folder are left alone. Returns the names removed. */
export function pruneTeacherCache(dir: string, maxBytes = TEACHER_CACHE_MAX_BYTES): string[] {
  let files: { name: string; size: number; mtime: number }[];
  try {
    files = fs
      .readdirSync(dir)
      .filter((n) => n.endsWith('.f32'))
      .map((name) => {
        const st = fs.statSync(path.join(dir, name));
        return { name, size: st.size, mtime: st.mtimeMs };
      })
      .sort((a, b) => b.mtime - a.mtime || a.name.localeCompare(b.name));
  } catch {
    return [];
  }
  const removed: string[] = [];
  let kept = 0;
  let full = false;
  files.forEach((f, i) => {
    kept += f.size;
    full ||= i > 0 && kept > maxBytes; // from the first file that does not fit, every older one goes
    if (!full) return;
    try {
      fs.rmSync(path.join(dir, f.name), { force: true });
      removed.push(f.name);
    } catch {
      /* in use elsewhere: next time */
    }
  });
  return removed;
}

/** Drops the in-memory teacher logits (tests, and "Clear Feature Cache"). */
export function clearTeacherCache(): void {
  memoryCache.clear();
}

export function defaultTeacherCacheDir(): string {
  return path.join(os.tmpdir(), 'bert-lens-distill');
}

// ---- evaluation: both models on the same batches, alternately ----

const MIN_TIMED = 256;
const MAX_PASSES = 16;

async function compare(
  teacher: RuntimeSession,
  student: RuntimeSession,
  items: Item[],
  order: number[] | undefined,
  padT: number,
  padS: number,
  signal?: AbortSignal,
): Promise<{ t: number[][]; s: number[][]; msT: number; msS: number }> {
  const B = 16;
  const sorted = items.map((_, i) => i).sort((a, b) => items[a].s.ids.length - items[b].s.ids.length || a - b);
  const t: number[][] = new Array(items.length);
  const s: number[][] = new Array(items.length);
  let msT = 0;
  let msS = 0;
  const runT = async (idx: number[]) => {
    const t0 = performance.now();
    const r = await teacher.run(
      modelFeeds(
        teacher.inputNames,
        idx.map((i) => ({ enc: items[i].t })),
        padT,
      ),
      ['logits'],
    );
    const dt = performance.now() - t0;
    const k = r.logits.data.length / idx.length;
    idx.forEach((i, b) => (t[i] = Array.from(r.logits.data.subarray(b * k, (b + 1) * k))));
    return dt;
  };
  const runS = async (idx: number[]) => {
    const t0 = performance.now();
    const r = await student.run(
      modelFeeds(
        student.inputNames,
        idx.map((i) => ({ enc: items[i].s })),
        padS,
      ),
      ['logits'],
    );
    const dt = performance.now() - t0;
    const k = r.logits.data.length / idx.length;
    idx.forEach((i, b) => {
      const row = Array.from(r.logits.data.subarray(b * k, (b + 1) * k));
      s[i] = order ? order.map((j) => row[j]) : row;
    });
    return dt;
  };
  // One untimed warm-up batch each (first-run allocations).
  const first = sorted.slice(0, B);
  if (first.length) {
    await runT(first);
    await runS(first);
  }
  // Small test sets are timed over several passes (at least MIN_TIMED examples, at most MAX_PASSES passes).
  const passes = Math.max(1, Math.min(MAX_PASSES, Math.ceil(MIN_TIMED / Math.max(1, sorted.length))));
  let n = 0;
  for (let pass = 0; pass < passes; pass++) {
    for (let at = 0; at < sorted.length; at += B, n++) {
      if (signal?.aborted) throw new CancelledError();
      const idx = sorted.slice(at, at + B);
      if (n % 2 === 0) {
        msT += await runT(idx);
        msS += await runS(idx);
      } else {
        msS += await runS(idx);
        msT += await runT(idx);
      }
      await yieldToEventLoop();
    }
  }
  return { t, s, msT: msT / passes, msS: msS / passes };
}

function fp32Bytes(folder: ModelFolder): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(folder.path, VARIANT_FILES.fp32)));
}

/** Distils `teacher` into `student` on the data's training split; compares both on its test split. */
export async function distill(
  teacher: LoadedModel,
  student: LoadedModel,
  data: TaskData,
  opts: DistillOptions = {},
  ctx: { signal?: AbortSignal; onProgress?: (p: DistillProgress) => void } = {},
): Promise<DistillOutcome> {
  const t0 = performance.now();
  if (data.task !== 'sequence' && data.task !== 'pair')
    throw new EngineError(
      'distill-task',
      `Distillation trains sequence and pair classifiers; this data is for ${data.task}.`,
      'Give a CSV, TSV or JSONL file with a text and a label column.',
    );
  const labels = teacherLabels(teacher.folder, teacher.id);
  const missing = data.dataset.labels.filter((l) => !labels.includes(l));
  if (missing.length) {
    throw new EngineError(
      'distill-labels',
      `The data has label(s) the teacher does not know: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''} (the teacher's labels: ${labels.join(', ')}).`,
      'Use data labelled with the teacher’s labels, or a teacher trained on this data (bert-lens train --mode fine-tune).',
    );
  }
  const sf = student.folder;
  const plan = studentPlan(sf, student.id, labels, opts.studentLayers);
  if (!sf.variants.includes('fp32'))
    throw new EngineError(
      'needs-fp32',
      `The student needs the fp32 variant (onnx/model.onnx) to be trained; ${student.id} has only ${sf.variants.join(', ') || 'no'} variant(s).`,
      'Use a student model folder with onnx/model.onnx (hub ONNX exports such as Xenova/bert-base-uncased have one).',
    );
  const T = opts.temperature ?? DEFAULT_TEMPERATURE;
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  if (!(T > 0) || !Number.isFinite(T))
    throw new EngineError(
      'bad-option',
      `The temperature must be a positive number, not ${T}.`,
      'For example --temperature 2.',
    );
  if (!(alpha >= 0 && alpha <= 1))
    throw new EngineError('bad-option', `α must be between 0 and 1, not ${alpha}.`, 'For example --alpha 0.5.');
  const seed = opts.seed ?? DEFAULT_SEED;
  const epochs = Math.max(1, Math.floor(opts.epochs ?? 3));
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 16));
  const lr = opts.learningRate ?? firstLr(sf.hiddenSize);
  const maxLength = Math.min(opts.maxLength ?? 128, sf.maxLength, teacher.folder.maxLength);
  const { split } = data;
  if (!split.train.length || !split.test.length)
    throw new EngineError('data-too-small', 'The training or test split is empty.', 'Add examples.');

  // ---- student network ----
  ctx.onProgress?.({ phase: 'loading', message: 'Building the student' });
  const encoder = fp32Bytes(sf);
  let net: Uint8Array;
  let pooling: DistillOutcome['pooling'];
  let layers = sf.numLayers;
  if (plan.head === 'fresh') {
    const hidden = findHiddenStateOutputs(inspectGraph(encoder), sf.numLayers);
    if (!hidden)
      throw new EngineError(
        'model-outputs',
        `The hidden states of ${student.id} cannot be located in its ONNX graph.`,
        'Use an unoptimised BERT-family export (onnx/model.onnx of a hub ONNX repository).',
      );
    if (opts.studentLayers !== undefined) {
      const n = Math.floor(opts.studentLayers);
      if (!(n >= 1 && n <= sf.numLayers))
        throw new EngineError(
          'bad-option',
          `--student-layers must be between 1 and ${sf.numLayers} (the student's layers), not ${opts.studentLayers}.`,
          `For example --student-layers ${Math.max(1, Math.floor(sf.numLayers / 2))}.`,
        );
      layers = n;
    }
    pooling =
      opts.pooling && opts.pooling !== 'auto'
        ? { kind: opts.pooling, reason: 'as asked' }
        : await choosePooling(student, data, split.train);
    const spec = {
      family: sf.family,
      task: data.task,
      hiddenTensor: hidden[layers],
      hiddenSize: sf.hiddenSize,
      numLabels: labels.length,
      seed,
      pooling: pooling.kind,
      initializerRange:
        typeof sf.config.initializer_range === 'number' ? (sf.config.initializer_range as number) : 0.02,
    };
    net = buildFineTuneModel(encoder, spec).bytes;
  } else {
    net = encoder;
    if (!inspectGraph(encoder).outputs.includes('logits'))
      throw new EngineError(
        'model-outputs',
        `The student classifier ${student.id} has no "logits" output.`,
        'Use a hub-layout classification export.',
      );
  }
  const params = readParameters(net).map((p) => ({ name: p.name, dims: p.dims, data: p.data }));
  const grad = await buildGradientGraph(net, {
    objective: { kind: 'distillation', output: 'logits', temperature: T, alpha },
    wrt: { parameters: params.map((p) => p.name) },
    parametersAsInputs: true,
    contribOps: true, // the session runs on the CPU provider
    geluAsPhi: true,
  });
  const reached = params.filter((p) => grad.outputs.gradients[p.name] !== undefined);

  // ---- tokens, teacher logits ----
  ctx.onProgress?.({ phase: 'loading', message: 'Tokenizing' });
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const items: Item[] = [];
  const ex = data.dataset.examples;
  const pairOf = (i: number) => (data.task === 'pair' ? (ex[i].pair ?? '') : undefined);
  for (const i of [...split.train, ...split.val, ...split.test]) {
    items.push({
      example: i,
      s: truncateEncoded(await student.tokenizer.encode(ex[i].text, pairOf(i)), maxLength),
      t: truncateEncoded(await teacher.tokenizer.encode(ex[i].text, pairOf(i)), maxLength),
      label: labelIndex.get(ex[i].label)!,
    });
    if (items.length % 256 === 0) {
      await yieldToEventLoop();
      if (ctx.signal?.aborted) throw new CancelledError();
    }
  }
  const teacherVariant = teacher.folder.variants.includes('fp32') ? 'fp32' : teacher.variant;
  const teacherFile = path.join(teacher.folder.path, VARIANT_FILES[teacherVariant]);
  const teacherSession = await openSession(teacherFile, 'cpu');
  const session = await openSession(grad.bytes, 'cpu');
  let evalSession: RuntimeSession | undefined;
  try {
    ctx.onProgress?.({ phase: 'loading', message: "Computing the teacher's logits" });
    const k = labels.length;
    const cacheDir = opts.cacheDir === undefined ? defaultTeacherCacheDir() : opts.cacheDir;
    const tl = await teacherLogits(
      teacherSession,
      teacherFile,
      data,
      items,
      k,
      maxLength,
      teacher.tokenizer.padId,
      cacheDir,
      ctx,
    );
    // In the student's class order when it keeps its own head.
    const soft = plan.order
      ? tl.logits.map((row) => {
          const r = new Float32Array(k);
          plan.order!.forEach((j, c) => (r[j] = row[c]));
          return r;
        })
      : tl.logits;
    const goldOf = (it: Item) => (plan.order ? plan.order[it.label] : it.label);
    const trainSet = new Set(split.train);
    const valSet = new Set(split.val);
    const trainIdx = items.map((it, i) => (trainSet.has(it.example) ? i : -1)).filter((i) => i >= 0);
    const valIdx = items.map((it, i) => (valSet.has(it.example) ? i : -1)).filter((i) => i >= 0);

    // ---- training ----
    const opt = new AdamW(params, { weightDecay: opts.weightDecay ?? 0.01 });
    const stepsPerEpoch = Math.ceil(trainIdx.length / batchSize);
    const totalSteps = stepsPerEpoch * epochs;
    const padS = student.tokenizer.padId;
    const history: EpochRecord[] = [];
    let best = { epoch: 0, metric: -Infinity, loss: Infinity };
    let bestParams: Float32Array[] | undefined;
    let cancelled = false;
    let seen = 0;
    const tStart = performance.now();
    for (let epoch = 1; epoch <= epochs && !cancelled; epoch++) {
      const batches = bucketedBatches(
        trainIdx.map((i) => items[i].s.ids.length),
        batchSize,
        createRng(seed * 7919 + epoch),
      );
      let lossSum = 0;
      let lossN = 0;
      for (const b of batches) {
        if (ctx.signal?.aborted) {
          cancelled = true;
          break;
        }
        const idx = b.map((j) => trainIdx[j]);
        const feeds: Record<string, InputTensor> = {
          ...modelFeeds(
            session.inputNames,
            idx.map((i) => ({ enc: items[i].s })),
            padS,
          ),
          [OBJECTIVE_INPUTS.labels(0)]: {
            type: 'int64',
            data: BigInt64Array.from(idx.map((i) => BigInt(goldOf(items[i])))),
            dims: [idx.length],
          },
          [OBJECTIVE_INPUTS.teacher]: {
            type: 'float32',
            data: concatRows(
              idx.map((i) => soft[i]),
              k,
            ),
            dims: [idx.length, k],
          },
        };
        for (const p of params) feeds[p.name] = { type: 'float32', data: p.data, dims: p.dims };
        const r = await session.run(feeds, [grad.outputs.loss, ...reached.map((p) => grad.outputs.gradients[p.name])]);
        const loss = r[grad.outputs.loss].data[0];
        lossSum += loss * idx.length;
        lossN += idx.length;
        const stepLr = linearScheduleLr(lr, opt.stepCount, totalSteps);
        opt.step(
          params.map((p) =>
            grad.outputs.gradients[p.name] ? r[grad.outputs.gradients[p.name]].data : new Float32Array(p.data.length),
          ),
          stepLr,
        );
        seen += idx.length;
        const eps = seen / Math.max(1e-6, (performance.now() - tStart) / 1000);
        ctx.onProgress?.({
          phase: 'step',
          epoch,
          step: opt.stepCount,
          totalSteps,
          loss,
          lr: stepLr,
          examplesPerSecond: eps,
          etaSeconds: ((totalSteps - opt.stepCount) * batchSize) / Math.max(1e-6, eps),
        });
        await yieldToEventLoop();
      }
      if (cancelled) break;
      // ---- validation (accuracy on the gold labels) ----
      ctx.onProgress?.({ phase: 'evaluating', what: 'validation' });
      const vIdx = valIdx.length ? valIdx : trainIdx;
      const v = await openSession(writeParameters(net, params), 'cpu');
      let correct = 0;
      const vLogits: Float32Array[] = [];
      try {
        for (let s = 0; s < vIdx.length; s += 32) {
          if (ctx.signal?.aborted) {
            cancelled = true;
            break;
          }
          const idx = vIdx.slice(s, s + 32);
          const r = await v.run(
            modelFeeds(
              v.inputNames,
              idx.map((i) => ({ enc: items[i].s })),
              padS,
            ),
            ['logits'],
          );
          idx.forEach((i, b) => {
            const z = r.logits.data.slice(b * k, (b + 1) * k);
            vLogits.push(z);
            correct += argmax(z) === goldOf(items[i]) ? 1 : 0;
          });
        }
      } finally {
        await v.dispose();
      }
      if (cancelled) break;
      const valAccuracy = correct / vIdx.length;
      history.push({ epoch, train_loss: lossN ? lossSum / lossN : 0, val_metric: valAccuracy });
      // Best: the higher validation accuracy; on a tie (small validation sets), the lower distillation loss.
      const valLoss = distillationLoss(
        vLogits,
        vIdx.map((i) => soft[i]),
        vIdx.map((i) => goldOf(items[i])),
        T,
        alpha,
      );
      const isBest =
        valAccuracy > best.metric + 1e-9 || (Math.abs(valAccuracy - best.metric) <= 1e-9 && valLoss < best.loss);
      if (isBest) {
        best = { epoch, metric: valAccuracy, loss: valLoss };
        bestParams = params.map((p) => p.data.slice());
      }
      ctx.onProgress?.({ phase: 'epoch', epoch, trainLoss: lossN ? lossSum / lossN : 0, valAccuracy, best: isBest });
    }
    if (!bestParams) throw new CancelledError();
    const bytes = writeParameters(
      net,
      params.map((p, i) => ({ ...p, data: bestParams![i] })),
    );

    // ---- test: teacher vs student ----
    ctx.onProgress?.({ phase: 'evaluating', what: 'test' });
    evalSession = await openSession(bytes, 'cpu');
    const testSet = new Set(split.test);
    const testItems = items.filter((it) => testSet.has(it.example));
    const cmp = await compare(teacherSession, evalSession, testItems, plan.order, teacher.tokenizer.padId, padS);
    const gold = testItems.map((it) => it.label);
    const teacherMetrics = computeMetrics(
      gold,
      cmp.t.map((z) => argmax(z)),
      labels,
    );
    const studentMetrics = computeMetrics(
      gold,
      cmp.s.map((z) => argmax(z)),
      labels,
    );
    const n = testItems.length;
    const teacherSide: DistillSide = {
      model: teacher.id,
      accuracy: teacherMetrics.accuracy,
      macro_f1: teacherMetrics.macroF1,
      ms_per_example: cmp.msT / n,
      parameters: countParameters(new Uint8Array(fs.readFileSync(teacherFile))),
      size_bytes: fs.statSync(teacherFile).size,
      layers: teacher.folder.numLayers,
      variant: teacherVariant,
    };
    const studentSide: DistillSide = {
      model: student.id,
      accuracy: studentMetrics.accuracy,
      macro_f1: studentMetrics.macroF1,
      ms_per_example: cmp.msS / n,
      parameters: countParameters(bytes),
      size_bytes: bytes.byteLength,
      layers,
      variant: 'fp32',
    };
    const layerKey = sf.family === 'distilbert' ? 'n_layers' : 'num_hidden_layers';
    const studentFolder: ModelFolder = { ...sf, numLayers: layers, config: { ...sf.config, [layerKey]: layers } };
    return {
      labels,
      teacher: teacherSide,
      student: studentSide,
      teacherMetrics,
      studentMetrics,
      bytes,
      studentFolder,
      history,
      bestEpoch: best.epoch,
      cancelled,
      temperature: T,
      alpha,
      epochs,
      learningRate: lr,
      maxLength,
      pooling,
      studentHead: plan.head,
      teacherLogits: tl.from,
      trainSize: split.train.length,
      valSize: split.val.length,
      testSize: split.test.length,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await session.dispose();
    await teacherSession.dispose();
    await evalSession?.dispose();
  }
}

function concatRows(rows: Float32Array[], k: number): Float32Array {
  const out = new Float32Array(rows.length * k);
  rows.forEach((r, i) => out.set(r, i * k));
  return out;
}
