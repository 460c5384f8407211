import { EngineError } from '../../errors';
import { createRng, shuffleInPlace } from '../random';
import type { Example, SplitIndexes, SplitOptions } from '../types';

export const DEFAULT_SEED = 42;

/** Stratified split with a fixed seed: each class is shuffled on its own and cut into test, validation and
 *  train parts (sizes rounded per class; a class of 2+ examples always keeps one in test and one in train, one
 *  of 3+ also one in validation). Index lists are returned sorted. */
export function stratifiedSplit(examples: Example[], labels: string[], opts: SplitOptions = {}): SplitIndexes {
  const seed = opts.seed ?? DEFAULT_SEED;
  const valFraction = opts.valFraction ?? 0.1;
  const testFraction = opts.testFraction ?? 0.2;
  if (valFraction < 0 || testFraction <= 0 || valFraction + testFraction >= 1) {
    throw new EngineError(
      'split-fractions',
      `Split fractions validation ${valFraction} and test ${testFraction} do not leave data to train on.`,
      'Use for example 0.1 and 0.2.',
    );
  }
  const rng = createRng(seed);
  const byLabel = new Map<string, number[]>(labels.map((l) => [l, []]));
  examples.forEach((e, i) => byLabel.get(e.label)!.push(i));
  const out: SplitIndexes = { train: [], val: [], test: [] };
  for (const label of labels) {
    const idx = shuffleInPlace(byLabel.get(label)!, rng);
    const n = idx.length;
    let nTest = Math.round(n * testFraction);
    let nVal = Math.round(n * valFraction);
    if (n >= 2) nTest = Math.max(1, nTest);
    if (n >= 3 && valFraction > 0) nVal = Math.max(1, nVal);
    while (nTest + nVal > n - 1 && (nTest > 0 || nVal > 0)) {
      if (nVal > 0) nVal--;
      else nTest--;
    }
    out.test.push(...idx.slice(0, nTest));
    out.val.push(...idx.slice(nTest, nTest + nVal));
    out.train.push(...idx.slice(nTest + nVal));
  }
  for (const k of ['train', 'val', 'test'] as const) out[k].sort((a, b) => a - b);
  if (!out.test.length)
    throw new EngineError(
      'data-too-small',
      `Only ${examples.length} examples: nothing left for a test split.`,
      'Add examples (at least two per label).',
    );
  return out;
}

/** When no validation part exists (given splits without one), carve one out of train, stratified. */
export function ensureValidation(
  split: SplitIndexes,
  examples: Example[],
  labels: string[],
  seed = DEFAULT_SEED,
): SplitIndexes {
  if (split.val.length) return split;
  const sub = split.train.map((i) => examples[i]);
  const present = labels.filter((l) => sub.some((e) => e.label === l));
  let inner: SplitIndexes;
  try {
    inner = stratifiedSplit(sub, present, { seed, valFraction: 0.1, testFraction: 0.1 });
  } catch (err) {
    // The inner split sees only the training part: name the whole data set's size, not that part's.
    if (!(err instanceof EngineError) || err.code !== 'data-too-small') throw err;
    throw new EngineError(
      'data-too-small',
      `Only ${examples.length} examples: after the test split, the ${sub.length} left for training are too few to set some aside for validation.`,
      'Add examples (at least four per label), or give a validation file.',
    );
  }
  const val = inner.val
    .concat(inner.test)
    .map((j) => split.train[j])
    .sort((a, b) => a - b);
  const train = inner.train.map((j) => split.train[j]);
  return { train, val, test: split.test };
}
