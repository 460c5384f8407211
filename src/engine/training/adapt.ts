// Domain-adaptive pre-training: continued masked-LM training of a masked-LM model on the user's own text (Gururangan
// et al. 2020, "Don't Stop Pretraining"). BERT's objective as it was pre-trained: 15 % of the tokens chosen, 80 %
// of them replaced by the mask token, 10 % by a random token, 10 % kept, the loss (mean cross-entropy) over the
// chosen positions only; the whole network trained with the backward graph of src/engine/grad, AdamW and a linear
// decay. Before and after, masked-token accuracy and pseudo-perplexity (exp of the mean negative log-likelihood at
// the chosen positions) on held-out lines masked with a fixed seed, so the two numbers see the same corruption.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancelledError, EngineError } from '../errors';
import { type Objective, buildGradientGraph } from '../grad/gradient';
import { OBJECTIVE_INPUTS } from '../grad/objectives';
import type { LoadedModel } from '../model';
import { VARIANT_FILES } from '../models/modelFolder';
import { type InputTensor, type RuntimeSession, openSession } from '../runtime';
import { excludedIds } from '../tasks/maskPreview';
import { IGNORE_INDEX } from './alignment';
import { type Block, type Corpus, packLines, readCorpus, splitLines } from './adaptData';
import { type MaskedBlock, addCounts, emptyCounts, maskBlock } from './adaptMasking';
import type { AdaptSample, AdaptSampleToken, KindCounts, MlmMetrics } from './adaptTypes';
import { readParameters, writeParameters } from './fineTuneGraph';
import { yieldToEventLoop } from './heads';
import { AdamW, bucketedBatches, linearScheduleLr } from './optimizer';
import { createRng } from './random';
import { DEFAULT_SEED } from './data/split';

/** The held-out masking seed: fixed, so that before/after (and two runs) score the same corrupted inputs. */
export const EVAL_MASK_SEED = 12345;

export interface AdaptOptions {
  /** Passes over the training lines (default 1). */
  epochs?: number;
  /** Peak learning rate (default 1e-4 for small encoders such as the embedded one, 5e-5 for base size). */
  learningRate?: number;
  /** Inputs per optimiser step (default 8). */
  batchSize?: number;
  /** Tokens per input, special tokens included (default 128). */
  maxLength?: number;
  /** Split, batch order and training masks (default 42). */
  seed?: number;
  /** Choose whole words (all their pieces) instead of single tokens. */
  wholeWord?: boolean;
  /** Held-out masking seed (default EVAL_MASK_SEED). */
  evalSeed?: number;
  weightDecay?: number;
  /** Seconds between live samples in the progress events (default 1; 0 = every step). */
  sampleInterval?: number;
}

export type { AdaptSample, AdaptSampleToken, MlmMetrics } from './adaptTypes';

export type AdaptProgress =
  | { phase: 'loading'; message: string }
  | { phase: 'evaluating'; which: 'before' | 'after'; done: number; total: number }
  | { phase: 'evaluated'; which: 'before' | 'after'; metrics: MlmMetrics }
  | {
      phase: 'step';
      epoch: number;
      epochs: number;
      step: number;
      totalSteps: number;
      loss: number;
      lr: number;
      chosen: KindCounts;
      etaSeconds: number;
      sample?: AdaptSample;
    }
  | { phase: 'epoch'; epoch: number; trainLoss: number };

export interface AdaptCorpusInfo {
  files: number;
  lines: number;
  trainLines: number;
  heldOutLines: number;
  trainInputs: number;
  heldOutInputs: number;
  trainTokens: number;
  skipped: { file: string; reason: string }[];
  truncated: boolean;
}

export interface AdaptOutcome {
  /** The adapted fp32 network (same graph as the model's onnx/model.onnx, new weights). */
  bytes: Uint8Array;
  before: MlmMetrics;
  after: MlmMetrics;
  /** Chosen positions of each kind over the whole run (every epoch's training masks). */
  chosen: KindCounts;
  /** Chosen positions of each kind in the held-out inputs (the same before and after). */
  heldOutChosen: KindCounts;
  history: { epoch: number; train_loss: number }[];
  corpus: AdaptCorpusInfo;
  steps: number;
  epochs: number;
  learningRate: number;
  batchSize: number;
  maxLength: number;
  seed: number;
  evalSeed: number;
  wholeWord: boolean;
  trainable: { parameters: number; values: number };
  seconds: number;
}

/** Refuses, in one line each, what masked-LM training cannot run on. */
export function checkAdaptable(model: LoadedModel): void {
  const f = model.folder;
  const arch = f.config.architectures?.[0] ?? f.head;
  if (f.head === 'causal-lm') {
    throw new EngineError(
      'wrong-head',
      `Adaptation continues masked-LM pre-training, but ${model.id} is a causal language model (${arch}): it predicts the next token, never a masked one.`,
      'Use a masked-LM model (for example the embedded one, or a *ForMaskedLM hub export).',
    );
  }
  if (f.head !== 'masked-lm' && f.head !== 'pretraining') {
    throw new EngineError(
      'wrong-head',
      `Adaptation needs a masked-LM head, but ${model.id} is ${arch} (${f.head}): it has no vocabulary output to predict masked tokens with.`,
      'Adapt the masked-LM model it was fine-tuned from, then fine-tune the adapted model (train --mode fine-tune --model <adapted folder>).',
    );
  }
  if (model.tokenizer.maskId === undefined) {
    throw new EngineError(
      'no-mask-token',
      `The tokenizer of ${model.id} has no mask token.`,
      'Use a masked-LM model whose tokenizer defines mask_token.',
    );
  }
  if (!f.variants.includes('fp32')) {
    throw new EngineError(
      'needs-fp32',
      `Adaptation trains the fp32 weights (onnx/model.onnx); ${model.id} has only ${f.variants.map((v) => VARIANT_FILES[v]).join(', ') || 'no ONNX file'}.`,
      "Use a model folder with onnx/model.onnx (the hub repository's fp32 export).",
    );
  }
  if (f.family === 'other') {
    throw new EngineError(
      'unsupported-family',
      `Adaptation supports BERT, DistilBERT, RoBERTa, ALBERT and ELECTRA masked-LM models; ${model.id} is "${f.config.model_type ?? 'unknown'}".`,
      'Pick a BERT-family masked-LM model.',
    );
  }
}

/** Graph inputs for a batch of token rows (padded to the longest), as the model declares them. */
export function mlmFeeds(
  inputNames: readonly string[],
  rows: readonly (readonly number[])[],
  padId: number,
): Record<string, InputTensor> {
  const len = Math.max(...rows.map((r) => r.length));
  const n = rows.length;
  const ids = new BigInt64Array(n * len).fill(BigInt(padId));
  const mask = new BigInt64Array(n * len);
  rows.forEach((r, b) => {
    for (let i = 0; i < r.length; i++) {
      ids[b * len + i] = BigInt(r[i]);
      mask[b * len + i] = 1n;
    }
  });
  const feeds: Record<string, InputTensor> = {};
  for (const name of inputNames) {
    if (name === 'input_ids') feeds[name] = { type: 'int64', data: ids, dims: [n, len] };
    else if (name === 'attention_mask') feeds[name] = { type: 'int64', data: mask, dims: [n, len] };
    else if (name === 'token_type_ids')
      feeds[name] = { type: 'int64', data: new BigInt64Array(n * len), dims: [n, len] };
    else if (name === 'position_ids') {
      const pos = new BigInt64Array(n * len);
      for (let b = 0; b < n; b++) for (let i = 0; i < len; i++) pos[b * len + i] = BigInt(i);
      feeds[name] = { type: 'int64', data: pos, dims: [n, len] };
    }
  }
  return feeds;
}

/** Labels [batch, len] for the cross-entropy objective, padded with -100. */
function labelFeed(masked: readonly MaskedBlock[]): InputTensor {
  const len = Math.max(...masked.map((m) => m.labels.length));
  const l = new BigInt64Array(masked.length * len).fill(BigInt(IGNORE_INDEX));
  masked.forEach((m, b) => m.labels.forEach((v, i) => (l[b * len + i] = BigInt(v))));
  return { type: 'int64', data: l, dims: [masked.length, len] };
}

/** BERT's pre-training loss as a gradient-graph objective: mean cross-entropy of the vocabulary logits over the
 *  positions whose label is not -100 (the chosen ones), as torch's CrossEntropyLoss(ignore_index=-100). */
export function mlmObjective(output: string): Objective {
  return { kind: 'cross-entropy', outputs: [output], ignoreIndex: IGNORE_INDEX };
}

/** Inputs and labels of one training batch for the gradient graph. */
export function mlmTrainFeeds(
  inputNames: readonly string[],
  masked: readonly MaskedBlock[],
  padId: number,
): Record<string, InputTensor> {
  return {
    ...mlmFeeds(
      inputNames,
      masked.map((m) => m.ids),
      padId,
    ),
    [OBJECTIVE_INPUTS.labels(0)]: labelFeed(masked),
  };
}

/** log-softmax(row)[target] and whether the row's argmax is the target. */
export function scoreRow(row: Float32Array, target: number): { logProb: number; top: number } {
  let max = -Infinity;
  let top = 0;
  for (let j = 0; j < row.length; j++) if (row[j] > max) ((max = row[j]), (top = j));
  let sum = 0;
  for (let j = 0; j < row.length; j++) sum += Math.exp(row[j] - max);
  return { logProb: row[target] - max - Math.log(sum), top };
}

function seedFor(seed: number, epoch: number, index: number): number {
  return (Math.imul(seed >>> 0, 2654435761) + Math.imul(epoch, 40503) + Math.imul(index, 97)) >>> 0;
}

/** Held-out masked-LM metrics of a network (ONNX bytes, or an open session) on masked inputs. */
export async function evaluateMlm(
  network: Uint8Array | RuntimeSession,
  output: string,
  masked: readonly MaskedBlock[],
  padId: number,
  o: { batchSize?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<MlmMetrics> {
  const session = network instanceof Uint8Array ? await openSession(network, 'cpu') : network;
  try {
    const bs = Math.max(1, o.batchSize ?? 8);
    let nll = 0;
    let correct = 0;
    let n = 0;
    for (let s = 0; s < masked.length; s += bs) {
      if (o.signal?.aborted) throw new CancelledError();
      const batch = masked.slice(s, s + bs);
      const r = (
        await session.run(
          mlmFeeds(
            session.inputNames,
            batch.map((m) => m.ids),
            padId,
          ),
          [output],
        )
      )[output];
      const [, len, v] = r.dims;
      batch.forEach((m, b) => {
        for (const c of m.chosen) {
          const { logProb, top } = scoreRow(
            r.data.subarray((b * len + c.position) * v, (b * len + c.position + 1) * v),
            c.original,
          );
          nll -= logProb;
          if (top === c.original) correct++;
          n++;
        }
      });
      o.onProgress?.(Math.min(masked.length, s + bs), masked.length);
      await yieldToEventLoop();
    }
    const mean = n ? nll / n : 0;
    return { accuracy: n ? correct / n : 0, pseudoPerplexity: Math.exp(mean), nll: mean, positions: n };
  } finally {
    if (network instanceof Uint8Array) await session.dispose();
  }
}

const firstLr = (hidden: number) => (hidden >= 512 ? 5e-5 : 1e-4);

/** The text of `paths`, split and packed for `model` (exported for tests and the benchmark). */
export async function prepareAdaptData(
  model: LoadedModel,
  paths: string[],
  o: { maxLength?: number; seed?: number; signal?: AbortSignal } = {},
): Promise<{
  corpus: Corpus;
  train: Block[];
  heldOut: Block[];
  maxLength: number;
  trainLines: number;
  heldOutLines: number;
}> {
  const corpus = readCorpus(paths);
  const maxLength = Math.max(8, Math.min(Math.floor(o.maxLength ?? 128), model.folder.maxLength));
  const split = splitLines(corpus.lines.length, o.seed ?? DEFAULT_SEED);
  const train = await packLines(
    model.tokenizer,
    split.train.map((i) => corpus.lines[i]),
    maxLength,
    o.signal,
  );
  const heldOut = await packLines(
    model.tokenizer,
    split.heldOut.map((i) => corpus.lines[i]),
    maxLength,
    o.signal,
  );
  if (!train.length || !heldOut.length)
    throw new EngineError('data-too-small', 'The text yields no token to train on or to hold out.', 'Add more text.');
  return { corpus, train, heldOut, maxLength, trainLines: split.train.length, heldOutLines: split.heldOut.length };
}

/** Continues masked-LM training of `model` (its fp32 graph) on the text of `paths`. */
export async function adapt(
  model: LoadedModel,
  paths: string[],
  opts: AdaptOptions = {},
  ctx: { signal?: AbortSignal; onProgress?: (p: AdaptProgress) => void } = {},
): Promise<AdaptOutcome> {
  const t0 = performance.now();
  checkAdaptable(model);
  const folder = model.folder;
  const tk = model.tokenizer;
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed))
    throw new EngineError(
      'bad-seed',
      `The seed must be an integer (got ${String(opts.seed)}).`,
      'Pass --seed with a whole number.',
    );
  const evalSeed = opts.evalSeed ?? EVAL_MASK_SEED;
  const epochs = Math.max(1, Math.floor(opts.epochs ?? 1));
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 8));
  const lr = opts.learningRate ?? firstLr(folder.hiddenSize);
  const wholeWord = opts.wholeWord ?? false;
  const sampleInterval = (opts.sampleInterval ?? 1) * 1000;
  const padId = tk.padId;

  ctx.onProgress?.({ phase: 'loading', message: 'Reading the text' });
  const { corpus, train, heldOut, maxLength, trainLines, heldOutLines } = await prepareAdaptData(model, paths, {
    maxLength: opts.maxLength,
    seed,
    signal: ctx.signal,
  });
  const maskOpts = { maskId: tk.maskId!, vocabSize: tk.vocabSize(), excludeIds: excludedIds(model) };
  const evalMasks = heldOut.map((b, i) => maskBlock(b, { ...maskOpts, seed: seedFor(evalSeed, 0, i) }, wholeWord));
  const heldOutChosen = emptyCounts();
  for (const m of evalMasks) addCounts(heldOutChosen, m.chosen);

  ctx.onProgress?.({ phase: 'loading', message: 'Building the training graph' });
  const bytes = new Uint8Array(fs.readFileSync(path.join(folder.path, VARIANT_FILES.fp32)));
  const output = model.mlmOutput();
  const all = readParameters(bytes);
  const grad = await buildGradientGraph(bytes, {
    objective: mlmObjective(output),
    wrt: { parameters: all.map((p) => p.name) },
    parametersAsInputs: true,
    contribOps: true, // the session runs on the CPU provider
    geluAsPhi: true,
  });
  const params = all
    .filter((p) => grad.outputs.gradients[p.name] !== undefined)
    .map((p) => ({ name: p.name, dims: p.dims, data: p.data }));
  // Parameters the loss does not reach (an NSP head) are still graph inputs: fed unchanged.
  const fixed = all.filter((p) => grad.outputs.gradients[p.name] === undefined && grad.inputs.includes(p.name));

  ctx.onProgress?.({ phase: 'evaluating', which: 'before', done: 0, total: evalMasks.length });
  const before = await evaluateMlm(bytes, output, evalMasks, padId, {
    signal: ctx.signal,
    onProgress: (done, total) => ctx.onProgress?.({ phase: 'evaluating', which: 'before', done, total }),
  });
  ctx.onProgress?.({ phase: 'evaluated', which: 'before', metrics: before });

  const session = await openSession(grad.bytes, 'cpu');
  const chosen = emptyCounts();
  const history: AdaptOutcome['history'] = [];
  const opt = new AdamW(params, { weightDecay: opts.weightDecay ?? 0.01 });
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  // RoBERTa's schedule: a short warm-up (6 %, none for short runs), then a linear decay to zero.
  const warmup = Math.floor(0.06 * totalSteps);
  let lastSample = -Infinity;
  const tTrain = performance.now();
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const batches = bucketedBatches(
        train.map((b) => b.ids.length),
        batchSize,
        createRng(seedFor(seed, epoch, 7)),
      );
      let lossSum = 0;
      let lossN = 0;
      for (const batchIdx of batches) {
        if (ctx.signal?.aborted) throw new CancelledError();
        const masked = batchIdx.map((i) =>
          maskBlock(train[i], { ...maskOpts, seed: seedFor(seed, epoch, i + 1) }, wholeWord),
        );
        for (const m of masked) addCounts(chosen, m.chosen);
        const feeds = mlmTrainFeeds(session.inputNames, masked, padId);
        for (const p of [...params, ...fixed]) feeds[p.name] = { type: 'float32', data: p.data, dims: p.dims };
        const now = performance.now();
        const wantSample =
          ctx.onProgress !== undefined && (now - lastSample >= sampleInterval || opt.stepCount === totalSteps - 1);
        const fetch = [
          grad.outputs.loss,
          ...params.map((p) => grad.outputs.gradients[p.name]),
          ...(wantSample ? [output] : []),
        ];
        const r = await session.run(feeds, fetch);
        const loss = r[grad.outputs.loss].data[0];
        const n = masked.reduce((s, m) => s + m.chosen.length, 0);
        lossSum += loss * n;
        lossN += n;
        const stepLr = linearScheduleLr(lr, opt.stepCount, totalSteps, warmup);
        opt.step(
          params.map((p) => r[grad.outputs.gradients[p.name]].data),
          stepLr,
        );
        let sample: AdaptSample | undefined;
        if (wantSample) {
          lastSample = now;
          sample = liveSample(
            model,
            batchIdx.map((i) => train[i]),
            masked,
            r[output],
          );
        }
        const elapsed = (performance.now() - tTrain) / 1000;
        const eta = (elapsed / opt.stepCount) * (totalSteps - opt.stepCount);
        ctx.onProgress?.({
          phase: 'step',
          epoch,
          epochs,
          step: opt.stepCount,
          totalSteps,
          loss,
          lr: stepLr,
          chosen: { ...chosen },
          etaSeconds: eta,
          sample,
        });
        await yieldToEventLoop();
      }
      const trainLoss = lossN ? lossSum / lossN : 0;
      history.push({ epoch, train_loss: trainLoss });
      ctx.onProgress?.({ phase: 'epoch', epoch, trainLoss });
    }
  } finally {
    await session.dispose();
  }
  const adapted = writeParameters(bytes, params);
  ctx.onProgress?.({ phase: 'evaluating', which: 'after', done: 0, total: evalMasks.length });
  const after = await evaluateMlm(adapted, output, evalMasks, padId, {
    signal: ctx.signal,
    onProgress: (done, total) => ctx.onProgress?.({ phase: 'evaluating', which: 'after', done, total }),
  });
  ctx.onProgress?.({ phase: 'evaluated', which: 'after', metrics: after });
  return {
    bytes: adapted,
    before,
    after,
    chosen,
    heldOutChosen,
    history,
    corpus: {
      files: corpus.files.length,
      lines: corpus.lines.length,
      trainLines,
      heldOutLines,
      trainInputs: train.length,
      heldOutInputs: heldOut.length,
      trainTokens: train.reduce((s, b) => s + b.ids.length, 0),
      skipped: corpus.skipped,
      truncated: corpus.truncated,
    },
    steps: opt.stepCount,
    epochs,
    learningRate: lr,
    batchSize,
    maxLength,
    seed,
    evalSeed,
    wholeWord,
    trainable: { parameters: params.length, values: params.reduce((s, p) => s + p.data.length, 0) },
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The batch row that shows the most kinds (all three when one does), with the model's guesses there. */
function liveSample(
  model: LoadedModel,
  blocks: Block[],
  masked: MaskedBlock[],
  logits: { data: Float32Array; dims: number[] },
): AdaptSample {
  const [, len, v] = logits.dims;
  let best = 0;
  let bestKinds = -1;
  masked.forEach((m, b) => {
    const k = new Set(m.chosen.map((c) => c.kind)).size;
    if (k > bestKinds) ((best = b), (bestKinds = k));
  });
  const m = masked[best];
  const block = blocks[best];
  const tk = model.tokenizer;
  const byPos = new Map(m.chosen.map((c) => [c.position, c]));
  const tokens: AdaptSampleToken[] = [];
  for (let i = 0; i < m.ids.length; i++) {
    if (block.special[i]) continue;
    const c = byPos.get(i);
    if (!c) {
      tokens.push({ text: tk.idToToken(m.ids[i]) });
      continue;
    }
    const { top } = scoreRow(logits.data.subarray((best * len + i) * v, (best * len + i + 1) * v), c.original);
    tokens.push({
      text: tk.idToToken(c.replacement),
      kind: c.kind,
      original: tk.idToToken(c.original),
      guess: tk.idToToken(top),
      correct: top === c.original,
    });
  }
  return { source: block.source, tokens };
}
