// The trainer's feature cache is checked, not trusted (issue #14, item 7): a header with magic, version, shape
// and a checksum; same-size garbage, a bad checksum, NaN values, a FIFO or a symlink at the cache path are
// ignored (and the features recomputed); the CLI's default cache is the user's own folder with mode 0700; and a
// classifier with non-finite weights is never saved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { topicsCsv } from '../data/topicsCsv.mjs';
import type { EngineError } from '../../src/engine/errors';
import type { Dataset } from '../../src/engine/training/types';
import { fakeExtractor, root, tmpDir, training } from './training-helpers';

const t = training();
const texts = ['the goal and the coach', 'bake the flour', 'a match in the league'];
const fc = t.featureCache;

async function expected(dim: number): Promise<number[][]> {
  return (await fakeExtractor(dim).embedBatch(texts, undefined)).map((f) => Array.from(f));
}

test('a valid entry is reused; same-size garbage, a bad checksum or NaN values are recomputed and rewritten', async () => {
  const dir = tmpDir();
  const ex = fakeExtractor(8);
  const file = path.join(dir, `${fc.featureCacheKey(ex.key, texts)}.f32`);
  const first = await fc.cachedFeatures(ex, texts, undefined, dir);
  assert.equal(first.cached, false);
  const again = await fc.cachedFeatures(ex, texts, undefined, dir);
  assert.equal(again.cached, true);
  assert.deepEqual(
    again.features.map((f) => Array.from(f)),
    await expected(8),
  );

  const corruptions = {
    'same-size NaN garbage (the old headerless format)': () =>
      fs.writeFileSync(file, new Uint8Array(new Float32Array(texts.length * 8).fill(NaN).buffer)),
    'a flipped payload byte': () => {
      const b = fs.readFileSync(file);
      b[b.length - 3] ^= 0x40;
      fs.writeFileSync(file, b);
    },
    'NaN with a matching checksum': () =>
      fs.writeFileSync(
        file,
        fc.encodeFeatureFile(
          texts.map(() => new Float32Array(8).fill(NaN)),
          8,
        ),
      ),
    'another shape': () =>
      fs.writeFileSync(
        file,
        fc.encodeFeatureFile(
          texts.slice(0, 2).map(() => new Float32Array(12)),
          12,
        ),
      ),
  };
  for (const [what, corrupt] of Object.entries(corruptions)) {
    corrupt();
    const r = await fc.cachedFeatures(ex, texts, undefined, dir);
    assert.equal(r.cached, false, what);
    assert.deepEqual(
      r.features.map((f) => Array.from(f)),
      await expected(8),
      what,
    );
    assert.equal((await fc.cachedFeatures(ex, texts, undefined, dir)).cached, true, `${what}: rewritten`);
  }
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test('a FIFO or a symlink at the cache path is not read (no hang) and not followed', async () => {
  const dir = tmpDir();
  const ex = fakeExtractor(8);
  const file = path.join(dir, `${fc.featureCacheKey(ex.key, texts)}.f32`);
  execFileSync('mkfifo', [file]);
  const r = await fc.cachedFeatures(ex, texts, undefined, dir);
  assert.equal(r.cached, false);
  assert.deepEqual(
    r.features.map((f) => Array.from(f)),
    await expected(8),
  );
  fs.rmSync(file);
  const planted = path.join(dir, 'planted.f32');
  fs.writeFileSync(
    planted,
    fc.encodeFeatureFile(
      texts.map(() => new Float32Array(8).fill(1)),
      8,
    ),
  );
  fs.symlinkSync(planted, file);
  const s = await fc.cachedFeatures(ex, texts, undefined, dir);
  assert.equal(s.cached, false, 'a symlink is not followed');
  assert.deepEqual(
    s.features.map((f) => Array.from(f)),
    await expected(8),
  );
});

test('the default cache is $XDG_CACHE_HOME/bert-lens/features, created with mode 0700', async () => {
  if (process.platform !== 'linux') return;
  const xdg = tmpDir();
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = xdg;
  try {
    assert.equal(fc.defaultFeatureCacheDir(), path.join(xdg, 'bert-lens', 'features'));
    const r = await fc.cachedFeatures(fakeExtractor(8), texts, undefined, undefined);
    assert.equal(r.cached, false);
    assert.equal(fs.statSync(path.join(xdg, 'bert-lens')).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(xdg, 'bert-lens', 'features')).mode & 0o777, 0o700);
    assert.equal(fs.readdirSync(path.join(xdg, 'bert-lens', 'features')).length, 1);
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  }
});

test('a classifier with non-finite weights or metrics is not saved', async () => {
  const engine = new t.Engine();
  const dir = tmpDir();
  const data = path.join(dir, 'topics.csv');
  fs.writeFileSync(data, topicsCsv());
  const run = await t.session.runTraining(
    engine,
    {
      data,
      spec: { model: path.join(root, 'test/fixtures/bert-mlm') },
      cacheDir: path.join(dir, 'cache'),
      head: 'logistic',
    },
    {},
  );
  const out = path.join(dir, 'out');
  run.outcome.classifier.head.w1[3] = NaN;
  assert.throws(
    () => t.save.saveClassifier(run.outcome.classifier, run.report, { dir: out, dataPath: data }),
    (e: EngineError) => e.code === 'non-finite' && /weights w1/.test(e.message) && /nothing was saved/.test(e.message),
  );
  assert.equal(fs.existsSync(out), false);
  run.outcome.classifier.head.w1[3] = 0;
  run.report.metrics.accuracy = NaN;
  assert.throws(
    () => t.save.saveClassifier(run.outcome.classifier, run.report, { dir: out, dataPath: data }),
    (e: EngineError) => e.code === 'non-finite' && /test metrics/.test(e.message),
  );
  assert.equal(fs.existsSync(out), false);
  await engine.unloadAll();
});

test('training on 4 examples names 4 examples when they are too few for a validation part', async () => {
  const examples = [
    { text: 'goal coach match', label: 'sport' },
    { text: 'league team score', label: 'sport' },
    { text: 'flour bake oven', label: 'food' },
    { text: 'salt sauce recipe', label: 'food' },
  ].map((e, i) => ({ ...e, source: { file: 'four.csv', line: i + 2 } }));
  const dataset: Dataset = {
    path: 'four.csv',
    format: 'csv',
    columns: ['text', 'label'],
    textColumn: 'text',
    labelColumn: 'label',
    examples,
    labels: ['food', 'sport'],
    warnings: [],
  };
  await assert.rejects(
    t.train.trainClassifier(dataset, fakeExtractor(8), { cacheDir: tmpDir() }),
    (e: EngineError) => e.code === 'data-too-small' && /^Only 4 examples/.test(e.message),
  );
});

test('a 2 MB cell is cut to the model’s window budget, with a warning that names its line', async () => {
  const engine = new t.Engine();
  const dir = tmpDir();
  const data = path.join(dir, 'topics.csv');
  const csv = topicsCsv().trimEnd().split('\n');
  csv.splice(3, 0, `"${'goal '.repeat(400_000).trim()}",sport`);
  fs.writeFileSync(data, csv.join('\n') + '\n');
  const run = await t.session.runTraining(
    engine,
    {
      data,
      spec: { model: path.join(root, 'test/fixtures/bert-mlm') },
      cacheDir: path.join(dir, 'cache'),
      head: 'logistic',
    },
    {},
  );
  const budget = t.longTexts.textBudget(run.report.encoder.max_length);
  const w = run.report.data.warnings.find((m) => /^Cut 1 text/.test(m));
  assert.ok(w, JSON.stringify(run.report.data.warnings));
  assert.match(w, new RegExp(`first ${budget} characters \\(line 4\\)`));
  assert.ok(run.dataset.examples.every((e) => e.text.length <= budget));
  await engine.unloadAll();
});
