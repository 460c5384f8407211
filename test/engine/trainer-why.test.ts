// "Why this label?" in the Classifier Trainer's results: saliency of a test example's predicted label through the
// trained network. For a fine-tuned run and for a frozen head on an fp32 encoder, the scores equal `saliency`
// run on the folder "Save as model folder" writes (same numbers, 1e-6), and the explained log-probability is the
// log of the probability the run's own test evaluation gave that example; a head trained on int8 features is
// refused in one line; the temporary folder goes with the run (and day-old leftovers with the first explanation).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/errors';
import { LoadedModel } from '../../src/engine/model';
import { saliency } from '../../src/engine/tasks/saliency';
import { explainerFolder } from '../../src/engine/training/explain';
import { trainingMethods } from '../../src/engine/training/methods';
import type { TrainView } from '../../src/engine/training/types';
import { EMBEDDED, fixture } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-why-test-'));
const engine = new Engine();
const opened: LoadedModel[] = [];
after(async () => {
  for (const m of opened) await m.dispose();
  await engine.unloadAll();
  fs.rmSync(tmp, { recursive: true, force: true });
});
// Two clearly separable topics, 20 rows each (as test/data/topicsCsv.mjs).
const A = ['goal', 'match', 'team', 'score', 'league', 'coach'];
const B = ['recipe', 'oven', 'flour', 'sauce', 'bake', 'salt'];
const rows = ['text,label'];
for (let i = 0; i < 20; i++)
  rows.push(
    `"the ${A[i % 6]} and the ${A[(i + 3) % 6]}, ${A[(i + 1) % 6]}",sport`,
    `"the ${B[i % 6]} and the ${B[(i + 3) % 6]}, ${B[(i + 1) % 6]}",food`,
  );
const data = path.join(tmp, 'topics.csv');
fs.writeFileSync(data, rows.join('\n') + '\n');
const ctx = () => ({ signal: new AbortController().signal, progress: () => undefined });
const m = trainingMethods;

/** The full text of a test example (the view cuts long texts; these are short). */
function textOf(view: TrainView, x: number): string {
  const t = view.examples[x].text;
  assert.ok(!t.endsWith('…'));
  return t;
}

async function checkAgainstSaved(view: TrainView, name: string): Promise<void> {
  const saved = (await m.trainingSave(engine, { runId: view.runId, dir: path.join(tmp, name) }, ctx())).dir;
  const folder = await LoadedModel.load(`saved ${name}`, saved, 'fp32', 'cpu');
  opened.push(folder);
  assert.equal(folder.folder.head, 'sequence-classification');
  // Two examples with different predicted labels where the run has them.
  const picks = [0, view.examples.findIndex((e) => e.predicted !== view.examples[0].predicted)].filter((x) => x >= 0);
  for (const method of ['grad-input', 'integrated-gradients'] as const) {
    for (const x of picks) {
      const ex = view.examples[x];
      const why = await m.trainingExplain(engine, { runId: view.runId, example: x, method, steps: 4 }, ctx());
      assert.deepEqual(why.example, {
        index: x,
        file: data,
        line: ex.line,
        label: ex.label,
        predicted: ex.predicted,
        text: textOf(view, x),
      });
      assert.deepEqual(why.target, { label: ex.predicted, index: view.labels.indexOf(ex.predicted) });
      // The network explained is the one that predicted: its log p is the log of the run's test probability.
      assert.ok(
        Math.abs(Math.exp(why.logprob) - ex.score) < 1e-5,
        `p ${Math.exp(why.logprob)} vs the run's ${ex.score}`,
      );
      const ref = await saliency(folder, { text: textOf(view, x), label: ex.predicted, method, steps: 4 });
      assert.deepEqual(why.tokens, ref.tokens);
      assert.equal(why.scores.length, ref.scores.length);
      why.scores.forEach((v, i) =>
        assert.ok(Math.abs(v - ref.scores[i]) <= 1e-6, `${method} token ${i}: ${v} vs ${ref.scores[i]}`),
      );
      assert.ok(Math.abs(why.logprob - ref.logprob) <= 1e-6);
      assert.ok(
        why.scores.some((v) => Math.abs(v) > 1e-6),
        'non-zero saliency',
      );
    }
  }
}

test('fine-tuned run: Why this label? equals saliency on the saved folder, and explains the run’s own probability', async () => {
  // Folders a killed worker left behind go when the first run is explained, once they are a day old.
  const stale = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-why-'));
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-why-'));
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  fs.utimesSync(stale, twoDaysAgo, twoDaysAgo);
  const view = await m.trainingTrain(
    engine,
    { data, spec: { model: fixture('bert-mlm') }, mode: 'fine-tune', epochs: 2, learningRate: 3e-3 },
    ctx(),
  );
  assert.equal(view.report.head.kind, 'fine-tuned');
  await checkAgainstSaved(view, 'ft');
  assert.ok(!fs.existsSync(stale), 'a day-old leftover is removed');
  assert.ok(fs.existsSync(fresh), 'a recent folder (another window’s) is kept');
  fs.rmSync(fresh, { recursive: true, force: true });
  const dir = explainerFolder(view.runId);
  assert.ok(dir && fs.existsSync(path.join(dir, 'onnx', 'model.onnx')));
  await m.trainingDispose(engine, { runId: view.runId }, ctx());
  assert.ok(!fs.existsSync(dir!), 'the temporary folder goes with the run');
  await assert.rejects(
    m.trainingExplain(engine, { runId: view.runId, example: 0 }, ctx()),
    (e: EngineError) => e.code === 'training-run-missing',
  );
});

test('frozen head on the fp32 encoder: Why this label? goes through encoder + pooling + head, as the saved folder', async () => {
  const view = await m.trainingTrain(
    engine,
    { data, spec: { model: fixture('bert-mlm') }, mode: 'frozen', cacheDir: path.join(tmp, 'cache') },
    ctx(),
  );
  assert.notEqual(view.report.head.kind, 'fine-tuned');
  await checkAgainstSaved(view, 'frozen');
  await assert.rejects(
    m.trainingExplain(engine, { runId: view.runId, example: view.examples.length }, ctx()),
    (e: EngineError) => e.code === 'explain-example' && e.message.includes(`(the run has ${view.examples.length})`),
  );
});

test('frozen head on int8 features: one clear line that says how to get an explanation', async () => {
  const view = await m.trainingTrain(
    engine,
    { data, spec: { model: EMBEDDED, variant: 'quantized' }, mode: 'frozen', cacheDir: path.join(tmp, 'cache') },
    ctx(),
  );
  await assert.rejects(m.trainingExplain(engine, { runId: view.runId, example: 0 }, ctx()), (e: EngineError) => {
    assert.equal(e.code, 'explain-frozen');
    assert.match(e.message, /int8 encoder, which has no gradients/);
    assert.match(e.hint ?? '', /fine-tune the encoder/);
    return true;
  });
  assert.equal(explainerFolder(view.runId), undefined);
});
