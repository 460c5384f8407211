import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineClient } from '../../src/engine/client';
import type { EngineError } from '../../src/engine/errors';
import type { MethodContext } from '../../src/engine/rpc';
import type { TrainRequest, TrainingProgress } from '../../src/engine/training/session';
import { topicsCsv } from '../data/topicsCsv.mjs';
import { WORKER } from '../helpers';
import { root, tmpDir, training } from './training-helpers';

const t = training();
const FIXTURE = path.join(root, 'test/fixtures/bert-mlm');

function writeCsv(dir: string): string {
  const p = path.join(dir, 'topics.csv');
  fs.writeFileSync(p, topicsCsv());
  return p;
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

test('the exported ONNX classifier reproduces the in-process probabilities to 1e-5 (logistic/mean, MLP/CLS of two layers)', async () => {
  const engine = new t.Engine();
  const dir = tmpDir();
  const data = writeCsv(dir);
  const options: Partial<TrainRequest>[] = [
    { head: 'logistic' },
    { head: 'mlp', pooling: 'cls', lastLayers: 2, layer: -1 },
  ];
  for (const opts of options) {
    const run = await t.session.runTraining(
      engine,
      { data, spec: { model: FIXTURE }, cacheDir: path.join(dir, 'cache'), ...opts },
      {},
    );
    const out = t.save.saveClassifier(run.outcome.classifier, run.report, { dataPath: data });
    const texts = [
      'the goal and the coach',
      'bake the flour',
      '',
      'a much longer text about a match, a league and a recipe with salt and sauce',
    ];
    const inProcess = await t.train.predictTexts(run.outcome.classifier, texts);
    // Load the folder as any model: the engine's own loader, then the plain ONNX session.
    const exported = await t.LoadedModel.load('exported', out, undefined, 'cpu');
    assert.equal(exported.summary().head, 'sequence-classification');
    assert.deepEqual(exported.summary().labels, ['food', 'sport']);
    assert.deepEqual([...exported.plain.outputNames], ['logits']);
    for (let i = 0; i < texts.length; i++) {
      const enc = await exported.tokenizer.encode(texts[i]);
      const r = await exported.run([enc], ['logits']);
      assert.deepEqual(r.logits.dims, [1, 2]);
      const p = softmax(Array.from(r.logits.data));
      for (let j = 0; j < 2; j++)
        assert.ok(Math.abs(p[j] - inProcess[i][j]) <= 1e-5, `${opts.head} text ${i}: ${p[j]} vs ${inProcess[i][j]}`);
    }
    // Batched with padding gives the same numbers.
    const encs = await Promise.all(texts.map((x) => exported.tokenizer.encode(x)));
    const rb = await exported.run(encs, ['logits']);
    for (let i = 0; i < texts.length; i++) {
      const p = softmax(Array.from(rb.logits.data.slice(i * 2, i * 2 + 2)));
      for (let j = 0; j < 2; j++) assert.ok(Math.abs(p[j] - inProcess[i][j]) <= 1e-5);
    }
    await exported.dispose();
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.id2label, { 0: 'food', 1: 'sport' });
    assert.deepEqual(config.label2id, { food: 0, sport: 1 });
    assert.deepEqual(config.architectures, ['BertLensClassifier']);
    assert.equal(config.model_type, 'bert');
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'training-report.json', 'MODEL_CARD.md'])
      assert.ok(fs.existsSync(path.join(out, f)), f);
    const card = fs.readFileSync(path.join(out, 'MODEL_CARD.md'), 'utf8');
    assert.match(card, /\| majority class \| 50\.0% \|/);
  }
  await engine.unloadAll();
});

test('runTrain (bert-lens train) through the worker: stable --json shape, new folder next to the data, never overwrites', async () => {
  const dir = tmpDir();
  const data = writeCsv(dir);
  const lines: string[] = [];
  const client = new EngineClient({ workerPath: WORKER });
  const r = await t.trainCommand.runTrain(
    { data, model: FIXTURE, seed: 1, cacheDir: path.join(dir, 'cache') },
    { log: (l) => lines.push(l) },
    client,
  );
  // Today's keys, then the ones fine-tuning (#8) added for both modes, then the candidates and the pick.
  assert.deepEqual(Object.keys(r), [
    'train_size',
    'test_size',
    'metrics',
    'baselines',
    'seconds',
    'output',
    'mode',
    'task',
    'epochs',
    'history',
    'candidates',
    'recommendation',
  ]);
  assert.deepEqual(Object.keys(r.candidates!), ['frozen', 'hybrid', 'tfidf']);
  assert.deepEqual(r.candidates!.frozen!.test, r.metrics);
  assert.deepEqual(r.candidates!.tfidf!.test, r.baselines.tfidf_lr);
  assert.ok(['frozen', 'hybrid', 'tfidf'].includes(r.recommendation!.candidate));
  assert.ok(
    lines.some((l) => l.startsWith('Recommended (on validation): ')),
    lines.join('\n'),
  );
  assert.equal(r.mode, 'frozen');
  assert.equal(r.task, 'sequence');
  assert.equal(r.history.length, r.epochs);
  assert.deepEqual(Object.keys(r.history[0]), ['epoch', 'train_loss', 'val_metric']);
  assert.deepEqual(Object.keys(r.metrics), ['accuracy', 'macro_f1']);
  assert.deepEqual(Object.keys(r.baselines), ['majority', 'tfidf_lr']);
  assert.deepEqual(Object.keys(r.baselines.tfidf_lr), ['accuracy', 'macro_f1']);
  assert.deepEqual([r.train_size, r.test_size], [28, 8]);
  assert.equal(r.baselines.majority.accuracy, 0.5);
  assert.equal(r.output, path.join(dir, 'topics-classifier'));
  assert.ok(lines.some((l) => l.startsWith('classifier ')));
  // Progress crossed the thread boundary: the phases the worker reported became lines, in order.
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  assert.ok(
    at('Reading data') >= 0 &&
      at('Reading data') < at('Features: 40 texts') &&
      at('Features: 40 texts') < at('epoch   1') &&
      at('epoch   1') < at('classifier '),
    lines.join('\n'),
  );
  assert.ok(lines.at(-1)!.startsWith(`Saved to ${r.output} (`));
  const report = JSON.parse(fs.readFileSync(path.join(r.output, 'training-report.json'), 'utf8'));
  assert.equal(report.metrics.accuracy, r.metrics.accuracy);
  assert.equal(report.split.seed, 1);

  const r2 = await t.trainCommand.runTrain(
    { data, model: FIXTURE, seed: 1, cacheDir: path.join(dir, 'cache') },
    { log() {} },
    client,
  );
  assert.equal(r2.output, path.join(dir, 'topics-classifier-2'));
  assert.equal(r2.metrics.accuracy, r.metrics.accuracy, 'same seed, same result');

  const taken = path.join(dir, 'taken');
  fs.mkdirSync(taken);
  fs.writeFileSync(path.join(taken, 'keep.txt'), 'mine');
  await assert.rejects(
    t.trainCommand.runTrain(
      { data, model: FIXTURE, output: taken, cacheDir: path.join(dir, 'cache') },
      { log() {} },
      client,
    ),
    (e: EngineError) => e.code === 'output-exists' && !!e.hint,
  );
  assert.deepEqual(fs.readdirSync(taken), ['keep.txt']);
  await client.dispose();
});

test('worker methods: preview, train with progress, classify, save', async () => {
  const dir = tmpDir();
  const data = writeCsv(dir);
  const engine = new t.Engine();
  const m = t.methods.trainingMethods;
  const ctx = <P>(events: P[]): MethodContext<P> => ({
    signal: new AbortController().signal,
    progress: (p) => events.push(p),
  });
  const prev = await m.trainingPreview(engine, { path: data }, ctx([]));
  assert.deepEqual(prev.labelCounts, [
    { label: 'food', count: 20 },
    { label: 'sport', count: 20 },
  ]);
  assert.equal(prev.rows.length, 8);
  const events: TrainingProgress[] = [];
  const view = await m.trainingTrain(
    engine,
    { data, spec: { model: FIXTURE }, cacheDir: path.join(dir, 'cache') },
    ctx(events),
  );
  assert.ok(events.some((e) => e.phase === 'features') && events.some((e) => e.phase === 'train'));
  assert.equal(view.examples.length, 8);
  assert.equal(view.cells.flat(2).length, 8);
  assert.ok(view.examples.every((e) => e.file === data && e.line >= 2));
  const c = await m.trainingClassify(engine, { runId: view.runId, texts: ['the goal'] }, ctx([]));
  assert.deepEqual(c.labels, ['food', 'sport']);
  assert.ok(Math.abs(c.probabilities[0][0] + c.probabilities[0][1] - 1) < 1e-9);
  const saved = await m.trainingSave(engine, { runId: view.runId }, ctx([]));
  assert.equal(saved.dir, path.join(dir, 'topics-classifier'));
  await assert.rejects(
    m.trainingSave(engine, { runId: view.runId, dir: saved.dir }, ctx([])),
    (e: EngineError) => e.code === 'output-exists',
  );
  await m.trainingSave(engine, { runId: view.runId, dir: saved.dir, overwrite: true }, ctx([]));
  await engine.unloadAll();
});

test('a text longer than the model reads in windows: `classify` on the exported folder equals the in-process logistic prediction', async () => {
  const engine = new t.Engine();
  const dir = tmpDir();
  const data = writeCsv(dir);
  const run = await t.session.runTraining(
    engine,
    { data, spec: { model: FIXTURE }, cacheDir: path.join(dir, 'cache'), head: 'logistic' },
    {},
  );
  const out = t.save.saveClassifier(run.outcome.classifier, run.report, { dataPath: data });
  const long =
    'the goal and the coach of the team in the league. '.repeat(30) + 'bake the flour with salt and sauce. '.repeat(10);
  const [inProcess] = await t.train.predictTexts(run.outcome.classifier, [long]);
  const exported = await t.LoadedModel.load('exported', out, undefined, 'cpu');
  const enc = await exported.tokenizer.encode(long);
  assert.ok(enc.ids.length > 2 * exported.folder.maxLength, `${enc.ids.length} tokens: several windows`);
  const { classify } = t.classifyTask;
  const r = await classify(exported, { text: long });
  const p = Object.fromEntries(r.labels.map((l) => [l.label, l.score]));
  assert.ok(Math.abs(p.food - inProcess[0]) <= 1e-5, `food ${p.food} vs ${inProcess[0]}`);
  assert.ok(Math.abs(p.sport - inProcess[1]) <= 1e-5, `sport ${p.sport} vs ${inProcess[1]}`);
  await exported.dispose();
  await engine.unloadAll();
});
