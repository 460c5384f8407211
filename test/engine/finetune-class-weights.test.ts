// Per-class weights in the cross-entropy objective (issue #8, class weights for token classification):
// the token objective with a class-weight input equals torch's CrossEntropyLoss(weight=w, ignore_index=-100) on the
// bert-ner fixture (loss and gradients from test/fixtures/bert-ner/class-weights.json, made by
// scripts/make-class-weight-ref.py with torch autograd over an independent evaluation of the graph);
// token fine-tuning weighs each tag n / (k · n_tag), counted over the labelled word pieces of the training split,
// by default when the tags are imbalanced (largest ≥ 3× smallest), always with 'balanced', never with 'none'; the
// CLI option refuses a bad value with one line.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { buildGradientGraph } from '../../src/engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { LoadedModel } from '../../src/engine/model';
import { openSession } from '../../src/engine/runtime';
import { fineTune } from '../../src/engine/training/fineTune';
import { readParameters } from '../../src/engine/training/fineTuneGraph';
import { loadTaskData } from '../../src/engine/training/taskData';
import { ROOT, fixture, readJson } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-ft-cw-'));
const models: LoadedModel[] = [];
after(async () => {
  for (const m of models) await m.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface GradRef {
  shape: number[];
  l2: number;
  sample: [number, number][];
}

test("class-weighted token cross-entropy equals torch's CrossEntropyLoss(weight=w, ignore_index=-100): loss and gradients", async () => {
  const ref = readJson(path.join(fixture('bert-ner'), 'class-weights.json'));
  const bytes = new Uint8Array(fs.readFileSync(path.join(fixture('bert-ner'), 'onnx', 'model.onnx')));
  const names = Object.keys(ref.gradients);
  const g = await buildGradientGraph(bytes, {
    objective: { kind: 'cross-entropy', outputs: ['logits'], classWeights: true },
    wrt: { parameters: names },
    parametersAsInputs: true,
  });
  assert.equal(g.objectiveInputs.classWeights, OBJECTIVE_INPUTS.classWeights);
  const params = readParameters(bytes).filter((p) => names.includes(p.name));
  assert.equal(params.length, names.length);
  const s = await openSession(g.bytes);
  const i64 = (rows: number[][]) => ({
    type: 'int64' as const,
    data: BigInt64Array.from(rows.flat().map(BigInt)),
    dims: [rows.length, rows[0].length],
  });
  const run = (w: number[]) =>
    s.run(
      {
        input_ids: i64(ref.input_ids),
        attention_mask: i64(ref.attention_mask),
        token_type_ids: i64(ref.input_ids.map((r: number[]) => r.map(() => 0))),
        [OBJECTIVE_INPUTS.labels(0)]: i64(ref.labels),
        [OBJECTIVE_INPUTS.classWeights]: { type: 'float32', data: Float32Array.from(w), dims: [w.length] },
        ...Object.fromEntries(params.map((p) => [p.name, { type: 'float32' as const, data: p.data, dims: p.dims }])),
      },
      [g.outputs.loss, ...params.map((p) => g.outputs.gradients[p.name])],
    );
  try {
    const r = await run(ref.class_weights);
    const loss = r[g.outputs.loss].data[0];
    assert.ok(Math.abs(loss - ref.loss) <= 1e-5 * Math.max(1, ref.loss), `loss ${loss} vs ${ref.loss}`);
    let checked = 0;
    for (const p of params) {
      const want = ref.gradients[p.name] as GradRef;
      const got = r[g.outputs.gradients[p.name]].data;
      const tol = 1e-3 * want.l2 + 1e-7;
      assert.ok(want.l2 > 1e-6, `${p.name} has a gradient in the reference`);
      if (p.data.length <= 1000) {
        const norm = Math.hypot(...got);
        assert.ok(Math.abs(norm - want.l2) <= tol, `${p.name}: L2 ${norm} vs ${want.l2}`);
      }
      for (const [i, v] of want.sample) {
        assert.ok(Math.abs(got[i] - v) <= tol, `${p.name}[${i}]: ${got[i]} vs ${v}`);
        checked++;
      }
    }
    assert.ok(checked >= 60, `checked ${checked} entries`);
    // All-ones weights give the plain mean over the labelled tokens (torch's unweighted loss), which differs.
    const plain = (await run(ref.class_weights.map(() => 1)))[g.outputs.loss].data[0];
    assert.ok(Math.abs(plain - ref.loss_unweighted) <= 1e-5 * Math.max(1, plain), `${plain} vs ${ref.loss_unweighted}`);
    assert.ok(Math.abs(plain - ref.loss) > 1e-2);
  } finally {
    await s.dispose();
  }
});

test("token fine-tuning: per-tag weights n / (k · n_tag) over the labelled training pieces, on imbalance by default; 'none' trains unweighted", async () => {
  const m = await LoadedModel.load('test:bert-mlm', fixture('bert-mlm'), 'fp32', 'cpu');
  models.push(m);
  const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
  const cities = ['paris', 'london', 'rome', 'berlin', 'madrid', 'vienna'];
  const write = (file: string, rows: { tokens: string[]; tags: string[] }[]) => {
    fs.writeFileSync(path.join(tmp, file), rows.map((r) => JSON.stringify(r)).join('\n'));
    return loadTaskData(path.join(tmp, file), { seed: 2 });
  };
  const data = write(
    'places.jsonl',
    Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0
        ? { tokens: [names[i % 8], 'lives', 'in', cities[i % 6], '.'], tags: ['B-PER', 'O', 'O', 'B-LOC', 'O'] }
        : { tokens: ['it', 'rains', 'in', cities[i % 6], 'today', '.'], tags: ['O', 'O', 'O', 'B-LOC', 'O', 'O'] },
    ),
  );
  assert.equal(data.task, 'token');
  const o = { learningRate: 1e-2, batchSize: 8, epochs: 1, evaluateQuantized: false, baselines: false, seed: 2 };
  const balanced = await fineTune(m, data, { ...o, classWeights: 'balanced', checkpointDir: path.join(tmp, 'b') });
  // Each of these words is one word piece of the fixture's vocabulary, so the labelled pieces are the words.
  for (const w of [...names, ...cities, 'lives', 'rains', 'today'])
    assert.equal((await m.tokenizer.encode(w)).ids.length, 3, w);
  const counts = new Map<string, number>();
  let n = 0;
  for (const i of data.split.train)
    for (const t of data.dataset.examples[i].tags) {
      counts.set(t, (counts.get(t) ?? 0) + 1);
      n++;
    }
  const k = balanced.labels.length;
  assert.deepEqual(balanced.labels, ['O', 'B-LOC', 'B-PER']);
  const want = balanced.labels.map((l) => n / (k * counts.get(l)!));
  assert.equal(balanced.classWeights?.length, k);
  balanced.classWeights!.forEach((w, c) => assert.ok(Math.abs(w - want[c]) < 1e-6, `${balanced.labels[c]}: ${w}`));
  assert.ok(want[2] > want[1] && want[1] > want[0]); // B-PER is the rarest tag, O the commonest
  assert.ok(counts.get('O')! >= 3 * counts.get('B-PER')!, 'imbalanced');

  // The default weighs these imbalanced tags as 'balanced' does; 'none' trains unweighted, which differs.
  const auto = await fineTune(m, data, { ...o, checkpointDir: path.join(tmp, 'a') });
  const none = await fineTune(m, data, { ...o, classWeights: 'none', checkpointDir: path.join(tmp, 'n') });
  assert.deepEqual(auto.classWeights, balanced.classWeights);
  assert.deepEqual(Buffer.from(auto.bytes), Buffer.from(balanced.bytes));
  assert.equal(none.classWeights, undefined);
  assert.notDeepEqual(Buffer.from(none.bytes), Buffer.from(auto.bytes));
  assert.notEqual(none.history[0].train_loss, auto.history[0].train_loss);

  // Tags in equal numbers: the default leaves the loss unweighted.
  const even = write(
    'even.jsonl',
    Array.from({ length: 20 }, (_, i) => ({
      tokens: [names[i % 8], cities[i % 6], '.'],
      tags: ['B-PER', 'B-LOC', 'O'],
    })),
  );
  const evenAuto = await fineTune(m, even, { ...o, checkpointDir: path.join(tmp, 'e') });
  assert.equal(evenAuto.classWeights, undefined);
});

test('bert-lens train --class-weights: a bad value is one line with the choices, exit 2', () => {
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'bin', 'bert-lens.js'), 'train', '--data', 'x.conll', '--class-weights', 'heavy'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /--class-weights must be auto, balanced or none, not "heavy"/);
});
