// The fine-tuning loop on tiny fixtures (hidden size 16, so the whole file runs in seconds on 2 cores): one AdamW
// step from the backward graph equals the hand-computed step from PyTorch's reference gradients; the loss goes
// down for sequence, token and QA data; the same seed gives the same weights; cancel keeps the best epoch and
// resume reproduces the uninterrupted run; train modes leave frozen parameters untouched; int8-only models
// are refused with one line.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { buildGradientGraph } from '../../src/engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { LoadedModel } from '../../src/engine/model';
import { openSession } from '../../src/engine/runtime';
import { fineTune, type FineTuneProgress } from '../../src/engine/training/fineTune';
import { readParameters } from '../../src/engine/training/fineTuneGraph';
import { AdamW } from '../../src/engine/training/optimizer';
import { loadTaskData } from '../../src/engine/training/taskData';
import { fixture, readJson } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-ft-train-'));
const models: LoadedModel[] = [];
after(async () => {
  for (const m of models) await m.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});
async function load(name: string): Promise<LoadedModel> {
  const m = await LoadedModel.load(`test:${name}`, fixture(name), 'fp32', 'cpu');
  models.push(m);
  return m;
}

const POS = ['good', 'great', 'fine', 'nice', 'happy', 'love'];
const NEG = ['bad', 'awful', 'poor', 'sad', 'hate', 'wrong'];
function sentimentCsv(): string {
  const rows = ['text,label'];
  for (let i = 0; i < 18; i++) {
    rows.push(`"a ${POS[i % 6]} day and a ${POS[(i + 2) % 6]} time",pos`);
    rows.push(`"a ${NEG[i % 6]} day and a ${NEG[(i + 3) % 6]} time",neg`);
  }
  return rows.join('\n') + '\n';
}
const csv = path.join(tmp, 'sentiment.csv');
fs.writeFileSync(csv, sentimentCsv());
const FAST = { learningRate: 3e-3, batchSize: 8, evaluateQuantized: false, baselines: false };

test('one AdamW step from the backward graph equals the hand-computed step from the reference gradients (bert-nli)', async () => {
  const ref = readJson(path.join(fixture('bert-nli'), 'gradients.json'));
  const bytes = new Uint8Array(fs.readFileSync(path.join(fixture('bert-nli'), 'onnx', 'model.onnx')));
  const names = ['m.classifier.bias', 'm.bert.embeddings.LayerNorm.weight', 'm.bert.embeddings.word_embeddings.weight'];
  const g = await buildGradientGraph(bytes, {
    objective: { kind: 'cross-entropy', outputs: ['logits'] },
    wrt: { parameters: names },
    parametersAsInputs: true,
  });
  const params = readParameters(bytes).filter((p) => names.includes(p.name));
  const before = params.map((p) => p.data.slice());
  const s = await openSession(g.bytes);
  const i64 = (xs: number[]) => ({
    type: 'int64' as const,
    data: BigInt64Array.from(xs.map(BigInt)),
    dims: [1, xs.length],
  });
  const r = await s.run(
    {
      input_ids: i64(ref.input_ids),
      attention_mask: i64(ref.attention_mask),
      token_type_ids: i64(ref.token_type_ids),
      [OBJECTIVE_INPUTS.labels(0)]: {
        type: 'int64',
        data: BigInt64Array.from([BigInt(ref.loss.labels[0])]),
        dims: [1],
      },
      ...Object.fromEntries(params.map((p) => [p.name, { type: 'float32' as const, data: p.data, dims: p.dims }])),
    },
    [g.outputs.loss, ...params.map((p) => g.outputs.gradients[p.name])],
  );
  await s.dispose();
  assert.ok(Math.abs(r[g.outputs.loss].data[0] - ref.loss.value) < 1e-5);
  const lr = 1e-3;
  const wd = 0.01;
  const opt = new AdamW(params, { weightDecay: wd });
  opt.step(
    params.map((p) => r[g.outputs.gradients[p.name]].data),
    lr,
  );
  // Step 1 of AdamW by hand: p·(1 − lr·wd·[decays]) − lr·g/(|g| + ε), with g from PyTorch.
  let checked = 0;
  params.forEach((p, k) => {
    const rg = ref.gradients[p.name];
    const decay = p.dims.length > 1 ? wd : 0;
    const entries: [number, number][] = [...rg.first.map((v: number, i: number) => [i, v]), ...rg.sample];
    for (const [i, gv] of entries) {
      if (Math.abs(gv) < 1e-5 * rg.l2) continue; // a step's sign is undefined for a gradient at rounding level
      const hand = before[k][i] * (1 - lr * decay) - (lr * gv) / (Math.abs(gv) + 1e-8);
      assert.ok(Math.abs(p.data[i] - hand) < 1e-6, `${p.name}[${i}]: ${p.data[i]} vs ${hand}`);
      checked++;
    }
  });
  assert.ok(checked >= 10, `checked ${checked} entries`);
});

test('sequence fine-tuning: the loss goes down, progress per step, metrics on the test split; same seed → same weights', async () => {
  const m = await load('bert-mlm');
  const data = loadTaskData(csv, { seed: 3 });
  const steps: FineTuneProgress[] = [];
  const a = await fineTune(
    m,
    data,
    { ...FAST, learningRate: 1e-2, epochs: 4, seed: 3, patience: 10, checkpointDir: path.join(tmp, 'ck-a') },
    { onProgress: (p) => p.phase === 'step' && steps.push(p) },
  );
  assert.equal(a.history.length, 4);
  const losses = a.history.map((h) => h.train_loss);
  assert.ok(
    losses.every((l, i) => i === 0 || l < losses[i - 1]) && losses[3] < losses[0] * 0.9,
    `loss ${losses.map((l) => l.toFixed(3)).join(' → ')}`,
  );
  assert.equal(a.pooling?.kind, 'mean'); // the random fixture's [CLS] states are near-identical
  const s0 = steps[0] as Extract<FineTuneProgress, { phase: 'step' }>;
  assert.equal(s0.lr, 0); // warm-up starts at 0, as HF schedules it
  assert.equal(steps.length, a.history.length * Math.ceil(data.split.train.length / 8));
  const last = steps[steps.length - 1] as Extract<FineTuneProgress, { phase: 'step' }>;
  assert.equal(last.step, last.totalSteps);
  assert.ok(last.examplesPerSecond > 0 && Number.isFinite(last.etaSeconds));
  assert.ok('accuracy' in a.metrics && 'macro_f1' in a.metrics);
  assert.equal(a.trainSize + a.valSize + a.testSize, 36);
  // Determinism: the same seed gives the same weights, another seed other weights.
  const b = await fineTune(m, data, {
    ...FAST,
    learningRate: 1e-2,
    epochs: 4,
    seed: 3,
    patience: 10,
    checkpointDir: path.join(tmp, 'ck-b'),
  });
  assert.deepEqual(Buffer.from(b.bytes), Buffer.from(a.bytes));
  const c = await fineTune(m, data, { ...FAST, epochs: 1, seed: 4, checkpointDir: path.join(tmp, 'ck-c') });
  assert.notDeepEqual(Buffer.from(c.bytes), Buffer.from(a.bytes));
});

test('cancel keeps the best epoch; resume from the last checkpoint reproduces the uninterrupted run', async () => {
  const m = await load('bert-mlm');
  const data = loadTaskData(csv, { seed: 5 });
  const o = { ...FAST, epochs: 3, seed: 5, patience: 10, learningRate: 1e-3 };
  const full = await fineTune(m, data, { ...o, checkpointDir: path.join(tmp, 'ck-full') });
  assert.equal(full.cancelled, false);
  assert.ok(!fs.existsSync(path.join(tmp, 'ck-full')), 'a finished run removes its checkpoint');

  const dir = path.join(tmp, 'ck-cancel');
  const ac = new AbortController();
  const cut = await fineTune(
    m,
    data,
    { ...o, checkpointDir: dir },
    { signal: ac.signal, onProgress: (p) => p.phase === 'step' && p.epoch === 2 && ac.abort() },
  );
  assert.equal(cut.cancelled, true);
  assert.equal(cut.history.length, 1);
  assert.equal(cut.bestEpoch, 1);
  assert.ok(fs.existsSync(path.join(dir, 'state.json')));
  const resumed = await fineTune(m, data, { ...o, checkpointDir: dir, resume: true });
  assert.equal(resumed.resumedFrom, 1);
  assert.deepEqual(
    resumed.history.map((h) => h.epoch),
    [1, 2, 3],
  );
  assert.deepEqual(resumed.history, full.history);
  assert.deepEqual(Buffer.from(resumed.bytes), Buffer.from(full.bytes));
  // Cancel before any epoch ends: nothing to keep.
  const ac2 = new AbortController();
  await assert.rejects(
    fineTune(
      m,
      data,
      { ...o, checkpointDir: path.join(tmp, 'ck-x') },
      { signal: ac2.signal, onProgress: (p) => p.phase === 'step' && ac2.abort() },
    ),
    (e: EngineError) => e.code === 'cancelled',
  );
  await assert.rejects(
    fineTune(m, data, { ...o, checkpointDir: path.join(tmp, 'ck-none'), resume: true }),
    (e: EngineError) => e.code === 'no-checkpoint',
  );
});

test('train modes: head only and top-K leave the frozen parameters exactly as they were', async () => {
  const m = await load('bert-mlm');
  const data = loadTaskData(csv, { seed: 3 });
  const base = new Map(
    readParameters(new Uint8Array(fs.readFileSync(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx')))).map((p) => [
      p.name,
      p.data,
    ]),
  );
  const changed = (bytes: Uint8Array) =>
    readParameters(bytes)
      .filter((p) => base.has(p.name) && !Buffer.from(p.data.buffer).equals(Buffer.from(base.get(p.name)!.buffer)))
      .map((p) => p.name);
  const head = await fineTune(m, data, {
    ...FAST,
    epochs: 1,
    trainLayers: 'head',
    checkpointDir: path.join(tmp, 'ck-h'),
  });
  assert.deepEqual(changed(head.bytes), []);
  assert.equal(head.trainable.parameters, 4);
  const top1 = await fineTune(m, data, { ...FAST, epochs: 1, trainLayers: 1, checkpointDir: path.join(tmp, 'ck-t') });
  const moved = changed(top1.bytes);
  assert.ok(moved.length > 0);
  assert.ok(
    moved.every((n) => !/embeddings|layer\.0\.|layer\.1\./.test(n)),
    moved.join(', '),
  );
  const noEmb = await fineTune(m, data, {
    ...FAST,
    epochs: 1,
    freezeEmbeddings: true,
    checkpointDir: path.join(tmp, 'ck-e'),
  });
  const movedE = changed(noEmb.bytes);
  assert.ok(movedE.some((n) => /layer\.0\./.test(n)));
  assert.ok(!movedE.includes('m.bert.embeddings.word_embeddings.weight'));
});

test('token classification and QA: the loss goes down; entity and SQuAD metrics; majority-tag baseline', async () => {
  const m = await load('bert-mlm');
  const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
  const cities = ['paris', 'london', 'rome', 'berlin', 'madrid', 'vienna'];
  const lines: string[] = [];
  for (let i = 0; i < 40; i++)
    lines.push(
      JSON.stringify({
        tokens: [names[i % 8], 'lives', 'in', cities[i % 6], '.'],
        tags: ['B-PER', 'O', 'O', 'B-LOC', 'O'],
      }),
    );
  const tok = path.join(tmp, 'people.jsonl');
  fs.writeFileSync(tok, lines.join('\n'));
  const td = loadTaskData(tok, { seed: 1 });
  assert.equal(td.task, 'token');
  const t = await fineTune(m, td, {
    ...FAST,
    baselines: true,
    epochs: 3,
    learningRate: 1e-2,
    checkpointDir: path.join(tmp, 'ck-tok'),
  });
  assert.ok(t.history[2].train_loss < t.history[0].train_loss * 0.7, t.history.map((h) => h.train_loss).join(' → '));
  assert.deepEqual(Object.keys(t.metrics).sort(), ['f1', 'precision', 'recall']);
  assert.deepEqual(Object.keys(t.baselines), ['majority_tag']);
  assert.deepEqual(t.labels, ['O', 'B-LOC', 'B-PER']);

  const paragraphs = Array.from({ length: 12 }, (_, p) => {
    const who = names[p % 8];
    const where = cities[p % 6];
    const context = `${who} went to ${where} last year . it was cold .`;
    return {
      context,
      qas: [
        {
          id: `q${p}`,
          question: `where did ${who} go ?`,
          answers: [{ text: where, answer_start: context.indexOf(where) }],
        },
      ],
    };
  });
  const squad = path.join(tmp, 'squad.json');
  fs.writeFileSync(squad, JSON.stringify({ data: [{ paragraphs }] }));
  const qd = loadTaskData(squad, { seed: 1 });
  const q = await fineTune(m, qd, { ...FAST, epochs: 3, learningRate: 1e-2, checkpointDir: path.join(tmp, 'ck-qa') });
  assert.ok(q.history[2].train_loss < q.history[0].train_loss, q.history.map((h) => h.train_loss).join(' → '));
  assert.deepEqual(Object.keys(q.metrics).sort(), ['exact', 'f1']);
  assert.deepEqual(q.baselines, {});
});

test('a model without the fp32 variant gets one clear line', async () => {
  const dir = path.join(tmp, 'int8-only');
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    fs.copyFileSync(path.join(fixture('bert-mlm'), f), path.join(dir, f));
  fs.copyFileSync(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx'), path.join(dir, 'onnx', 'model_quantized.onnx'));
  const m = await LoadedModel.load('int8', dir, 'quantized', 'cpu');
  models.push(m);
  await assert.rejects(
    fineTune(m, loadTaskData(csv)),
    (e: EngineError) =>
      e.code === 'needs-fp32' &&
      /needs the fp32 variant \(onnx\/model\.onnx\); this model has only quantized/.test(e.message) &&
      /--mode frozen/.test(e.hint!),
  );
});

test("bert-lens train --mode fine-tune: the --json contract (today's keys + mode, task, epochs, history), saved folder classifies, never overwrites", async () => {
  const { runFineTuneCommand } = await import('../../src/engine/training/fineTuneCommand');
  const { Engine } = await import('../../src/engine/engine');
  const { classify } = await import('../../src/engine/tasks/sequenceClassification');
  const engine = new Engine();
  const lines: string[] = [];
  const out = path.join(tmp, 'cli-out');
  const r = await runFineTuneCommand(
    {
      data: csv,
      model: fixture('bert-mlm'),
      epochs: 2,
      learningRate: 1e-2,
      batchSize: 8,
      seed: 2,
      output: out,
      checkpointDir: path.join(tmp, 'ck-cli'),
    },
    { log: (l) => lines.push(l) },
    engine,
  );
  for (const k of [
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
  ])
    assert.ok(k in r, k);
  assert.equal(r.mode, 'fine-tune');
  assert.equal(r.task, 'sequence');
  assert.equal(r.epochs, 2);
  assert.deepEqual(Object.keys(r.history[0]), ['epoch', 'train_loss', 'val_metric']);
  assert.deepEqual(Object.keys(r.metrics).sort(), ['accuracy', 'macro_f1']);
  assert.deepEqual(Object.keys(r.baselines).sort(), ['majority', 'tfidf_lr']);
  assert.ok(r.quantized_metrics && 'accuracy' in r.quantized_metrics);
  assert.equal(r.output, out);
  assert.ok(
    lines.some((l) => /^epoch 1 {2}step 1\/\d+ {2}loss \d\.\d{4} {2}lr 0\.00e\+0 {2}[\d.]+ ex\/s {2}ETA/.test(l)),
    lines.join('\n'),
  );
  const report = readJson(path.join(out, 'training-report.json'));
  assert.deepEqual(report.history, r.history);
  const m = await engine.model({ model: out });
  const c = await classify(m, { text: 'a good day and a great time' });
  assert.deepEqual(c.labels.map((l) => l.label).sort(), ['neg', 'pos']);
  await assert.rejects(
    runFineTuneCommand({ data: csv, model: fixture('bert-mlm'), epochs: 1, output: out }, { log() {} }, engine),
    (e: EngineError) => e.code === 'output-exists',
  );
  await engine.unloadAll();
});

test('--split-seed keeps the split (and its baselines) while --seed retrains; both seeds are in the JSON and the report', async () => {
  const { runFineTuneCommand } = await import('../../src/engine/training/fineTuneCommand');
  const { Engine } = await import('../../src/engine/engine');
  // Labels that words predict only in part, so each split scores TF-IDF differently.
  const words = ['red', 'blue', 'green', 'tall', 'small', 'fast', 'slow', 'warm', 'cold', 'old'];
  const rows = ['text,label'];
  for (let i = 0; i < 48; i++)
    rows.push(
      `"${words[i % 10]} ${words[(i * 7 + 3) % 10]} ${words[(i * 3 + 1) % 10]}",${(i * 5) % 7 < 3 ? 'a' : 'b'}`,
    );
  const noisy = path.join(tmp, 'noisy.csv');
  fs.writeFileSync(noisy, rows.join('\n') + '\n');
  const engine = new Engine();
  const run = (seed: number, splitSeed: number | undefined, name: string) =>
    runFineTuneCommand(
      {
        data: noisy,
        model: fixture('bert-mlm'),
        epochs: 1,
        learningRate: 1e-2,
        batchSize: 8,
        seed,
        splitSeed,
        output: path.join(tmp, name),
        checkpointDir: path.join(tmp, `ck-${name}`),
        evaluateQuantized: false,
      },
      { log() {} },
      engine,
    );
  const a = await run(6, 5, 'split-a');
  const b = await run(7, 5, 'split-b');
  const c = await run(6, undefined, 'split-c');
  assert.equal(a.seed, 6);
  assert.equal(a.split_seed, 5);
  assert.equal(c.split_seed, 6);
  // Same split: the same baselines and candidates; other training seeds: other training.
  assert.deepEqual(b.baselines, a.baselines);
  assert.deepEqual(b.candidates?.tfidf, a.candidates?.tfidf);
  assert.notDeepEqual(b.history, a.history);
  // Without --split-seed the split follows --seed: seed 6's split scores TF-IDF otherwise than seed 5's.
  assert.notDeepEqual(c.candidates?.tfidf, a.candidates?.tfidf);
  const report = readJson(path.join(a.output, 'training-report.json'));
  assert.equal(report.split.seed, 5);
  assert.equal(report.training.seed, 6);
  await engine.unloadAll();
});
