// What the sidebar's fine-tuning controls send reaches the engine: learning rate, train layers, freeze
// embeddings, head dropout, long texts; a run cancelled after an epoch is resumable, and Resume continues from that epoch's checkpoint;
// token (CoNLL) and QA (SQuAD) data get their task, their metrics and their baselines.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import type { EngineError } from '../../src/engine/errors';
import type { TaskMetrics } from '../../src/engine/training/fineTune';
import { classifyWithFineTuned, fineTunedView, runFineTuneSession } from '../../src/engine/training/fineTuneSession';
import type { TrainRequest } from '../../src/engine/training/session';
import { previewTaskData } from '../../src/engine/training/taskPreview';
import { taskMetricRows, taskOptions, trainLayerOptions } from '../../src/webviews/apps/trainer/candidateRows';
import { topicsCsv } from '../data/topicsCsv.mjs';
import { tmpDir } from './training-helpers';
import { fixture } from '../helpers';

const dir = tmpDir('bert-lens-ft-sidebar-');
const engine = new Engine();
after(async () => {
  await engine.unloadAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sidebar fine-tuning: lr, train layers, freeze embeddings, dropout and long texts reach the run; cancel after an epoch, then Resume', async () => {
  const data = path.join(dir, 'topics.csv');
  fs.writeFileSync(data, topicsCsv());
  const req: TrainRequest = {
    data,
    spec: { model: fixture('bert-mlm') },
    mode: 'fine-tune',
    seed: 11,
    epochs: 2,
    learningRate: 2e-2,
    trainLayers: 'top-1',
    freezeEmbeddings: true,
    dropout: 0.25,
    longTexts: 'truncate',
  };
  const ac = new AbortController();
  const cut = await runFineTuneSession(engine, req, {
    signal: ac.signal,
    onProgress: (p) => p.phase === 'train' && p.epoch === 1 && ac.abort(),
  });
  assert.equal(cut.report.head.learning_rate, 2e-2);
  assert.equal(cut.report.head.train_layers, 'top-1');
  assert.equal(cut.report.head.freeze_embeddings, true);
  assert.equal(cut.report.head.dropout, 0.25);
  assert.equal(cut.report.head.long_texts, 'truncate');
  assert.equal(cut.report.head.cancelled, true);
  assert.equal(cut.report.head.epochs_run, 1);
  assert.equal(fineTunedView(cut).resumable, true);
  assert.equal(cut.report.candidates, undefined); // a cancelled run is not scored further
  const resumed = await runFineTuneSession(engine, { ...req, resume: true }, {});
  assert.equal(resumed.report.head.resumed_from, 1);
  assert.equal(resumed.report.head.epochs_run, 2);
  assert.deepEqual(resumed.report.history[0], cut.report.history[0]); // epoch 1 comes from the checkpoint
  assert.equal(fineTunedView(resumed).resumable, undefined);
  assert.deepEqual(Object.keys(resumed.report.candidates!).sort(), ['fine_tuned', 'frozen', 'hybrid', 'tfidf']);
  // The checkpoint is gone after a finished run: a second Resume has nothing to continue.
  await assert.rejects(
    runFineTuneSession(engine, { ...req, resume: true }, {}),
    (e: EngineError) => e.code === 'no-checkpoint',
  );
  // A bad train-layers value is one clear line.
  await assert.rejects(
    runFineTuneSession(engine, { ...req, trainLayers: 'some' }, {}),
    (e: EngineError) => e.code === 'bad-option' && /not all, head or top-K/.test(e.message),
  );
});

test('train-layer choices for the sidebar: all, top-K for K < layers, head', () => {
  assert.deepEqual(trainLayerOptions(4), [
    ['all', 'all layers'],
    ['top-1', 'top 1 + head'],
    ['top-2', 'top 2 + head'],
    ['top-3', 'top 3 + head'],
    ['head', 'head only'],
  ]);
  assert.deepEqual(trainLayerOptions(1), [
    ['all', 'all layers'],
    ['head', 'head only'],
  ]);
});

/** The F1 of token or QA metrics (sequence metrics have none). */
function f1(m: TaskMetrics): number {
  assert.ok('f1' in m);
  return m.f1;
}

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const CITIES = ['paris', 'london', 'rome', 'berlin', 'madrid', 'vienna'];

test('token and QA data in the sidebar: the preview names the task; a run reports entity P/R/F1 or exact/F1 beside the baselines', async () => {
  const conll = path.join(dir, 'people.conll');
  const sentences = Array.from(
    { length: 30 },
    (_, i) => `${NAMES[i % 8]} B-PER\nlives O\nin O\n${CITIES[i % 6]} B-LOC\n. O\n`,
  );
  fs.writeFileSync(conll, sentences.join('\n'));
  const p = previewTaskData(conll);
  assert.equal(p.task, 'token');
  assert.equal(p.format, 'conll');
  assert.equal(p.size, 30);
  assert.deepEqual(p.labelCounts, [
    { label: 'LOC', count: 30 },
    { label: 'PER', count: 30 },
  ]);
  assert.deepEqual(p.rows[0], { text: 'alice lives in paris .', label: 'B-PER O O B-LOC O', line: '1' });
  assert.deepEqual(taskOptions(p), [['token', 'token classification (entities)']]);

  const run = await runFineTuneSession(
    engine,
    {
      data: conll,
      spec: { model: fixture('bert-mlm') },
      mode: 'fine-tune',
      task: 'token',
      seed: 3,
      epochs: 1,
      learningRate: 1e-2,
    },
    {},
  );
  assert.equal(run.report.task, 'token');
  const tm = run.report.task_metrics;
  assert.ok(tm);
  assert.deepEqual(tm.metrics, run.outcome.metrics);
  assert.deepEqual(tm.quantized, run.outcome.quantizedMetrics);
  assert.deepEqual(Object.keys(tm.baselines), ['majority_tag']);
  const v = fineTunedView(run);
  assert.deepEqual([v.labels, v.examples, v.cells], [['O', 'B-LOC', 'B-PER'], [], []]);
  const rows = taskMetricRows('token', tm);
  assert.deepEqual(rows.header, ['entity P', 'R', 'F1']);
  assert.deepEqual(
    rows.rows.map((r) => r[0]),
    ['Fine-tuned (fp32)', 'Fine-tuned (int8)', 'Majority tag per word'],
  );
  assert.equal(rows.rows[0][3], `${(100 * f1(run.outcome.metrics)).toFixed(1)}%`);
  assert.equal(rows.rows[2][3], `${(100 * f1(run.outcome.baselines.majority_tag)).toFixed(1)}%`);
  await assert.rejects(
    classifyWithFineTuned(run, ['bob lives in rome .']),
    (e: EngineError) => e.code === 'bad-option' && /token-classification model/.test(e.message),
  );

  const paragraphs = Array.from({ length: 10 }, (_, i) => {
    const context = `${NAMES[i % 8]} went to ${CITIES[i % 6]} last year .`;
    return {
      context,
      qas: [
        {
          id: `q${i}`,
          question: `where did ${NAMES[i % 8]} go ?`,
          answers: [{ text: CITIES[i % 6], answer_start: context.indexOf(CITIES[i % 6]) }],
        },
      ],
    };
  });
  const squad = path.join(dir, 'trips.json');
  fs.writeFileSync(squad, JSON.stringify({ data: [{ paragraphs }] }));
  const q = previewTaskData(squad);
  assert.deepEqual([q.task, q.format, q.size, q.labelCounts], ['qa', 'squad', 10, [{ label: 'answered', count: 10 }]]);
  assert.deepEqual(q.rows[1], { text: 'where did bob go ?', label: 'london', line: q.rows[1].line });
  assert.deepEqual(taskMetricRows('qa', { metrics: { exact: 0.5, f1: 0.625 }, baselines: {} }), {
    header: ['exact match', 'F1'],
    rows: [['Fine-tuned (fp32)', '50.0%', '62.5%']],
  });
  // Classification data keeps its tasks: sequence, and pair first when a pair column is chosen.
  assert.deepEqual(
    taskOptions({ task: 'sequence', pairColumn: 'hypothesis' }).map(([t]) => t),
    ['pair', 'sequence'],
  );
  assert.deepEqual(
    taskOptions({ task: 'sequence' }).map(([t]) => t),
    ['sequence'],
  );
});
