// The training pipeline shared by the CLI and the sidebar: data → split → frozen-encoder features → head,
// evaluated on the held-out test split next to two baselines computed on the same split.
import { CancelledError, throwIfAborted } from '../errors';
import { averageWords, recommend, scoreCandidates } from './candidates';
import { labelCounts } from './data/dataChecks';
import { cachedFeatures } from './featureCache';
import type { FeatureExtractor } from './extractor';
import { standardize, standardizer } from './features';
import { type Head, type HeadKind, headProbabilities, trainHead } from './heads';
import { argmax, computeMetrics } from './metrics';
import { DEFAULT_SEED, ensureValidation, stratifiedSplit } from './data/split';
import { fitTfidf, tfidfTransformer } from './tfidf';
import type { Candidates, Dataset, EpochProgress, Metrics, Recommendation, SplitIndexes } from './types';

export interface TrainOptions {
  head?: HeadKind;
  hidden?: number;
  seed?: number;
  valFraction?: number;
  testFraction?: number;
  classWeights?: 'balanced' | 'none';
  l2?: number;
  maxEpochs?: number;
  cacheDir?: string;
  /** Skip the TF-IDF baseline (it is always cheap; only tests turn it off). */
  skipTfidf?: boolean;
  /** Skip the frozen / hybrid / TF-IDF candidates and the recommendation (candidates.ts). */
  skipCandidates?: boolean;
}

export type TrainProgress =
  | { phase: 'features'; done: number; total: number; cached?: boolean }
  | ({ phase: 'train' } & EpochProgress)
  | { phase: 'baselines' }
  | { phase: 'done' };

export interface BaselineResult {
  name: 'majority' | 'tfidf_lr';
  metrics: Metrics;
}

/** A trained classifier in memory: enough to predict, to evaluate and to export. */
export interface TrainedClassifier {
  labels: string[];
  head: Head;
  mean: Float32Array;
  scale: Float32Array;
  extractor: FeatureExtractor;
}

export interface TestPrediction {
  index: number; // into dataset.examples
  label: number;
  predicted: number;
  probabilities: number[];
}

export interface TrainOutcome {
  classifier: TrainedClassifier;
  split: SplitIndexes;
  counts: number[];
  history: EpochProgress[];
  bestEpoch: number;
  stoppedEarly: boolean;
  metrics: Metrics;
  baselines: { majority: Metrics; tfidf_lr: Metrics };
  predictions: TestPrediction[];
  seconds: { features: number; head: number; baselines: number; total: number };
  featuresCached: boolean;
  /** Frozen (this classifier), hybrid and TF-IDF on the same split, and the pick on validation. */
  candidates?: Candidates;
  recommendation?: Recommendation;
}

export async function trainClassifier(
  dataset: Dataset,
  extractor: FeatureExtractor,
  opts: TrainOptions = {},
  ctx: { signal?: AbortSignal; onProgress?: (p: TrainProgress) => void } = {},
): Promise<TrainOutcome> {
  const t0 = performance.now();
  const { examples, labels } = dataset;
  const seed = opts.seed ?? DEFAULT_SEED;
  const split = ensureValidation(
    dataset.givenSplit ??
      stratifiedSplit(examples, labels, { seed, valFraction: opts.valFraction, testFraction: opts.testFraction }),
    examples,
    labels,
    seed,
  );
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const y = Int32Array.from(examples, (e) => labelIndex.get(e.label)!);
  const pick = <T>(a: ArrayLike<T>, idx: number[]) => idx.map((i) => a[i]);

  // Features for every example in one pass (cached per model + content).
  const hasPairs = examples.some((e) => e.pair !== undefined);
  const { features, cached } = await cachedFeatures(
    extractor,
    examples.map((e) => e.text),
    hasPairs ? examples.map((e) => e.pair ?? '') : undefined,
    opts.cacheDir,
    { signal: ctx.signal, onBatch: (done, total) => ctx.onProgress?.({ phase: 'features', done, total }) },
  );
  if (cached) ctx.onProgress?.({ phase: 'features', done: examples.length, total: examples.length, cached: true });
  const t1 = performance.now();
  throwIfAborted(ctx.signal);

  const { mean, scale } = standardizer(pick(features, split.train));
  const X = features.map((f) => standardize(f, mean, scale));
  const trained = await trainHead(
    pick(X, split.train),
    pick(y, split.train),
    pick(X, split.val),
    pick(y, split.val),
    extractor.dim,
    labels.length,
    {
      kind: opts.head ?? 'logistic',
      hidden: opts.hidden,
      seed,
      l2: opts.l2,
      maxEpochs: opts.maxEpochs,
      classWeights: opts.classWeights ?? 'balanced',
      signal: ctx.signal,
      onEpoch: (p) => ctx.onProgress?.({ phase: 'train', ...p }),
    },
  );
  const t2 = performance.now();

  const predictions: TestPrediction[] = split.test.map((i) => {
    const p = headProbabilities(trained.head, X[i]);
    return { index: i, label: y[i], predicted: argmax(p), probabilities: Array.from(p) };
  });
  const metrics = computeMetrics(
    predictions.map((p) => p.label),
    predictions.map((p) => p.predicted),
    labels,
  );

  ctx.onProgress?.({ phase: 'baselines' });
  const baselines = await runBaselines(dataset, y, split, seed, opts, ctx.signal);
  let candidates: Candidates | undefined;
  let recommendation: Recommendation | undefined;
  if (!opts.skipTfidf && !opts.skipCandidates) {
    candidates = await scoreCandidates({
      dataset,
      y,
      split,
      seed,
      pooled: features,
      classWeights: opts.classWeights ?? 'balanced',
      frozen: { head: trained.head, mean, scale },
      signal: ctx.signal,
    });
    recommendation = recommend(candidates, averageWords(dataset));
  }
  const t3 = performance.now();
  ctx.onProgress?.({ phase: 'done' });
  return {
    classifier: { labels, head: trained.head, mean, scale, extractor },
    split,
    counts: labelCounts(examples, labels),
    history: trained.history,
    bestEpoch: trained.bestEpoch,
    stoppedEarly: trained.stoppedEarly,
    metrics,
    baselines,
    predictions,
    seconds: {
      features: (t1 - t0) / 1000,
      head: (t2 - t1) / 1000,
      baselines: (t3 - t2) / 1000,
      total: (t3 - t0) / 1000,
    },
    featuresCached: cached,
    candidates,
    recommendation,
  };
}

/** The TF-IDF baseline's head (also the hybrid candidate's, candidates.ts). */
export const TFIDF_HEAD_OPTIONS = { kind: 'logistic', l2: 1e-4, learningRate: 0.05, maxEpochs: 60 } as const;

/** Majority class (from the training split) and TF-IDF + the same logistic regression, on the same split. */
export async function runBaselines(
  dataset: Dataset,
  y: Int32Array,
  split: SplitIndexes,
  seed: number,
  opts: TrainOptions = {},
  signal?: AbortSignal,
): Promise<{ majority: Metrics; tfidf_lr: Metrics }> {
  const { examples, labels } = dataset;
  const k = labels.length;
  const counts = new Array<number>(k).fill(0);
  for (const i of split.train) counts[y[i]]++;
  const majority = argmax(counts);
  const yTest = split.test.map((i) => y[i]);
  const majorityMetrics = computeMetrics(
    yTest,
    yTest.map(() => majority),
    labels,
  );
  if (opts.skipTfidf) return { majority: majorityMetrics, tfidf_lr: majorityMetrics };
  if (signal?.aborted) throw new CancelledError();
  const model = fitTfidf(split.train.map((i) => examples[i]));
  const transform = tfidfTransformer(model);
  const rows = examples.map(transform);
  const trained = await trainHead(
    split.train.map((i) => rows[i]),
    split.train.map((i) => y[i]),
    split.val.map((i) => rows[i]),
    split.val.map((i) => y[i]),
    Math.max(1, model.vocabulary.length),
    k,
    { ...TFIDF_HEAD_OPTIONS, seed, classWeights: opts.classWeights ?? 'balanced', signal },
  );
  const pred = split.test.map((i) => argmax(headProbabilities(trained.head, rows[i])));
  return { majority: majorityMetrics, tfidf_lr: computeMetrics(yTest, pred, labels) };
}

/** Probabilities for new texts with a trained classifier (in process). */
export async function predictTexts(
  c: TrainedClassifier,
  texts: string[],
  pairs?: string[],
  signal?: AbortSignal,
): Promise<number[][]> {
  const f = await c.extractor.embedBatch(texts, pairs, { signal });
  return f.map((x) => Array.from(headProbabilities(c.head, standardize(x, c.mean, c.scale))));
}
