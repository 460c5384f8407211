// The candidates a sequence/pair training run compares on ONE split: a head on the frozen encoder's pooled
// features, the fine-tuned encoder (when there is one), TF-IDF + logistic regression, and a hybrid — the same
// logistic head on the frozen pooled features CONCATENATED with the TF-IDF features (in-process only; it is not
// exported). Each is scored on the validation and the test split; the recommendation reads validation only.
import { CancelledError } from '../errors';
import { formatPercent } from '../math';
import type { SparseRow } from './features';
import { standardize, standardizer } from './features';
import { type Head, headProbabilities, trainHead } from './heads';
import { argmax, computeMetrics } from './metrics';
import { TFIDF_HEAD_OPTIONS } from './train';
import { fitTfidf, tfidfTransformer } from './tfidf';
import type {
  CandidateName,
  CandidateScores,
  Candidates,
  Dataset,
  Recommendation,
  SplitIndexes,
  SplitScores,
} from './types';

import { CANDIDATE_ORDER, CANDIDATE_TITLES } from './candidateView';

export type { CandidateName, CandidateScores, Candidates, Recommendation } from './types';
export { CANDIDATE_ORDER, CANDIDATE_TITLES, candidateLines } from './candidateView';

export interface CandidateInput {
  dataset: Dataset;
  /** Class index of every example. */
  y: ArrayLike<number>;
  split: SplitIndexes;
  seed: number;
  /** Raw (unstandardised) pooled features of the frozen encoder, one per example. */
  pooled: Float32Array[];
  classWeights?: 'balanced' | 'none';
  /** The frozen head already trained on standardised features (the frozen mode's classifier), with its
   *  standardiser; when absent a logistic head is trained here as trainClassifier trains it. */
  frozen?: { head: Head; mean: Float32Array; scale: Float32Array };
  /** The fine-tuned network's scores, when the run fine-tuned. */
  fineTuned?: CandidateScores;
  signal?: AbortSignal;
}

/** Hybrid rows: the standardised pooled vector scaled by 1/√d (so its norm is about 1, like the L2-normalised
 *  TF-IDF row) in columns 0..d-1, then the TF-IDF row in columns d..d+V-1. */
export function hybridRow(x: Float32Array, t: SparseRow): SparseRow {
  const d = x.length;
  const s = 1 / Math.sqrt(d);
  const idx = new Int32Array(d + t.idx.length);
  const val = new Float32Array(d + t.idx.length);
  for (let j = 0; j < d; j++) ((idx[j] = j), (val[j] = Math.fround(x[j] * s)));
  for (let k = 0; k < t.idx.length; k++) ((idx[d + k] = d + t.idx[k]), (val[d + k] = t.val[k]));
  return { idx, val };
}

function scores(
  predict: (i: number) => number,
  y: ArrayLike<number>,
  split: SplitIndexes,
  labels: string[],
): CandidateScores {
  const on = (idx: number[]): SplitScores => {
    const m = computeMetrics(
      idx.map((i) => y[i]),
      idx.map(predict),
      labels,
    );
    return { accuracy: m.accuracy, macro_f1: m.macroF1 };
  };
  return { ...(split.val.length ? { val: on(split.val) } : {}), test: on(split.test) };
}

/** Frozen, TF-IDF and hybrid candidates (and the fine-tuned one passed in), all on `split`. */
export async function scoreCandidates(inp: CandidateInput): Promise<Candidates> {
  const { dataset, y, split, seed, pooled, signal } = inp;
  const { examples, labels } = dataset;
  const k = labels.length;
  const pick = <T>(a: ArrayLike<T>, idx: number[]) => idx.map((i) => a[i]);
  const classWeights = inp.classWeights ?? 'balanced';

  // Frozen: standardised pooled features → logistic head (or the given head).
  const std = inp.frozen ?? standardizer(pick(pooled, split.train));
  const X = pooled.map((f) => standardize(f, std.mean, std.scale));
  let frozenHead = inp.frozen?.head;
  if (!frozenHead) {
    frozenHead = (
      await trainHead(
        pick(X, split.train),
        pick(y, split.train),
        pick(X, split.val),
        pick(y, split.val),
        X[0].length,
        k,
        { kind: 'logistic', seed, classWeights, signal },
      )
    ).head;
  }
  const fh = frozenHead;
  const frozen = scores((i) => argmax(headProbabilities(fh, X[i])), y, split, labels);
  if (signal?.aborted) throw new CancelledError();

  // TF-IDF: exactly the baseline's model (same vocabulary, head options and seed), so its test scores equal
  // baselines.tfidf_lr.
  const tf = fitTfidf(split.train.map((i) => examples[i]));
  const transform = tfidfTransformer(tf);
  const rows = examples.map(transform);
  const V = Math.max(1, tf.vocabulary.length);
  const tfHead = (
    await trainHead(pick(rows, split.train), pick(y, split.train), pick(rows, split.val), pick(y, split.val), V, k, {
      ...TFIDF_HEAD_OPTIONS,
      seed,
      classWeights,
      signal,
    })
  ).head;
  const tfidf = scores((i) => argmax(headProbabilities(tfHead, rows[i])), y, split, labels);

  // Hybrid: one logistic head on [pooled / √d, TF-IDF], with the TF-IDF head's options.
  const d = X[0].length;
  const H = X.map((x, i) => hybridRow(x, rows[i]));
  const hyHead = (
    await trainHead(pick(H, split.train), pick(y, split.train), pick(H, split.val), pick(y, split.val), d + V, k, {
      ...TFIDF_HEAD_OPTIONS,
      seed,
      classWeights,
      signal,
    })
  ).head;
  const hybrid = {
    ...scores((i) => argmax(headProbabilities(hyHead, H[i])), y, split, labels),
    features: { pooled: d, tfidf: V, width: hyHead.inputDim },
  };

  return { frozen, ...(inp.fineTuned ? { fine_tuned: inp.fineTuned } : {}), hybrid, tfidf };
}

/** Accuracies in the reason line: one decimal of a percent, so 98.2 % and 97.9 % do not both read 0.98. */
const pct = (x: number) => formatPercent(x, 1);

/** The best candidate on the VALIDATION split (accuracy, then macro-F1, then the cheaper one), and why, in one
 *  line. Candidates without validation scores are skipped; the test split is never read. Undefined when no
 *  candidate has validation scores. `avgWords` (mean words per text) lets the line say when texts are short. */
export function recommend(c: Candidates, avgWords?: number): Recommendation | undefined {
  const scored = CANDIDATE_ORDER.filter((n) => c[n]?.val).map((n) => ({ name: n, val: c[n]!.val! }));
  if (!scored.length) return undefined;
  const better = (a: (typeof scored)[0], b: (typeof scored)[0]) =>
    a.val.accuracy - b.val.accuracy || a.val.macro_f1 - b.val.macro_f1;
  // Stable: among equals the earlier (cheaper) candidate stays first.
  const ranked = scored.slice().sort((a, b) => better(b, a));
  const best = ranked[0];
  const next = ranked[1];
  const tied = ranked.filter((r) => r !== best && better(r, best) === 0).map((r) => r.name);
  const short = avgWords !== undefined && avgWords <= 60;
  const why: Record<CandidateName, string> = {
    tfidf: short
      ? 'the texts are short and topical: their words alone separate the labels, at a fraction of the cost'
      : 'the labels follow the words used: word counts do as well as the encoder, at a fraction of the cost',
    frozen: 'the pretrained encoder’s features suffice; nothing trained on top of them did better',
    hybrid: 'words and the encoder’s features each add something: together they beat either alone',
    fine_tuned: 'training the encoder on this data beats its frozen features and word counts',
  };
  let line = `${CANDIDATE_TITLES[best.name]}: ${pct(best.val.accuracy)} validation accuracy`;
  if (next) line += ` vs ${pct(next.val.accuracy)} ${CANDIDATE_TITLES[next.name]}`;
  line += tied.length
    ? `; as good as ${tied.map((n) => CANDIDATE_TITLES[n]).join(' and ')} on validation, and cheaper`
    : `; ${why[best.name]}`;
  return { candidate: best.name, reason: line, split: 'validation' };
}

/** Mean number of words per text (pairs count both sides). */
export function averageWords(dataset: Dataset): number {
  if (!dataset.examples.length) return 0;
  let n = 0;
  for (const e of dataset.examples) n += (e.text.match(/\S+/g)?.length ?? 0) + (e.pair?.match(/\S+/g)?.length ?? 0);
  return n / dataset.examples.length;
}
