// Data for the four fine-tuning shapes from one --data argument: a file (split here, seeded, stratified where
// labels allow), or a folder holding train.* and test.* (and optionally validation.* / dev.*) files, whose split
// is used as given.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { loadDataset, loadSplitFiles, readUtf8 } from './data/data';
import { type QaDataset, loadSquadFile, looksLikeSquad } from './qaData';
import { createRng, shuffleInPlace } from './random';
import { DEFAULT_SEED, ensureValidation, stratifiedSplit } from './data/split';
import {
  CONLL_EXTENSIONS,
  type TokenDataset,
  loadTokenFile,
  looksLikeTokenJsonl,
  mergeTokenDatasets,
} from './tokenData';
import type { Dataset, LoadOptions, SplitIndexes } from './types';

export type FineTuneTask = 'sequence' | 'pair' | 'token' | 'qa';
export const FINE_TUNE_TASKS: FineTuneTask[] = ['sequence', 'pair', 'token', 'qa'];

export type TaskData =
  | { task: 'sequence' | 'pair'; dataset: Dataset; split: SplitIndexes }
  | { task: 'token'; dataset: TokenDataset; split: SplitIndexes }
  | { task: 'qa'; dataset: QaDataset; split: SplitIndexes };

const SPLIT_NAMES: Record<string, keyof SplitIndexes> = {
  train: 'train',
  validation: 'val',
  valid: 'val',
  val: 'val',
  dev: 'val',
  test: 'test',
};

/** The train/validation/test files of a folder, by name (`train.conll`, `dev.jsonl`, `test.csv`…), or undefined
 *  when the folder has no `train.*` file. A folder with train but no test file is an error. */
export function findSplitFiles(dir: string): { train: string; val?: string; test: string } | undefined {
  let names: string[];
  try {
    names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch {
    return undefined;
  }
  const found: Partial<Record<keyof SplitIndexes, string>> = {};
  for (const n of names) {
    const stem = n.slice(0, n.indexOf('.') > 0 ? n.indexOf('.') : n.length).toLowerCase();
    const part = SPLIT_NAMES[stem];
    if (!part || n.indexOf('.') < 0) continue;
    if (found[part])
      throw new EngineError(
        'data-split-files',
        `${path.basename(dir)} holds two ${part} files: ${found[part]} and ${n}.`,
        'Keep one file per split.',
      );
    found[part] = n;
  }
  if (!found.train) return undefined;
  if (!found.test)
    throw new EngineError(
      'data-split-files',
      `${path.basename(dir)} has ${found.train} but no test.* file.`,
      'Add a test file (test.csv, test.conll, test.json…), or pass the training file alone to split it.',
    );
  const j = (n?: string) => (n ? path.join(dir, n) : undefined);
  return { train: j(found.train)!, val: j(found.val), test: j(found.test)! };
}

/** The task a file's content implies: CoNLL or token JSONL → token; SQuAD JSON → qa; otherwise sequence (pair
 *  when a pair column is named). */
export function detectTask(file: string, opts: LoadOptions = {}): FineTuneTask {
  const ext = path.extname(file).toLowerCase();
  if (CONLL_EXTENSIONS.includes(ext)) return 'token';
  if (ext === '.json') {
    const { text } = readUtf8(file, 1 << 20);
    if (looksLikeSquad(text)) return 'qa';
    throw new EngineError(
      'data-format',
      `${path.basename(file)} is JSON but not SQuAD-format QA data.`,
      'Use {"data": [{"paragraphs": [...]}]} for QA, or JSONL (one object per line) for other tasks.',
    );
  }
  if (ext === '.jsonl' || ext === '.ndjson') {
    const { text } = readUtf8(file, 1 << 20);
    if (looksLikeTokenJsonl(text)) return 'token';
  }
  return opts.pairColumn ? 'pair' : 'sequence';
}

/** Random (seeded) split of n items, or of groups of items when `group` is given (questions of one context stay
 *  together): about 10 % validation and 20 % test, at least one item in test and in train. */
export function randomSplit(
  n: number,
  seed: number,
  group?: (i: number) => number,
  valFraction = 0.1,
  testFraction = 0.2,
): SplitIndexes {
  const keys = group
    ? [...new Set(Array.from({ length: n }, (_, i) => group(i)))]
    : Array.from({ length: n }, (_, i) => i);
  const order = shuffleInPlace(keys.slice(), createRng(seed));
  const g = order.length;
  if (g < 2)
    throw new EngineError(
      'data-too-small',
      `Only ${n} example(s)${group ? ` in ${g} context(s)` : ''}: nothing left for a test split.`,
      'Add examples, or give separate train and test files.',
    );
  const nTest = Math.max(1, Math.round(g * testFraction));
  const nVal = valFraction > 0 && g - nTest >= 3 ? Math.max(1, Math.round(g * valFraction)) : 0;
  const part = new Map<number, keyof SplitIndexes>();
  order.forEach((k, i) => part.set(k, i < nTest ? 'test' : i < nTest + nVal ? 'val' : 'train'));
  const out: SplitIndexes = { train: [], val: [], test: [] };
  for (let i = 0; i < n; i++) out[part.get(group ? group(i) : i)!].push(i);
  return out;
}

function rangesToSplit(ranges: [number, number][], parts: (keyof SplitIndexes)[]): SplitIndexes {
  const out: SplitIndexes = { train: [], val: [], test: [] };
  ranges.forEach(([s, e], k) => {
    for (let i = s; i < e; i++) out[parts[k]].push(i);
  });
  return out;
}

/** Carves a validation part out of train when the given split has none (10 %, seeded). */
function withValidation(split: SplitIndexes, seed: number, group?: (i: number) => number): SplitIndexes {
  if (split.val.length || split.train.length < 4) return split;
  const inner = randomSplit(split.train.length, seed, group ? (j) => group(split.train[j]) : undefined, 0, 0.1);
  return {
    train: inner.train.map((j) => split.train[j]),
    val: inner.test.map((j) => split.train[j]),
    test: split.test,
  };
}

/** Loads the data for a task (detected from the content when not given) with its split. */
export function loadTaskData(p: string, opts: LoadOptions & { task?: FineTuneTask; seed?: number } = {}): TaskData {
  const abs = path.resolve(p);
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!fs.existsSync(abs))
    throw new EngineError(
      'data-not-found',
      `No data at ${abs}.`,
      'Give a CSV, TSV, JSONL, CoNLL or SQuAD JSON file, or a folder with train.* and test.* files.',
    );
  const files = fs.statSync(abs).isDirectory() ? findSplitFiles(abs) : undefined;
  const probe = files?.train ?? abs;
  const task = opts.task ?? (fs.statSync(probe).isDirectory() ? 'sequence' : detectTask(probe, opts));
  const parts = files ? (['train', 'val', 'test'] as const).filter((k) => files[k]) : [];
  if (task === 'token') {
    if (files) {
      const { dataset, ranges } = mergeTokenDatasets(parts.map((k) => loadTokenFile(files[k]!, opts.maxBytes)));
      return { task, dataset, split: withValidation(rangesToSplit(ranges, parts), seed) };
    }
    if (fs.statSync(abs).isDirectory())
      throw new EngineError(
        'data-format',
        `${path.basename(abs)} has no train.* file for token classification.`,
        'Give a CoNLL or JSONL file, or a folder with train.conll and test.conll.',
      );
    const dataset = loadTokenFile(abs, opts.maxBytes);
    return { task, dataset, split: randomSplit(dataset.examples.length, seed) };
  }
  if (task === 'qa') {
    if (files) {
      const loaded: QaDataset[] = [];
      let base = 0;
      for (const k of parts) {
        const d = loadSquadFile(files[k]!, base, opts.maxBytes);
        base = d.examples[d.examples.length - 1].paragraph + 1;
        loaded.push(d);
      }
      const ranges: [number, number][] = [];
      const examples = loaded.flatMap((d) => d.examples);
      let at = 0;
      for (const d of loaded) (ranges.push([at, at + d.examples.length]), (at += d.examples.length));
      const dataset: QaDataset = { ...loaded[0], examples, warnings: [] };
      return { task, dataset, split: withValidation(rangesToSplit(ranges, parts), seed, (i) => examples[i].paragraph) };
    }
    if (fs.statSync(abs).isDirectory())
      throw new EngineError(
        'data-format',
        `${path.basename(abs)} has no train.* file for QA.`,
        'Give a SQuAD JSON file, or a folder with train.json and test.json.',
      );
    const dataset = loadSquadFile(abs, 0, opts.maxBytes);
    return { task, dataset, split: randomSplit(dataset.examples.length, seed, (i) => dataset.examples[i].paragraph) };
  }
  const dataset = files ? loadSplitFiles(files, opts) : loadDataset(abs, opts);
  if (task === 'pair' && !dataset.examples.some((e) => e.pair !== undefined)) {
    throw new EngineError(
      'data-column',
      `Pair classification needs a second text column; ${path.basename(abs)} has none chosen.`,
      'Name it with --pair-column (for example sentence2 or hypothesis).',
    );
  }
  const split = ensureValidation(
    dataset.givenSplit ?? stratifiedSplit(dataset.examples, dataset.labels, { seed }),
    dataset.examples,
    dataset.labels,
    seed,
  );
  return { task, dataset, split };
}
