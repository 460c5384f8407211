import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineError } from '../../src/engine/errors';
import type { LoadedModel } from '../../src/engine/model';
import type { TrainProgress } from '../../src/engine/training/train';
import type { Dataset } from '../../src/engine/training/types';
import { fakeExtractor, root, tmpDir, training } from './training-helpers';

const t = training();
const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('metrics: accuracy, macro-F1, per-class precision/recall, confusion matrix with example indexes', () => {
  const m = t.metrics.computeMetrics([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], ['a', 'b', 'c']);
  assert.deepEqual(m.confusion, [
    [2, 1, 0],
    [0, 1, 1],
    [0, 0, 1],
  ]);
  assert.deepEqual(m.confusionExamples, [
    [[0, 1], [2], []],
    [[], [3], [4]],
    [[], [], [5]],
  ]);
  close(m.accuracy, 4 / 6);
  assert.deepEqual(
    m.perClass.map((c) => [c.label, c.precision, c.support]),
    [
      ['a', 1, 3],
      ['b', 0.5, 2],
      ['c', 0.5, 1],
    ],
  );
  assert.deepEqual(
    m.perClass.map((c) => c.recall),
    [2 / 3, 0.5, 1],
  );
  close(m.macroF1, (0.8 + 0.5 + 2 / 3) / 3);
  const none = t.metrics.computeMetrics([0, 0], [0, 0], ['a', 'b']);
  assert.equal(none.perClass[1].f1, 0);
  assert.equal(none.macroF1, 0.5);
});

test('TF-IDF: unigrams + bigrams, sublinear tf, smooth idf, L2 rows', () => {
  assert.deepEqual(t.tfidf.terms('The cat, a cat!', 'Dog'), ['the', 'the cat', 'cat', 'cat cat', 'cat', 'b:dog']);
  const model = t.tfidf.fitTfidf([{ text: 'cat sat' }, { text: 'cat cat' }]);
  assert.deepEqual(model.vocabulary, ['cat', 'cat cat', 'cat sat', 'sat']);
  close(model.idf[0], 1);
  close(model.idf[1], 1.4054651081081644);
  const row = t.tfidf.tfidfTransformer(model)({ text: 'cat cat' });
  assert.deepEqual(Array.from(row.idx), [0, 1]);
  close(row.val[0], 0.7694470729725092);
  close(row.val[1], 0.6387105775654869);
  const capped = t.tfidf.fitTfidf([{ text: 'aa bb' }, { text: 'aa cc' }], 1);
  assert.deepEqual(capped.vocabulary, ['aa']);
});

function separable(n = 30): Dataset {
  const A = ['goal', 'match', 'team', 'score', 'league', 'coach'];
  const B = ['recipe', 'oven', 'flour', 'sauce', 'bake', 'salt'];
  const ex: Dataset['examples'] = [];
  for (let i = 0; i < n; i++) {
    ex.push({
      text: `${A[i % 6]} ${A[(i * 5 + 1) % 6]} ${A[(i + 2) % 6]} ${i}`,
      label: 'sport',
      source: { file: '/d.csv', line: i + 2 },
    });
    ex.push({
      text: `${B[i % 6]} ${B[(i * 5 + 1) % 6]} ${B[(i + 2) % 6]} ${i}`,
      label: 'food',
      source: { file: '/d.csv', line: n + i + 2 },
    });
  }
  return {
    path: '/d.csv',
    format: 'csv',
    columns: ['text', 'label'],
    textColumn: 'text',
    labelColumn: 'label',
    examples: ex,
    labels: ['food', 'sport'],
    warnings: [],
  };
}

test('training on a clearly separable dataset reaches 95% test accuracy (logistic and MLP), with progress per epoch', async () => {
  for (const head of ['logistic', 'mlp'] as const) {
    const epochs: Extract<TrainProgress, { phase: 'train' }>[] = [];
    const o = await t.train.trainClassifier(
      separable(),
      fakeExtractor(64),
      { head, cacheDir: tmpDir() },
      { onProgress: (p) => p.phase === 'train' && epochs.push(p) },
    );
    assert.ok(o.metrics.accuracy >= 0.95, `${head}: ${o.metrics.accuracy}`);
    assert.ok(
      epochs.length >= 1 &&
        epochs.every(
          (p, i) => p.epoch === i + 1 && Number.isFinite(p.loss) && p.valAccuracy >= 0 && p.valAccuracy <= 1,
        ),
    );
    assert.equal(o.baselines.majority.accuracy, 0.5);
    assert.ok(o.baselines.tfidf_lr.accuracy >= 0.95);
    assert.deepEqual([o.split.train.length, o.split.val.length, o.split.test.length], [42, 6, 12]);
  }
});

test('training is deterministic for a seed; the feature cache is used on the second run', async () => {
  const cacheDir = tmpDir();
  const ex = fakeExtractor(16);
  const a = await t.train.trainClassifier(separable(), ex, { seed: 3, cacheDir });
  const b = await t.train.trainClassifier(separable(), ex, { seed: 3, cacheDir });
  assert.equal(ex.calls, 1);
  assert.equal(b.featuresCached, true);
  assert.deepEqual(Array.from(a.classifier.head.w1), Array.from(b.classifier.head.w1));
  assert.deepEqual(a.history, b.history);
});

test('class weights: balanced weights are n / (k · n_class)', () => {
  assert.deepEqual(Array.from(t.heads.classWeightsFor([0, 0, 0, 1], 2, 'balanced')), [4 / 6, 2]);
});

test('cancel: an aborted signal stops training with CancelledError', async () => {
  const ac = new AbortController();
  await assert.rejects(
    t.train.trainClassifier(
      separable(),
      fakeExtractor(16),
      { cacheDir: tmpDir() },
      { signal: ac.signal, onProgress: (p) => p.phase === 'train' && ac.abort() },
    ),
    (e: EngineError) => e.code === 'cancelled',
  );
});

test('a model whose hidden states cannot be found is refused with a clear error', async () => {
  // Deliberately not a LoadedModel: only what EncoderFeatureExtractor.create reads, with no hidden states.
  const fakeModel = {
    id: 'weird',
    folder: { numLayers: 2 },
    graphInfo: () => ({
      nodes: [],
      inputs: [],
      outputs: [],
      initializers: new Set(),
      consumers: new Map(),
      producer: new Map(),
    }),
  };
  await assert.rejects(
    t.extractor.EncoderFeatureExtractor.create(fakeModel as unknown as LoadedModel, {}),
    (e: EngineError) => e.code === 'model-outputs' && /hidden states of weird/.test(e.message) && !!e.hint,
  );
  const bytes = new Uint8Array(fs.readFileSync(path.join(root, 'test/fixtures/bert-mlm/onnx/model.onnx')));
  assert.throws(
    () => t.onnxHead.buildPooledModel(bytes, { hiddenTensors: ['nope'], pooling: 'mean', specialIds: [] }),
    (e: EngineError) => e.code === 'model-outputs',
  );
  assert.throws(
    () => t.extractor.resolveLayers(4, 7),
    (e: EngineError) => e.code === 'bad-layer' && /0 \(embeddings\) to 4/.test(e.message),
  );
  assert.deepEqual(t.extractor.resolveLayers(4, -1, 2), [3, 4]);
});
