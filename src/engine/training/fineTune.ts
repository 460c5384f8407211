// Fine-tuning: the whole encoder (or its top K layers, or the head alone) trained with the backward graph from
// src/engine/grad, AdamW and a linear warm-up/decay schedule, for the four shapes (sequence, pair, token, QA).
// Deterministic on the CPU for a seed (seeded head, batches and head-dropout masks). A long text trains and is
// judged by its windows, as `classify` reads it. Progress per optimiser step, validation per epoch with early
// stopping, cancel keeps the best epoch, resume from the last epoch's checkpoint.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelledError, EngineError } from '../errors';
import { OBJECTIVE_INPUTS } from '../grad/objectives';
import type { LoadedModel } from '../model';
import { VARIANT_FILES } from '../models/modelFolder';
import { findHiddenStateOutputs, inspectGraph } from '../onnx/graph';
import { type InputTensor, type RuntimeSession, openSession } from '../runtime';
import { type Encoded, encodeWindows } from '../tokenizer';
import { IGNORE_INDEX, alignLabels, answerPositions, bestSpan, pieceWords, wordPredictions } from './alignment';
import { IMBALANCE_RATIO } from './data/dataChecks';
import { dropoutMasks, dropoutSeed, headDropoutRate, headDropoutSites } from './dropout';
import { truncateEncoded } from './extractor';
import {
  type GraphParameter,
  type HeadParameter,
  buildFineTuneModel,
  readParameters,
  writeParameters,
} from './fineTuneGraph';
import { quantizeDynamic } from './fineTuneExport';
import { classWeightsFor, yieldToEventLoop } from './heads';
import { argmax, computeMetrics } from './metrics';
import { type Candidates, type Recommendation, averageWords, recommend, scoreCandidates } from './candidates';
import { EncoderFeatureExtractor } from './extractor';
import { bucketedBatches, linearScheduleLr } from './optimizer';
import { TrainStep, openEvalGraph, openTrainingGraph } from './trainStep';
import { createRng } from './random';
import { DEFAULT_SEED } from './data/split';
import type { TaskData, FineTuneTask } from './taskData';
import { entityScores, squadScores } from './taskMetrics';
import { majorityTagBaseline, repairIob2 } from './tokenData';
import { runBaselines } from './train';
import type { Metrics } from './types';

export type TrainLayers = 'all' | 'head' | number;

export interface FineTuneOptions {
  epochs?: number;
  /** Peak learning rate (default 1e-4 for small encoders such as the embedded one, 5e-5 for base size). */
  learningRate?: number;
  /** Examples per optimiser step (default 16). */
  batchSize?: number;
  /** Examples per session run; batchSize / microBatch steps are accumulated (default = batchSize). */
  microBatch?: number;
  trainLayers?: TrainLayers;
  freezeEmbeddings?: boolean;
  seed?: number;
  /** Seed of the split (when the data is one file) and of the baselines and candidates scored on it (default:
   *  `seed`). Fixing it while `seed` varies retrains on the same split with other initialisations, batches and
   *  dropout masks. */
  splitSeed?: number;
  weightDecay?: number;
  /** Tokens per input (default 128). */
  maxLength?: number;
  /** QA: tokens shared by consecutive windows of a long context (default maxLength / 4). */
  docStride?: number;
  /** Token task: label every piece of a word (default: the first piece only, the others ignored). */
  allPieces?: boolean;
  /** Epochs without a better validation metric before stopping (default 2). */
  patience?: number;
  /** 'auto' (default): balanced class weights when the largest class is ≥ 3× the smallest — per class for
   *  sequence and pair tasks; per tag for token classification (judged on the tags of the training words), with
   *  weights n / (k · n_tag) over the labelled word pieces of the training split, fed to the cross-entropy as
   *  torch's CrossEntropyLoss(weight=…) does. 'balanced': always. 'none': never. QA has no classes. */
  classWeights?: 'auto' | 'balanced' | 'none';
  /** Where the per-epoch checkpoint goes (default: under the OS temp folder, keyed by data, model and options). */
  checkpointDir?: string;
  /** Continue from the last epoch's checkpoint when one matches. */
  resume?: boolean;
  /** Also evaluate the int8 export on the test split (default true). */
  evaluateQuantized?: boolean;
  /** Compute baselines (default true). */
  baselines?: boolean;
  /** Sequence/pair: also score the frozen, hybrid and TF-IDF candidates on the same split, and recommend one on
   *  validation (default: as `baselines`). */
  candidates?: boolean;
  /** Sequence heads: 'cls' (the family's convention), 'mean' (masked mean of the last hidden state), or 'auto'
   *  (default): 'cls' unless the encoder's [CLS] states of a few training texts are near-identical (cosine ≥
   *  0.98, an encoder pretrained without a sentence-level task), then 'mean'. */
  pooling?: 'auto' | 'cls' | 'mean';
  /** Dropout on the head's input features while training (dropout.ts), as the family's *ForSequenceClassification
   *  and *ForTokenClassification apply it; never at inference. Default: the rate in the model's config.json
   *  (classifier_dropout, else hidden_dropout_prob; DistilBERT's seq_classif_dropout; ALBERT's
   *  classifier_dropout_prob), 0.1 without one. 0 turns it off (the reference-gradient tests). */
  dropout?: number;
  /** Single-text sequence tasks: a text longer than maxLength is read as windows (stride maxLength / 4, exactly as
   *  `classify` reads it): each window trains with the text's label, and the text's prediction is the mean of its
   *  windows' logits ('windows', default). 'truncate': the first maxLength tokens only. */
  longTexts?: 'windows' | 'truncate';
}

/** One optimiser step, as fine-tuning and distillation report it. */
export interface StepProgress {
  phase: 'step';
  epoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  examplesPerSecond: number;
  etaSeconds: number;
}

export type FineTuneProgress =
  | { phase: 'loading'; message: string }
  | StepProgress
  | { phase: 'epoch'; epoch: number; trainLoss: number; valMetric: number; best: boolean }
  | { phase: 'evaluating'; what: 'validation' | 'test' | 'quantized' | 'baselines' | 'candidates' };

/** What a progress line says while a fine-tuning run evaluates (the CLI and the sidebar). */
export function evaluatingMessage(what: Extract<FineTuneProgress, { phase: 'evaluating' }>['what']): string {
  switch (what) {
    case 'validation':
      return 'Evaluating on the validation split';
    case 'test':
      return 'Evaluating the best epoch on the test split';
    case 'quantized':
      return 'Evaluating the int8 copy on the test split';
    case 'baselines':
      return 'Training the baselines on the same split';
    case 'candidates':
      return 'Scoring the frozen, hybrid and TF-IDF candidates';
  }
}

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  val_metric: number;
}

export type TaskMetrics =
  | { accuracy: number; macro_f1: number }
  | { precision: number; recall: number; f1: number }
  | { exact: number; f1: number };

export interface FineTuneOutcome {
  task: FineTuneTask;
  labels: string[];
  /** The best epoch's fp32 network (head included), ready to export. */
  bytes: Uint8Array;
  history: EpochRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  cancelled: boolean;
  resumedFrom?: number;
  metrics: TaskMetrics;
  /** The same metrics with the int8 export. */
  quantizedMetrics?: TaskMetrics;
  baselines: Record<string, TaskMetrics>;
  /** The best epoch's metrics on the validation split (absent without one). */
  valMetrics?: TaskMetrics;
  /** Sequence/pair: frozen, fine-tuned, hybrid and TF-IDF on the same split (candidates.ts), and the pick. */
  candidates?: Candidates;
  recommendation?: Recommendation;
  /** Sequence tasks: the full metrics (confusion matrix…) for reports, the baselines' too, and each test
   *  example's prediction (index into the dataset's examples). */
  sequenceMetrics?: Metrics;
  sequenceBaselines?: { majority: Metrics; tfidf_lr: Metrics };
  testPredictions?: { index: number; label: number; predicted: number; probabilities: number[] }[];
  trainSize: number;
  valSize: number;
  testSize: number;
  trainable: { parameters: number; values: number };
  /** Sequence tasks: the pooling the head uses, and why. */
  pooling?: { kind: 'cls' | 'mean'; reason: string };
  /** The class weights the loss used (one per label, in `labels` order), or none (unweighted). */
  classWeights?: number[];
  /** The head-dropout rate training used (0: none). */
  dropout: number;
  /** Single-text sequence tasks: how long texts were read. */
  longTexts?: 'windows' | 'truncate';
  /** Training inputs per epoch: windows (sequence, QA) or texts. */
  trainWindows: number;
  examplesPerSecond: number;
  seconds: number;
  maxLength: number;
  learningRate: number;
  epochs: number;
  checkpointDir: string;
}

interface Item {
  example: number;
  enc: Encoded;
  /** Sequence: class; token: per-piece labels; QA: start/end piece. */
  label?: number;
  labels?: number[];
  start?: number;
  end?: number;
}

async function pause(signal?: AbortSignal): Promise<void> {
  await yieldToEventLoop();
  if (signal?.aborted) throw new CancelledError();
}

const firstLr = (hidden: number) => (hidden >= 512 ? 5e-5 : 1e-4);

/** Which metric validation maximises: accuracy (sequence), entity F1 (token), F1 (QA). */
function headline(task: FineTuneTask, m: TaskMetrics): number {
  if (task === 'sequence' || task === 'pair') return (m as { accuracy: number }).accuracy;
  return (m as { f1: number }).f1;
}

function contextSeq(enc: Encoded): number {
  return enc.sequenceIds.includes(1) ? 1 : 0;
}

/** Encodes every example of the task into model inputs with labels (QA: one item per window). */
async function encodeItems(
  data: TaskData,
  m: LoadedModel,
  labels: string[],
  maxLength: number,
  docStride: number,
  allPieces: boolean,
  windows: boolean,
  signal?: AbortSignal,
): Promise<Item[]> {
  const tk = m.tokenizer;
  const items: Item[] = [];
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  if (data.task === 'sequence' && windows) {
    const stride = Math.max(1, Math.floor(maxLength / 4)); // as classify reads a long text
    for (let i = 0; i < data.dataset.examples.length; i++) {
      const e = data.dataset.examples[i];
      const label = labelIndex.get(e.label)!;
      for (const w of await encodeWindows(tk, e.text, maxLength, stride))
        items.push({ example: i, enc: w.encoded, label });
      if (i % 256 === 255) await pause(signal);
    }
  } else if (data.task === 'sequence' || data.task === 'pair') {
    for (let i = 0; i < data.dataset.examples.length; i++) {
      const e = data.dataset.examples[i];
      items.push({
        example: i,
        enc: truncateEncoded(await tk.encode(e.text, data.task === 'pair' ? (e.pair ?? '') : undefined), maxLength),
        label: labelIndex.get(e.label)!,
      });
      if (i % 256 === 255) await pause(signal);
    }
  } else if (data.task === 'token') {
    for (let i = 0; i < data.dataset.examples.length; i++) {
      const e = data.dataset.examples[i];
      const enc = truncateEncoded(await tk.encode(e.text), maxLength);
      items.push({
        example: i,
        enc,
        labels: alignLabels(
          enc,
          e.spans,
          e.tags.map((t) => labelIndex.get(t)!),
          allPieces,
        ),
      });
      if (i % 256 === 255) await pause(signal);
    }
  } else if (data.task === 'qa') {
    for (let i = 0; i < data.dataset.examples.length; i++) {
      const e = data.dataset.examples[i];
      const windows = await encodeWindows(tk, e.context, maxLength, docStride, e.question);
      const a = e.answers[0];
      for (const w of windows) {
        let start = 0;
        let end = 0;
        if (a) {
          [start, end] = answerPositions(w.encoded, contextSeq(w.encoded), a.start, a.start + a.text.length);
        }
        items.push({ example: i, enc: w.encoded, start, end });
      }
      if (i % 64 === 63) await pause(signal);
    }
  }
  return items;
}

export function modelFeeds(
  inputNames: readonly string[],
  batch: readonly { enc: Encoded }[],
  padId: number,
): Record<string, InputTensor> {
  const len = Math.max(...batch.map((b) => b.enc.ids.length));
  const n = batch.length;
  const ids = new BigInt64Array(n * len).fill(BigInt(padId));
  const mask = new BigInt64Array(n * len);
  const types = new BigInt64Array(n * len);
  batch.forEach((b, r) => {
    for (let i = 0; i < b.enc.ids.length; i++) {
      ids[r * len + i] = BigInt(b.enc.ids[i]);
      mask[r * len + i] = 1n;
      types[r * len + i] = BigInt(b.enc.typeIds[i] ?? 0);
    }
  });
  const feeds: Record<string, InputTensor> = {};
  for (const name of inputNames) {
    if (name === 'input_ids') feeds[name] = { type: 'int64', data: ids, dims: [n, len] };
    else if (name === 'attention_mask') feeds[name] = { type: 'int64', data: mask, dims: [n, len] };
    else if (name === 'token_type_ids') feeds[name] = { type: 'int64', data: types, dims: [n, len] };
    else if (name === 'position_ids') {
      const pos = new BigInt64Array(n * len);
      for (let r = 0; r < n; r++) for (let i = 0; i < len; i++) pos[r * len + i] = BigInt(i);
      feeds[name] = { type: 'int64', data: pos, dims: [n, len] };
    }
  }
  return feeds;
}

function labelFeeds(
  task: FineTuneTask,
  batch: Item[],
  weights?: Float64Array,
  tagWeights?: Float32Array,
): Record<string, InputTensor> {
  const n = batch.length;
  if (task === 'sequence' || task === 'pair') {
    const f: Record<string, InputTensor> = {
      [OBJECTIVE_INPUTS.labels(0)]: {
        type: 'int64',
        data: BigInt64Array.from(batch.map((b) => BigInt(b.label!))),
        dims: [n],
      },
    };
    if (weights)
      f[OBJECTIVE_INPUTS.weights] = {
        type: 'float32',
        data: Float32Array.from(batch.map((b) => weights[b.label!])),
        dims: [n],
      };
    return f;
  }
  if (task === 'token') {
    const len = Math.max(...batch.map((b) => b.enc.ids.length));
    const l = new BigInt64Array(n * len).fill(BigInt(IGNORE_INDEX));
    batch.forEach((b, r) => b.labels!.forEach((v, i) => (l[r * len + i] = BigInt(v))));
    const f: Record<string, InputTensor> = { [OBJECTIVE_INPUTS.labels(0)]: { type: 'int64', data: l, dims: [n, len] } };
    if (tagWeights) f[OBJECTIVE_INPUTS.classWeights] = { type: 'float32', data: tagWeights, dims: [tagWeights.length] };
    return f;
  }
  return {
    [OBJECTIVE_INPUTS.labels(0)]: {
      type: 'int64',
      data: BigInt64Array.from(batch.map((b) => BigInt(b.start!))),
      dims: [n],
    },
    [OBJECTIVE_INPUTS.labels(1)]: {
      type: 'int64',
      data: BigInt64Array.from(batch.map((b) => BigInt(b.end!))),
      dims: [n],
    },
  };
}

/** Parameters fed to the step: the trainable ones per the mode. Top-K: those not needed to compute the hidden
 *  state below the K top layers. Freeze embeddings: those needed for hidden state 0. */
export function selectTrainable(
  bytes: Uint8Array,
  params: GraphParameter[],
  head: HeadParameter[],
  numLayers: number,
  mode: TrainLayers,
  freezeEmbeddings: boolean,
): Set<string> {
  const headNames = new Set(head.map((h) => h.name));
  if (mode === 'head') return headNames;
  const info = inspectGraph(bytes);
  const hidden = findHiddenStateOutputs(info, numLayers);
  const ancestorsInputs = (t: string): Set<string> => {
    const seen = new Set<number>();
    const names = new Set<string>();
    const stack = [t];
    while (stack.length) {
      const p = info.producer.get(stack.pop()!);
      if (p === undefined || seen.has(p)) continue;
      seen.add(p);
      for (const i of info.nodes[p].inputs) {
        names.add(i);
        stack.push(i);
      }
    }
    return names;
  };
  let frozen = new Set<string>();
  if (typeof mode === 'number') {
    if (!hidden)
      throw new EngineError(
        'model-outputs',
        'The layers of this export cannot be located, so --train-layers top-K is not available.',
        'Use --train-layers all or head.',
      );
    const k = Math.max(0, Math.min(numLayers, Math.floor(mode)));
    frozen = ancestorsInputs(hidden[numLayers - k]);
  } else if (freezeEmbeddings) {
    if (!hidden)
      throw new EngineError(
        'model-outputs',
        'The embeddings of this export cannot be located, so they cannot be frozen.',
        'Train all parameters.',
      );
    frozen = ancestorsInputs(hidden[0]);
  }
  if (typeof mode === 'number' && freezeEmbeddings && hidden) for (const n of ancestorsInputs(hidden[0])) frozen.add(n);
  return new Set(params.filter((p) => headNames.has(p.name) || !frozen.has(p.name)).map((p) => p.name));
}

function fingerprint(o: Record<string, unknown>): string {
  return crypto.createHash('sha256').update(JSON.stringify(o)).digest('hex').slice(0, 16);
}

interface CheckpointState {
  fingerprint: string;
  epoch: number;
  history: EpochRecord[];
  best: { epoch: number; metric: number };
  sinceBest: number;
  step: number;
  names: string[];
  sizes: number[];
}

function writeCheckpoint(
  dir: string,
  state: CheckpointState,
  params: Float32Array[],
  m: Float32Array[],
  v: Float32Array[],
  best: Float32Array[],
): void {
  fs.mkdirSync(dir, { recursive: true });
  const parts = [...params, ...m, ...v, ...best];
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const buf = Buffer.alloc(total);
  let at = 0;
  for (const p of parts) {
    buf.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  // Write then rename: a cancel or crash mid-write leaves the previous checkpoint whole.
  fs.writeFileSync(path.join(dir, 'tensors.bin.tmp'), buf);
  fs.writeFileSync(path.join(dir, 'state.json.tmp'), JSON.stringify(state));
  fs.renameSync(path.join(dir, 'tensors.bin.tmp'), path.join(dir, 'tensors.bin'));
  fs.renameSync(path.join(dir, 'state.json.tmp'), path.join(dir, 'state.json'));
}

function readCheckpoint(dir: string, fp: string): { state: CheckpointState; tensors: Float32Array[][] } | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as CheckpointState;
    if (state.fingerprint !== fp) return undefined;
    const buf = fs.readFileSync(path.join(dir, 'tensors.bin'));
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    let at = 0;
    const groups: Float32Array[][] = [[], [], [], []];
    for (let g = 0; g < 4; g++) {
      for (const s of state.sizes) {
        groups[g].push(all.slice(at, at + s));
        at += s;
      }
    }
    if (at !== all.length) return undefined;
    return { state, tensors: groups };
  } catch {
    return undefined;
  }
}

/** Runs a forward-only session over items in batches; returns each item's output rows. */
async function forwardAll(
  session: RuntimeSession,
  items: Item[],
  outputs: string[],
  padId: number,
  batchSize: number,
  signal?: AbortSignal,
  extra: Record<string, InputTensor> = {},
): Promise<Float32Array[][]> {
  const res: Float32Array[][] = items.map(() => []);
  const order = items.map((_, i) => i).sort((a, b) => items[a].enc.ids.length - items[b].enc.ids.length || a - b);
  for (let s = 0; s < order.length; s += batchSize) {
    if (signal?.aborted) throw new CancelledError();
    const idx = order.slice(s, s + batchSize);
    const batch = idx.map((i) => items[i]);
    const r = await session.run({ ...modelFeeds(session.inputNames, batch, padId), ...extra }, outputs);
    outputs.forEach((o) => {
      const t = r[o];
      const per = t.data.length / batch.length;
      idx.forEach((i, b) => res[i].push(t.data.slice(b * per, (b + 1) * per)));
    });
  }
  return res;
}

/** Task metrics of a forward graph on a set of examples: a model's bytes (a session opened for the call), or an
 *  open session whose trained parameters are inputs (EvalGraph) with their values. */
async function evaluate(
  net: Uint8Array | { session: RuntimeSession; feeds: Record<string, InputTensor> },
  data: TaskData,
  items: Item[],
  exampleIdx: number[],
  labels: string[],
  padId: number,
  signal?: AbortSignal,
): Promise<{ metrics: TaskMetrics; full?: Metrics; predictions?: FineTuneOutcome['testPredictions'] }> {
  const want = new Set(exampleIdx);
  const subset = items.filter((it) => want.has(it.example));
  const own = net instanceof Uint8Array;
  const session = own ? await openSession(net, 'cpu') : net.session;
  const extra = own ? {} : net.feeds;
  try {
    if (data.task === 'sequence' || data.task === 'pair') {
      const rows = await forwardAll(session, subset, ['logits'], padId, 32, signal, extra);
      // One prediction per example: the mean of its windows' logits (one window when the text fits).
      const byExample = new Map<number, { item: Item; sum: Float32Array; n: number }>();
      subset.forEach((it, j) => {
        const z = rows[j][0];
        const cur = byExample.get(it.example);
        if (!cur) byExample.set(it.example, { item: it, sum: Float32Array.from(z), n: 1 });
        else {
          for (let c = 0; c < z.length; c++) cur.sum[c] += z[c];
          cur.n++;
        }
      });
      const groups = [...byExample.values()];
      const out = groups.map((g) => [g.sum.map((v) => v / g.n)]);
      const yTrue = groups.map((g) => g.item.label!);
      const yPred = out.map((o) => argmax(o[0]));
      const full = computeMetrics(yTrue, yPred, labels);
      const predictions = groups.map(({ item: it }, j) => {
        const z = out[j][0];
        const mx = Math.max(...z);
        const e = Array.from(z, (v) => Math.exp(v - mx));
        const sum = e.reduce((a, b) => a + b, 0);
        return { index: it.example, label: it.label!, predicted: yPred[j], probabilities: e.map((v) => v / sum) };
      });
      return { metrics: { accuracy: full.accuracy, macro_f1: full.macroF1 }, full, predictions };
    }
    if (data.task === 'token') {
      const out = await forwardAll(session, subset, ['logits'], padId, 32, signal, extra);
      const k = labels.length;
      const gold: string[][] = [];
      const pred: string[][] = [];
      subset.forEach((it, j) => {
        const e = data.dataset.examples[it.example];
        const logits = out[j][0];
        const pieceClass = it.enc.ids.map((_, i) => argmax(logits.subarray(i * k, (i + 1) * k)));
        const words = pieceWords(it.enc, e.spans);
        const wp = wordPredictions(words, pieceClass, e.tokens.length, 0);
        gold.push(e.tags);
        pred.push(repairIob2(wp.map((c) => labels[c])));
      });
      const s = entityScores(gold, pred);
      return { metrics: { precision: s.precision, recall: s.recall, f1: s.f1 } };
    }
    if (data.task !== 'qa') throw new EngineError('internal', `Unknown task ${data.task}.`);
    const out = await forwardAll(session, subset, ['start_logits', 'end_logits'], padId, 32, signal, extra);
    const best = new Map<number, { text: string; score: number; nullScore: number }>();
    subset.forEach((it, j) => {
      const e = data.dataset.examples[it.example];
      const [st, en] = out[j];
      const span = bestSpan(it.enc, contextSeq(it.enc), st, en);
      const nullScore = st[0] + en[0];
      const cur = best.get(it.example) ?? { text: '', score: -Infinity, nullScore: Infinity };
      cur.nullScore = Math.min(cur.nullScore, nullScore);
      if (span && span.score > cur.score)
        ((cur.score = span.score), (cur.text = e.context.slice(span.start, span.end)));
      best.set(it.example, cur);
    });
    const anyImpossible = exampleIdx.some((i) => data.dataset.examples[i].answers.length === 0);
    const preds = exampleIdx.map((i) => {
      const b = best.get(i);
      if (!b) return '';
      return anyImpossible && b.nullScore > b.score ? '' : b.text;
    });
    const refs = exampleIdx.map((i) => data.dataset.examples[i].answers.map((a) => a.text));
    return { metrics: squadScores(preds, refs) };
  } finally {
    if (own) await session.dispose();
  }
}

function labelsOf(data: TaskData): string[] {
  if (data.task === 'qa') return [];
  return data.dataset.labels;
}

/** 'cls' unless the last layer's first-token states of up to 8 training texts are near-identical. */
export async function choosePooling(
  model: LoadedModel,
  data: TaskData,
  train: number[],
): Promise<{ kind: 'cls' | 'mean'; reason: string }> {
  if (data.task !== 'sequence' && data.task !== 'pair') return { kind: 'cls', reason: '' };
  const picks = train.slice(0, 8).map((i) => data.dataset.examples[i]);
  if (picks.length < 2) return { kind: 'cls', reason: 'too few texts to check the [CLS] states' };
  try {
    const enc = await Promise.all(
      picks.map(async (e) =>
        truncateEncoded(await model.tokenizer.encode(e.text, data.task === 'pair' ? (e.pair ?? '') : undefined), 64),
      ),
    );
    const [h] = await model.hiddenStates(enc, [model.folder.numLayers]);
    const [, s, d] = h.dims;
    const v = enc.map((_, b) => {
      const x = h.data.subarray(b * s * d, b * s * d + d);
      const n = Math.hypot(...x) || 1;
      return Array.from(x, (y) => y / n);
    });
    let sum = 0;
    let pairs = 0;
    for (let a = 0; a < v.length; a++)
      for (let b = a + 1; b < v.length; b++) ((sum += v[a].reduce((t, x, k) => t + x * v[b][k], 0)), pairs++);
    const cos = sum / pairs;
    return cos >= 0.98
      ? {
          kind: 'mean',
          reason: `the encoder's [CLS] states barely depend on the text (mean cosine ${cos.toFixed(3)} over ${v.length} training texts), so the head reads the mean of the token states`,
        }
      : { kind: 'cls', reason: `the family's convention ([CLS] state; mean cosine ${cos.toFixed(3)} between texts)` };
  } catch {
    return { kind: 'cls', reason: "the family's convention" };
  }
}

/** Fine-tunes `model` (its fp32 graph) on the task data; returns the best epoch's network and its metrics. */
export async function fineTune(
  model: LoadedModel,
  data: TaskData,
  opts: FineTuneOptions = {},
  ctx: { signal?: AbortSignal; onProgress?: (p: FineTuneProgress) => void } = {},
): Promise<FineTuneOutcome> {
  const t0 = performance.now();
  const folder = model.folder;
  if (!folder.variants.includes('fp32')) {
    throw new EngineError(
      'needs-fp32',
      `Fine-tuning needs the fp32 variant (onnx/model.onnx); this model has only ${folder.variants.join(', ') || 'no'} variant(s).`,
      'Use a model folder with onnx/model.onnx, or --mode frozen to train a head on frozen features.',
    );
  }
  if (folder.family === 'other')
    throw new EngineError(
      'unsupported-family',
      `Fine-tuning supports BERT, DistilBERT, RoBERTa, ALBERT and ELECTRA encoders; this model's type is "${folder.config.model_type ?? 'unknown'}".`,
      'Pick a BERT-family model.',
    );
  const seed = opts.seed ?? DEFAULT_SEED;
  const splitSeed = opts.splitSeed ?? seed;
  const task = data.task;
  const labels = labelsOf(data);
  const maxLength = Math.min(opts.maxLength ?? 128, folder.maxLength);
  const docStride = opts.docStride ?? Math.max(8, Math.floor(maxLength / 4));
  const lr = opts.learningRate ?? firstLr(folder.hiddenSize);
  const epochs = Math.max(1, Math.floor(opts.epochs ?? 3));
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 16));
  const microBatch = Math.max(1, Math.min(batchSize, Math.floor(opts.microBatch ?? batchSize)));
  const accumulation = Math.ceil(batchSize / microBatch);
  const patience = opts.patience ?? 2;
  const trainLayers = opts.trainLayers ?? 'all';
  const dropout = Math.max(0, Math.min(0.9, opts.dropout ?? headDropoutRate(folder.family, task, folder.config)));
  const longTexts = opts.longTexts ?? 'windows';
  const { split } = data;
  if (!split.train.length) throw new EngineError('data-too-small', 'The training split is empty.', 'Add examples.');

  // ---- network and gradient graph ----
  ctx.onProgress?.({ phase: 'loading', message: 'Building the training graph' });
  let encoder: Uint8Array | undefined = new Uint8Array(fs.readFileSync(path.join(folder.path, VARIANT_FILES.fp32)));
  const hidden = findHiddenStateOutputs(inspectGraph(encoder), folder.numLayers);
  if (!hidden)
    throw new EngineError(
      'model-outputs',
      `The last hidden state of ${model.id} cannot be located in its ONNX graph.`,
      'Use an unoptimised BERT-family export (onnx/model.onnx of a hub ONNX repository).',
    );
  const spec = {
    family: folder.family,
    task,
    hiddenTensor: hidden[folder.numLayers],
    hiddenSize: folder.hiddenSize,
    numLabels: task === 'qa' ? 2 : labels.length,
    seed,
    initializerRange:
      typeof folder.config.initializer_range === 'number' ? (folder.config.initializer_range as number) : 0.02,
  };
  let pooling: FineTuneOutcome['pooling'];
  if (task === 'sequence' || task === 'pair') {
    pooling =
      opts.pooling && opts.pooling !== 'auto'
        ? { kind: opts.pooling, reason: 'as asked' }
        : await choosePooling(model, data, split.train);
  }
  const net = buildFineTuneModel(encoder, { ...spec, pooling: pooling?.kind });
  encoder = undefined; // memory: a base-size export is ~440 MB; only the network's bytes are needed from here
  const params = (() => {
    const all = readParameters(net.bytes); // copies of every weight; the frozen ones are dropped on return
    const trainableNames = selectTrainable(
      net.bytes,
      all,
      net.head,
      folder.numLayers,
      trainLayers,
      opts.freezeEmbeddings ?? false,
    );
    return all.filter((p) => trainableNames.has(p.name)).map((p) => ({ name: p.name, dims: p.dims, data: p.data }));
  })();
  const outputs = task === 'qa' ? ['start_logits', 'end_logits'] : ['logits'];
  const dropoutSites = dropout > 0 ? headDropoutSites(folder.family, task, spec.hiddenTensor) : [];

  // Class weights on imbalance: per class for sequence and pair tasks; per tag for token classification, where
  // the imbalance is judged on the training words' tags and the weights are counted once tokenized.
  const isImbalanced = (counts: number[]) => {
    const present = counts.filter((c) => c > 0);
    return Math.max(...present) >= IMBALANCE_RATIO * Math.min(...present);
  };
  const weighTags =
    task === 'token' &&
    opts.classWeights !== 'none' &&
    (opts.classWeights === 'balanced' ||
      isImbalanced(
        (() => {
          const idx = new Map(labels.map((l, i) => [l, i]));
          const counts = new Array<number>(labels.length).fill(0);
          for (const i of split.train) for (const t of data.dataset.examples[i].tags as string[]) counts[idx.get(t)!]++;
          return counts;
        })(),
      ));
  let weights: Float64Array | undefined;
  if ((task === 'sequence' || task === 'pair') && opts.classWeights !== 'none') {
    const idx = new Map(labels.map((l, i) => [l, i]));
    const y = split.train.map((i) => idx.get((data.dataset.examples[i] as { label: string }).label)!);
    const counts = new Array<number>(labels.length).fill(0);
    for (const c of y) counts[c]++;
    if (opts.classWeights === 'balanced' || isImbalanced(counts))
      weights = classWeightsFor(y, labels.length, 'balanced');
  }
  const graph = await openTrainingGraph(
    net.bytes,
    params.map((p) => p.name),
    {
      kind: 'cross-entropy',
      outputs,
      ignoreIndex: IGNORE_INDEX,
      weights: weights !== undefined,
      classWeights: weighTags,
    },
    { dropout: { sites: dropoutSites, hiddenSize: folder.hiddenSize } },
  );
  const session = graph.session;
  // Validation and test run one forward session, opened once, whose trained parameters are inputs: no model bytes
  // or session per epoch (each would be a copy of every weight).
  const evalGraph = await openEvalGraph(net.bytes, params);
  const paramFeeds = (values: Float32Array[]) =>
    Object.fromEntries(params.map((p, k) => [p.name, { type: 'float32' as const, data: values[k], dims: p.dims }]));
  const trainer = new TrainStep(graph, params, { weightDecay: opts.weightDecay ?? 0.01 });
  const opt = trainer.optimizer;

  try {
    // ---- features ----
    ctx.onProgress?.({ phase: 'loading', message: 'Tokenizing' });
    const items = await encodeItems(
      data,
      model,
      labels,
      maxLength,
      docStride,
      opts.allPieces ?? false,
      longTexts === 'windows',
      ctx.signal,
    );
    const trainSet = new Set(split.train);
    const trainItems = items.filter((it) => trainSet.has(it.example));
    if (task === 'sequence' && trainItems.length > split.train.length)
      ctx.onProgress?.({
        phase: 'loading',
        message: `Reading long texts by windows: ${trainItems.length} training windows from ${split.train.length} texts`,
      });
    const padId = model.tokenizer.padId;
    // Per-tag weights over what the loss sees: the labelled pieces of the training split.
    const tagWeights = weighTags
      ? Float32Array.from(
          classWeightsFor(
            trainItems.flatMap((it) => it.labels!.filter((v) => v !== IGNORE_INDEX)),
            labels.length,
            'balanced',
          ),
        )
      : undefined;

    // ---- optimiser, schedule, checkpoint ----
    const microPerEpoch = Math.ceil(trainItems.length / microBatch);
    const stepsPerEpoch = Math.ceil(microPerEpoch / accumulation);
    const totalSteps = stepsPerEpoch * epochs;
    const fp = fingerprint({
      data: data.dataset.path,
      n: items.length,
      model: model.id,
      folder: folder.path,
      task,
      seed,
      ...(splitSeed !== seed ? { splitSeed } : {}),
      lr,
      epochs,
      batchSize,
      microBatch,
      maxLength,
      trainLayers,
      fe: opts.freezeEmbeddings ?? false,
      allPieces: opts.allPieces ?? false,
      wd: opts.weightDecay ?? 0.01,
      labels,
      cw: opts.classWeights ?? 'auto',
      dropout,
      longTexts,
    });
    const checkpointDir = opts.checkpointDir ?? path.join(os.tmpdir(), 'bert-lens-finetune', fp);
    let history: EpochRecord[] = [];
    let best = { epoch: 0, metric: -Infinity };
    let bestParams: Float32Array[] | undefined;
    let sinceBest = 0;
    let startEpoch = 1;
    let resumedFrom: number | undefined;
    if (opts.resume) {
      const ck = readCheckpoint(checkpointDir, fp);
      if (!ck)
        throw new EngineError(
          'no-checkpoint',
          `No checkpoint of this run to resume from (looked in ${checkpointDir}).`,
          'Run without --resume; a checkpoint is written after each epoch.',
        );
      const [p, m, v, b] = ck.tensors;
      p.forEach((t, k) => params[k].data.set(t));
      opt.importState({ step: ck.state.step, m, v });
      history = ck.state.history;
      best = ck.state.best;
      bestParams = b;
      sinceBest = ck.state.sinceBest;
      startEpoch = ck.state.epoch + 1;
      resumedFrom = ck.state.epoch;
    }

    let stoppedEarly = false;
    let cancelled = false;
    let seen = 0;
    let trainSeconds = 0;
    const tStart = performance.now();
    for (let epoch = startEpoch; epoch <= epochs; epoch++) {
      if (sinceBest >= patience && history.length) {
        stoppedEarly = true;
        break;
      }
      const rng = createRng(seed * 7919 + epoch);
      const batches = bucketedBatches(
        trainItems.map((it) => it.enc.ids.length),
        microBatch,
        rng,
      );
      let lossSum = 0;
      let lossN = 0;
      let inStep = 0;
      for (let b = 0; b < batches.length; b++) {
        if (ctx.signal?.aborted) {
          cancelled = true;
          break;
        }
        const batch = batches[b].map((i) => trainItems[i]);
        const feeds: Record<string, InputTensor> = {
          ...modelFeeds(session.inputNames, batch, padId),
          ...labelFeeds(task, batch, weights, tagWeights),
          ...dropoutMasks(
            dropoutSites,
            dropout,
            {
              batch: batch.length,
              seq: Math.max(...batch.map((it) => it.enc.ids.length)),
              hidden: folder.hiddenSize,
            },
            dropoutSeed(seed, epoch, b),
          ),
        };
        const tb = performance.now();
        const loss = await trainer.micro(feeds, batch.length);
        lossSum += loss * batch.length;
        lossN += batch.length;
        inStep++;
        if (inStep === accumulation || b === batches.length - 1) {
          const stepLr = linearScheduleLr(lr, opt.stepCount, totalSteps);
          trainer.apply(stepLr);
          inStep = 0;
          trainSeconds += (performance.now() - tb) / 1000;
          seen += batch.length;
          const elapsed = (performance.now() - tStart) / 1000;
          const eps = seen / Math.max(1e-6, elapsed);
          const remaining = (totalSteps - opt.stepCount) * batchSize;
          ctx.onProgress?.({
            phase: 'step',
            epoch,
            step: opt.stepCount,
            totalSteps,
            loss,
            lr: stepLr,
            examplesPerSecond: eps,
            etaSeconds: remaining / Math.max(1e-6, eps),
          });
        } else {
          trainSeconds += (performance.now() - tb) / 1000;
          seen += batch.length;
        }
        await yieldToEventLoop();
      }
      if (cancelled) break;
      // ---- validation ----
      ctx.onProgress?.({ phase: 'evaluating', what: 'validation' });
      const valIdx = split.val.length ? split.val : split.train;
      const { metrics } = await evaluate(
        { session: evalGraph, feeds: paramFeeds(params.map((p) => p.data)) },
        data,
        items,
        valIdx,
        labels,
        padId,
        ctx.signal,
      ).catch((e) => {
        if (e instanceof CancelledError) return { metrics: undefined as unknown as TaskMetrics };
        throw e;
      });
      if (!metrics) {
        cancelled = true;
        break;
      }
      const valMetric = headline(task, metrics);
      const record = { epoch, train_loss: lossN ? lossSum / lossN : 0, val_metric: valMetric };
      history.push(record);
      const isBest = valMetric > best.metric + 1e-9;
      if (isBest) {
        best = { epoch, metric: valMetric };
        bestParams = params.map((p) => p.data.slice());
        sinceBest = 0;
      } else sinceBest++;
      ctx.onProgress?.({ phase: 'epoch', epoch, trainLoss: record.train_loss, valMetric, best: isBest });
      const st = opt.exportState();
      writeCheckpoint(
        checkpointDir,
        {
          fingerprint: fp,
          epoch,
          history,
          best,
          sinceBest,
          step: opt.stepCount,
          names: params.map((p) => p.name),
          sizes: params.map((p) => p.data.length),
        },
        params.map((p) => p.data),
        st.m,
        st.v,
        bestParams ?? params.map((p) => p.data),
      );
    }
    await trainer.dispose(); // memory: the training session and AdamW's moments are not needed from here
    if (!bestParams) {
      if (cancelled) throw new CancelledError();
      bestParams = params.map((p) => p.data.slice());
    }
    const bestBytes = writeParameters(
      net.bytes,
      params.map((p, k) => ({ ...p, data: bestParams![k] })),
    );
    net.bytes = new Uint8Array(0); // memory: only the best network's bytes are needed from here

    // ---- test ----
    ctx.onProgress?.({ phase: 'evaluating', what: 'test' });
    const test = await evaluate(
      { session: evalGraph, feeds: paramFeeds(bestParams) },
      data,
      items,
      split.test,
      labels,
      padId,
    );
    let quantizedMetrics: TaskMetrics | undefined;
    if (opts.evaluateQuantized !== false) {
      ctx.onProgress?.({ phase: 'evaluating', what: 'quantized' });
      quantizedMetrics = (await evaluate(quantizeDynamic(bestBytes), data, items, split.test, labels, padId)).metrics;
    }
    const baselines: Record<string, TaskMetrics> = {};
    let sequenceBaselines: FineTuneOutcome['sequenceBaselines'];
    if (opts.baselines !== false) {
      ctx.onProgress?.({ phase: 'evaluating', what: 'baselines' });
      if (data.task === 'sequence' || data.task === 'pair') {
        const idx = new Map(labels.map((l, i) => [l, i]));
        const y = Int32Array.from(data.dataset.examples, (e) => idx.get(e.label)!);
        const b = await runBaselines(data.dataset, y, split, splitSeed);
        sequenceBaselines = b;
        baselines.majority = { accuracy: b.majority.accuracy, macro_f1: b.majority.macroF1 };
        baselines.tfidf_lr = { accuracy: b.tfidf_lr.accuracy, macro_f1: b.tfidf_lr.macroF1 };
      } else if (data.task === 'token') {
        const f = majorityTagBaseline(split.train.map((i) => data.dataset.examples[i]));
        const s = entityScores(
          split.test.map((i) => data.dataset.examples[i].tags),
          split.test.map((i) => f(data.dataset.examples[i].tokens)),
        );
        baselines.majority_tag = { precision: s.precision, recall: s.recall, f1: s.f1 };
      }
    }
    let valMetrics: TaskMetrics | undefined;
    let candidates: Candidates | undefined;
    let recommendation: Recommendation | undefined;
    if (split.val.length)
      valMetrics = (
        await evaluate({ session: evalGraph, feeds: paramFeeds(bestParams) }, data, items, split.val, labels, padId)
      ).metrics;
    // Memory: the evaluation session holds the frozen weights; the candidates below open the encoder again.
    await evalGraph.dispose();
    if (
      !cancelled &&
      (data.task === 'sequence' || data.task === 'pair') &&
      (opts.candidates ?? opts.baselines) !== false
    ) {
      ctx.onProgress?.({ phase: 'evaluating', what: 'candidates' });
      const ds = data.dataset;
      const idx = new Map(labels.map((l, i) => [l, i]));
      const extractor = await EncoderFeatureExtractor.create(model, { shareWeights: true });
      try {
        const pairs = data.task === 'pair' ? ds.examples.map((e) => e.pair ?? '') : undefined;
        const pooled = await extractor.embedBatch(
          ds.examples.map((e) => e.text),
          pairs,
          { signal: ctx.signal },
        );
        const classWeights = opts.classWeights === 'none' ? 'none' : 'balanced';
        candidates = await scoreCandidates({
          signal: ctx.signal,
          dataset: ds,
          y: Int32Array.from(ds.examples, (e) => idx.get(e.label)!),
          split,
          seed: splitSeed,
          pooled,
          classWeights,
          fineTuned: {
            ...(valMetrics ? { val: valMetrics as { accuracy: number; macro_f1: number } } : {}),
            test: test.metrics as { accuracy: number; macro_f1: number },
          },
        });
        recommendation = recommend(candidates, averageWords(ds));
      } finally {
        await extractor.dispose();
      }
    }
    if (!cancelled) fs.rmSync(checkpointDir, { recursive: true, force: true });
    return {
      task,
      labels,
      bytes: bestBytes,
      history,
      bestEpoch: best.epoch,
      stoppedEarly,
      cancelled,
      resumedFrom,
      metrics: test.metrics,
      quantizedMetrics,
      baselines,
      valMetrics,
      candidates,
      recommendation,
      sequenceMetrics: test.full,
      sequenceBaselines,
      testPredictions: test.predictions,
      trainSize: split.train.length,
      valSize: split.val.length,
      testSize: split.test.length,
      pooling,
      classWeights: weights ? Array.from(weights) : tagWeights ? Array.from(tagWeights) : undefined,
      dropout,
      ...(task === 'sequence' ? { longTexts } : {}),
      trainWindows: trainItems.length,
      trainable: { parameters: params.length, values: params.reduce((s, p) => s + p.data.length, 0) },
      examplesPerSecond: seen / Math.max(1e-6, trainSeconds),
      seconds: (performance.now() - t0) / 1000,
      maxLength,
      learningRate: lr,
      epochs,
      checkpointDir,
    };
  } finally {
    await trainer.dispose();
    await evalGraph.dispose();
  }
}
