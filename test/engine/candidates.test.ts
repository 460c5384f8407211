// The hybrid candidate (a head on frozen pooled features concatenated with TF-IDF features) and the
// recommendation among frozen, fine-tuned, hybrid and TF-IDF: feature width, scores on the run's own test
// indices, the fine-tune path's four candidates, and the choice logic (validation only; ties; missing ones).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { LoadedModel } from '../../src/engine/model';
import { candidateLines } from '../../src/engine/training/candidateView';
import { candidateRows } from '../../src/webviews/apps/trainer/candidateRows';
import { averageWords, hybridRow, recommend } from '../../src/engine/training/candidates';
import { loadDataset } from '../../src/engine/training/data/data';
import type { Candidates, CandidateScores } from '../../src/engine/training/types';
import { type TaskMetrics, fineTune } from '../../src/engine/training/fineTune';
import { loadTaskData } from '../../src/engine/training/taskData';
import { trainClassifier } from '../../src/engine/training/train';
import { topicsCsv } from '../data/topicsCsv.mjs';
import { fakeExtractor } from './training-helpers';
import { fixture } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-candidates-'));
const models: LoadedModel[] = [];
after(async () => {
  for (const m of models) await m.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Distinct unigrams and bigrams (2+ letter words, lower case), counted here independently of tfidf.ts. */
function vocabularySize(texts: string[]): number {
  const v = new Set<string>();
  for (const t of texts) {
    const w = t.toLowerCase().match(/[a-z0-9_]{2,}/g) ?? [];
    w.forEach((x, i) => (v.add(x), i + 1 < w.length && v.add(`${x} ${w[i + 1]}`)));
  }
  return v.size;
}

// The topics fixture plus four "trap" rows whose words belong to the other topic: wherever a trap lands in the
// test split, every candidate must get exactly that one wrong (the clean rows are separable by their words).
const TRAPS = [
  '"the goal and the league, match",food',
  '"the coach and the score, team",food',
  '"the flour and the salt, oven",sport',
  '"the sauce and the bake, recipe",sport',
];

test('hybrid: pooled dim + TF-IDF vocabulary wide, scored on the same test indices as frozen and TF-IDF', async () => {
  const file = path.join(tmp, 'topics.csv');
  fs.writeFileSync(file, topicsCsv() + TRAPS.join('\n') + '\n');
  const ds = loadDataset(file);
  assert.equal(ds.examples.length, 44);
  const o = await trainClassifier(ds, fakeExtractor(64), { cacheDir: path.join(tmp, 'cache'), seed: 9 });
  const c = o.candidates!;
  assert.deepEqual(Object.keys(c).sort(), ['frozen', 'hybrid', 'tfidf']); // frozen mode: nothing fine-tuned
  const V = vocabularySize(o.split.train.map((i) => ds.examples[i].text));
  assert.deepEqual(c.hybrid!.features, { pooled: 64, tfidf: V, width: 64 + V });
  // Same test indices: the frozen candidate is this run's classifier, TF-IDF is the baseline.
  assert.equal(c.frozen!.test.accuracy, o.metrics.accuracy);
  assert.equal(c.frozen!.test.macro_f1, o.metrics.macroF1);
  assert.equal(c.tfidf!.test.accuracy, o.baselines.tfidf_lr.accuracy);
  assert.equal(c.tfidf!.test.macro_f1, o.baselines.tfidf_lr.macroF1);
  const isTrap = (i: number) => i >= 40;
  const trapsIn = (idx: number[]) => idx.filter(isTrap).length;
  assert.ok(trapsIn(o.split.test) >= 1, 'seed 9 puts a trap row in the test split');
  const expect = (idx: number[]) => (idx.length - trapsIn(idx)) / idx.length;
  for (const n of ['frozen', 'hybrid', 'tfidf'] as const) {
    assert.equal(c[n]!.test.accuracy, expect(o.split.test), `${n} test accuracy`);
    assert.equal(c[n]!.val!.accuracy, expect(o.split.val), `${n} validation accuracy`);
  }
  assert.equal(o.split.test.length, 8);
  assert.equal(c.hybrid!.test.accuracy, 7 / 8);
  // All tie on validation: the cheapest (TF-IDF) is recommended, and the line says why.
  assert.equal(o.recommendation!.candidate, 'tfidf');
  assert.match(
    o.recommendation!.reason,
    /^TF-IDF \+ LR: \d+\.\d% validation accuracy vs \d+\.\d% frozen encoder \+ head; as good as frozen encoder \+ head and hybrid \(frozen \+ TF-IDF\) on validation, and cheaper$/,
  );
});

test('hybrid rows: the standardised pooled vector scaled by 1/sqrt(d), then the TF-IDF columns shifted by d', () => {
  const r = hybridRow(Float32Array.from([2, -4, 0, 6]), {
    idx: Int32Array.from([1, 7]),
    val: Float32Array.from([0.6, 0.8]),
  });
  assert.deepEqual(Array.from(r.idx), [0, 1, 2, 3, 5, 11]);
  assert.deepEqual(Array.from(r.val), [1, -2, 0, 3, 0.6000000238418579, 0.800000011920929]);
});

test("fine-tune run: frozen, fine_tuned, hybrid and TF-IDF on one split; fine_tuned scores are the run's own", async () => {
  const m = await LoadedModel.load('test:bert-mlm', fixture('bert-mlm'), 'fp32', 'cpu');
  models.push(m);
  const file = path.join(tmp, 'topics-ft.csv');
  fs.writeFileSync(file, topicsCsv());
  const data = loadTaskData(file, { seed: 5 });
  assert.ok(data.task === 'sequence');
  const o = await fineTune(m, data, {
    learningRate: 1e-2,
    batchSize: 8,
    epochs: 1,
    seed: 5,
    evaluateQuantized: false,
    checkpointDir: path.join(tmp, 'ck'),
  });
  const c = o.candidates!;
  assert.deepEqual(Object.keys(c).sort(), ['fine_tuned', 'frozen', 'hybrid', 'tfidf']);
  assert.deepEqual(c.fine_tuned!.test, o.metrics);
  assert.deepEqual(c.fine_tuned!.val, o.valMetrics);
  assert.equal(o.history[0].val_metric, accuracy(o.valMetrics)); // best epoch = epoch 1
  const V = vocabularySize(data.split.train.map((i) => data.dataset.examples[i].text));
  assert.deepEqual(c.hybrid!.features, { pooled: 16, tfidf: V, width: 16 + V }); // the fixture's hidden size is 16
  assert.equal(c.tfidf!.test.accuracy, accuracy(o.baselines.tfidf_lr));
  // The clean topics fixture is separable by its words: TF-IDF and the hybrid get every test row right.
  assert.equal(c.tfidf!.test.accuracy, 1);
  assert.equal(c.hybrid!.test.accuracy, 1);
  assert.deepEqual(o.recommendation, recommend(c, averageWords(data.dataset)));
  // No candidates when baselines are off (tests and benchmarks that only want the network).
  const off = await fineTune(m, data, {
    learningRate: 1e-2,
    batchSize: 8,
    epochs: 1,
    seed: 5,
    evaluateQuantized: false,
    baselines: false,
    checkpointDir: path.join(tmp, 'ck2'),
  });
  assert.equal(off.candidates, undefined);
});

/** The accuracy of sequence metrics (token and QA metrics have none). */
function accuracy(m: TaskMetrics | undefined): number {
  assert.ok(m && 'accuracy' in m);
  return m.accuracy;
}

const s = (val: number | undefined, test: number, f1v = val, f1t = test): CandidateScores => ({
  ...(val === undefined ? {} : { val: { accuracy: val, macro_f1: f1v ?? val } }),
  test: { accuracy: test, macro_f1: f1t },
});

test('recommendation: the best validation accuracy wins, whatever the test split says', () => {
  const c: Candidates = { frozen: s(0.53, 0.9), fine_tuned: s(0.58, 0.95), hybrid: s(0.61, 0.2), tfidf: s(0.66, 0.1) };
  const r = recommend(c, 12)!;
  assert.equal(r.candidate, 'tfidf');
  assert.equal(r.split, 'validation');
  assert.equal(
    r.reason,
    'TF-IDF + LR: 66.0% validation accuracy vs 61.0% hybrid (frozen + TF-IDF); the texts are short and topical: their words alone separate the labels, at a fraction of the cost',
  );
  assert.match(recommend(c, 400)!.reason, /the labels follow the words used/);
  const h = recommend({ ...c, hybrid: s(0.7, 0.2) })!;
  assert.equal(h.candidate, 'hybrid');
  assert.equal(
    h.reason,
    'hybrid (frozen + TF-IDF): 70.0% validation accuracy vs 66.0% TF-IDF + LR; words and the encoder’s features each add something: together they beat either alone',
  );
  assert.equal(recommend({ ...c, fine_tuned: s(0.9, 0) })!.candidate, 'fine_tuned');
});

test('recommendation: ties go to macro-F1, then to the cheaper candidate; missing candidates are skipped', () => {
  // Same accuracy, better macro-F1 wins.
  assert.equal(recommend({ tfidf: s(0.6, 0.6, 0.5), fine_tuned: s(0.6, 0.6, 0.55) })!.candidate, 'fine_tuned');
  // Full tie: the cheaper one, in the order TF-IDF < frozen < hybrid < fine-tuned.
  const t = recommend({ fine_tuned: s(0.6, 0.9), hybrid: s(0.6, 0.1), frozen: s(0.6, 0.5) })!;
  assert.equal(t.candidate, 'frozen');
  assert.equal(
    t.reason,
    'frozen encoder + head: 60.0% validation accuracy vs 60.0% hybrid (frozen + TF-IDF); as good as hybrid (frozen + TF-IDF) and fine-tuned on validation, and cheaper',
  );
  // Missing and validation-less candidates are skipped; one candidate has no runner-up.
  const one = recommend({ frozen: s(undefined, 1), fine_tuned: s(0.4, 0.4) })!;
  assert.equal(one.candidate, 'fine_tuned');
  assert.equal(
    one.reason,
    'fine-tuned: 40.0% validation accuracy; training the encoder on this data beats its frozen features and word counts',
  );
  assert.equal(recommend({ frozen: s(undefined, 1), tfidf: s(undefined, 0.2) }), undefined);
  assert.equal(recommend({}), undefined);
});

test('candidate table lines for the CLI: validation and test columns, the recommended one starred', () => {
  const c: Candidates = { frozen: s(0.5, 0.25), tfidf: s(0.75, 0.5, 0.7, 0.45) };
  assert.deepEqual(candidateLines(c, recommend(c)), [
    '',
    'candidates (same split)     val acc  val F1  test acc  test F1',
    'TF-IDF + LR ★                75.0%   70.0%   50.0%     45.0%',
    'frozen encoder + head        50.0%   50.0%   25.0%     25.0%',
    'Recommended (on validation): TF-IDF + LR: 75.0% validation accuracy vs 50.0% frozen encoder + head; the labels follow the words used: word counts do as well as the encoder, at a fraction of the cost.',
  ]);
  assert.equal(
    candidateLines({ frozen: s(undefined, 0.5) }).pop(),
    'No validation split: no recommendation (the test split is not used to choose).',
  );
  assert.equal(averageWords(loadDatasetFrom('text,label\n"a b c",x\n"d e",y\n')), 2.5);
});

function loadDatasetFrom(csv: string) {
  const f = path.join(tmp, `d-${Math.random().toString(36).slice(2)}.csv`);
  fs.writeFileSync(f, csv);
  return loadDataset(f);
}

test('sidebar candidate rows: cheapest first, missing ones left out, the recommended one starred', () => {
  const c: Candidates = {
    fine_tuned: s(0.58, 0.6, 0.5, 0.55),
    tfidf: s(0.66, 0.7, 0.6, 0.65),
    frozen: s(undefined, 0.5),
  };
  const rows = candidateRows(c, recommend(c));
  assert.deepEqual(rows, [
    {
      name: 'tfidf',
      title: 'TF-IDF + LR ★',
      valAccuracy: '66.0%',
      testAccuracy: '70.0%',
      testMacroF1: '65.0%',
      recommended: true,
    },
    {
      name: 'frozen',
      title: 'Frozen + head',
      valAccuracy: '–',
      testAccuracy: '50.0%',
      testMacroF1: '50.0%',
      recommended: false,
    },
    {
      name: 'fine_tuned',
      title: 'Fine-tuned',
      valAccuracy: '58.0%',
      testAccuracy: '60.0%',
      testMacroF1: '55.0%',
      recommended: false,
    },
  ]);
});
