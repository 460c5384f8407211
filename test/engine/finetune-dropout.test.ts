// Fine-tuning as transformers' *ForSequenceClassification trains: dropout on the head's features while training
// (never in the exported graph), and long texts read by windows exactly as `classify` reads the saved model.
// Tiny fixtures (hidden size 16): the whole file runs in seconds.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { LoadedModel } from '../../src/engine/model';
import { findHiddenStateOutputs, inspectGraph } from '../../src/engine/onnx/graph';
import { openSession } from '../../src/engine/runtime';
import { classify } from '../../src/engine/tasks/sequenceClassification';
import {
  dropoutMaskInput,
  dropoutMasks,
  dropoutSeed,
  headDropoutRate,
  headDropoutSites,
} from '../../src/engine/training/dropout';
import { fineTune, modelFeeds } from '../../src/engine/training/fineTune';
import { saveFineTuned } from '../../src/engine/training/fineTuneExport';
import { buildFineTuneModel, headLayout, readParameters } from '../../src/engine/training/fineTuneGraph';
import { gradientFetches, gradientOf, openTrainingGraph } from '../../src/engine/training/trainStep';
import { loadTaskData } from '../../src/engine/training/taskData';
import { fixture } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-ft-dropout-'));
const models: LoadedModel[] = [];
after(async () => {
  for (const m of models) await m.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});
async function load(name: string, dir = fixture(name)): Promise<LoadedModel> {
  const m = await LoadedModel.load(`test:${name}`, dir, 'fp32', 'cpu');
  models.push(m);
  return m;
}

test("the family's head-dropout rate and sites (transformers' config keys and defaults)", () => {
  assert.equal(headDropoutRate('bert', 'sequence', { hidden_dropout_prob: 0.1, classifier_dropout: null }), 0.1);
  assert.equal(headDropoutRate('bert', 'sequence', { hidden_dropout_prob: 0.1, classifier_dropout: 0.3 }), 0.3);
  assert.equal(headDropoutRate('distilbert', 'sequence', {}), 0.2);
  assert.equal(headDropoutRate('distilbert', 'sequence', { seq_classif_dropout: 0.25 }), 0.25);
  assert.equal(headDropoutRate('distilbert', 'token', { dropout: 0.15 }), 0.15);
  assert.equal(headDropoutRate('albert', 'sequence', { classifier_dropout_prob: 0.05, hidden_dropout_prob: 0 }), 0.05);
  assert.equal(headDropoutRate('electra', 'sequence', {}), 0.1);
  // BERT drops the pooled output; RoBERTa and ELECTRA the first token's state and the dense layer's output.
  assert.deepEqual(
    headDropoutSites('bert', 'sequence', 'h').map((s) => s.tensor),
    ['bertlens_head/act'],
  );
  assert.deepEqual(
    headDropoutSites('roberta', 'pair', 'h').map((s) => s.tensor),
    ['bertlens_head/cls', 'bertlens_head/act'],
  );
  assert.deepEqual(headDropoutSites('bert', 'token', 'h'), [{ tensor: 'h', shape: 'bsh' }]);
  assert.deepEqual(headDropoutSites('bert', 'qa', 'h'), []);
});

test('dropout masks: a rate p of zeros, kept values 1/(1−p), the same for the same (seed, epoch, batch)', () => {
  const sites = headDropoutSites('roberta', 'sequence', 'h');
  const a = dropoutMasks(sites, 0.2, { batch: 100, seq: 7, hidden: 50 }, dropoutSeed(42, 1, 3));
  const b = dropoutMasks(sites, 0.2, { batch: 100, seq: 7, hidden: 50 }, dropoutSeed(42, 1, 3));
  const c = dropoutMasks(sites, 0.2, { batch: 100, seq: 7, hidden: 50 }, dropoutSeed(42, 2, 3));
  assert.deepEqual(Object.keys(a), [dropoutMaskInput(0), dropoutMaskInput(1)]);
  const m = a[dropoutMaskInput(0)].data as Float32Array;
  assert.deepEqual(a[dropoutMaskInput(0)].dims, [100, 50]);
  const zeros = m.filter((v) => v === 0).length / m.length;
  assert.ok(Math.abs(zeros - 0.2) < 0.02, `zeros ${zeros}`);
  assert.ok(m.every((v) => v === 0 || v === Math.fround(1 / 0.8)));
  assert.deepEqual(b[dropoutMaskInput(0)].data, m);
  assert.notDeepEqual(c[dropoutMaskInput(0)].data, m);
  assert.notDeepEqual(a[dropoutMaskInput(1)].data, m); // each site its own mask
  assert.deepEqual(
    dropoutMasks(headDropoutSites('bert', 'token', 'h'), 0.1, { batch: 2, seq: 5, hidden: 16 }, 1)[dropoutMaskInput(0)]
      .dims,
    [2, 5, 16],
  );
});

for (const fam of ['bert-mlm', 'roberta-mlm'] as const) {
  test(`the training graph reads the head through its masks (${fam}): ones = no dropout; zeros leave only the bias`, async () => {
    const m = await load(fam);
    const folder = m.folder;
    const enc = new Uint8Array(fs.readFileSync(path.join(folder.path, 'onnx', 'model.onnx')));
    const hidden = findHiddenStateOutputs(inspectGraph(enc), folder.numLayers)!;
    const net = buildFineTuneModel(enc, {
      family: folder.family,
      task: 'sequence',
      hiddenTensor: hidden[folder.numLayers],
      hiddenSize: folder.hiddenSize,
      numLabels: 3,
      seed: 5,
    });
    const params = readParameters(net.bytes);
    const names = params.map((p) => p.name);
    const objective = { kind: 'cross-entropy' as const, outputs: ['logits'] };
    const sites = headDropoutSites(folder.family, 'sequence', hidden[folder.numLayers]);
    const plain = await openTrainingGraph(net.bytes, names, objective);
    const dropped = await openTrainingGraph(net.bytes, names, objective, {
      dropout: { sites, hiddenSize: folder.hiddenSize },
    });
    assert.ok(!plain.session.inputNames.includes(dropoutMaskInput(0)));
    assert.deepEqual(
      dropped.session.inputNames.filter((n) => n.startsWith('bertlens_dropout/')),
      sites.map((_, k) => dropoutMaskInput(k)),
    );
    const batch = await Promise.all(
      ['the river bank was wet', 'open a bank account today'].map(async (t) => ({ enc: await m.tokenizer.encode(t) })),
    );
    const feeds = {
      ...modelFeeds(plain.session.inputNames, batch, m.tokenizer.padId),
      [OBJECTIVE_INPUTS.labels(0)]: { type: 'int64' as const, data: BigInt64Array.from([0n, 0n]), dims: [2] },
      ...Object.fromEntries(params.map((p) => [p.name, { type: 'float32' as const, data: p.data, dims: p.dims }])),
    };
    const g = plain.grad.outputs;
    const gd = dropped.grad.outputs;
    const fetch = (t: typeof plain) => [t.grad.outputs.loss, ...names.flatMap((n) => gradientFetches(t.grad, n))];
    const grad = (t: typeof plain, r: Record<string, { data: Float32Array }>, n: string) =>
      gradientOf(
        t.grad,
        r as never,
        params.find((p) => p.name === n)!,
      )!;
    const masks = (value: number) =>
      Object.fromEntries(
        sites.map((_, k) => [
          dropoutMaskInput(k),
          {
            type: 'float32' as const,
            data: new Float32Array(2 * folder.hiddenSize).fill(value),
            dims: [2, folder.hiddenSize],
          },
        ]),
      );
    const r0 = await plain.session.run(feeds, fetch(plain));
    const r1 = await dropped.session.run({ ...feeds, ...masks(1) }, fetch(dropped));
    assert.ok(Math.abs(r0[g.loss].data[0] - r1[gd.loss].data[0]) < 1e-6);
    for (const n of names) {
      const a = grad(plain, r0, n);
      const b = grad(dropped, r1, n);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `${n}[${i}]`);
    }
    // Every feature dropped: the logits are the fresh head's zero bias, so the loss is ln 3; the bias gradient is
    // mean(softmax − one-hot) = (1/3 − 1, 1/3, 1/3) for label 0; nothing reaches the weights or the encoder.
    const rz = await dropped.session.run({ ...feeds, ...masks(0) }, fetch(dropped));
    assert.ok(Math.abs(rz[gd.loss].data[0] - Math.log(3)) < 1e-6, `loss ${rz[gd.loss].data[0]}`);
    const biasName = headLayout(folder.family, 'sequence', folder.hiddenSize, 3)[3].name;
    const gb = Array.from(grad(dropped, rz, biasName));
    [1 / 3 - 1, 1 / 3, 1 / 3].forEach((v, i) => assert.ok(Math.abs(gb[i] - v) < 1e-6, `bias grad ${gb}`));
    for (const n of names.filter((x) => x !== biasName))
      assert.ok(
        grad(dropped, rz, n).every((v) => v === 0),
        `${n} moved`,
      );
    await plain.session.dispose();
    await dropped.session.dispose();
  });
}

const POS = ['good', 'great', 'fine', 'nice', 'happy', 'love'];
const NEG = ['bad', 'awful', 'poor', 'sad', 'hate', 'wrong'];
function longCsv(): string {
  const rows = ['text,label'];
  const filler = 'and then we walked along the road to the old town where the market was';
  for (let i = 0; i < 16; i++) {
    rows.push(`"a ${POS[i % 6]} day ${filler} a ${POS[(i + 2) % 6]} time ${filler}",pos`);
    rows.push(`"a ${NEG[i % 6]} day ${filler} a ${NEG[(i + 3) % 6]} time ${filler}",neg`);
  }
  return rows.join('\n') + '\n';
}
const FAST = { learningRate: 1e-2, batchSize: 8, evaluateQuantized: false, baselines: false, epochs: 2 };

test('fine-tuning trains with dropout (deterministic) and exports the standard graph without it', async () => {
  const csv = path.join(tmp, 'short.csv');
  fs.writeFileSync(
    csv,
    [
      'text,label',
      ...POS.flatMap((p, i) => [`"a ${p} day",pos`, `"a ${NEG[i]} day",neg`, `"so ${p}",pos`, `"so ${NEG[i]}",neg`]),
    ].join('\n'),
  );
  const m = await load('bert-mlm');
  const data = loadTaskData(csv, { seed: 2 });
  const on = await fineTune(m, data, { ...FAST, seed: 2, checkpointDir: path.join(tmp, 'on') });
  const again = await fineTune(m, data, { ...FAST, seed: 2, checkpointDir: path.join(tmp, 'again') });
  const off = await fineTune(m, data, { ...FAST, seed: 2, dropout: 0, checkpointDir: path.join(tmp, 'off') });
  assert.equal(on.dropout, 0.1); // the fixture's hidden_dropout_prob (classifier_dropout is null)
  assert.equal(off.dropout, 0);
  assert.deepEqual(Buffer.from(again.bytes), Buffer.from(on.bytes));
  assert.notDeepEqual(Buffer.from(off.bytes), Buffer.from(on.bytes));
  const s = await openSession(on.bytes, 'cpu');
  assert.deepEqual([...s.inputNames].sort(), ['attention_mask', 'input_ids', 'token_type_ids']);
  await s.dispose();
  assert.ok(!inspectGraph(on.bytes).nodes.some((n) => n.name.startsWith('bertlens_dropout/')));
});

test('a long text trains by its windows, and its test prediction equals classify on the saved folder', async () => {
  const csv = path.join(tmp, 'long.csv');
  fs.writeFileSync(csv, longCsv());
  const m = await load('bert-mlm');
  const data = loadTaskData(csv, { seed: 4 });
  const o = await fineTune(m, data, { ...FAST, seed: 4, maxLength: 16, checkpointDir: path.join(tmp, 'win') });
  assert.equal(o.longTexts, 'windows');
  // ~36 word pieces per text: windows of 16 with 4 shared, so several per text.
  assert.ok(o.trainWindows >= 3 * o.trainSize, `${o.trainWindows} windows of ${o.trainSize} texts`);
  assert.equal(o.testPredictions!.length, o.testSize);
  const dir = saveFineTuned({
    dir: path.join(tmp, 'long-out'),
    source: m.folder,
    task: 'sequence',
    labels: o.labels,
    bytes: o.bytes,
    maxLength: o.maxLength,
    skipQuantized: true,
  });
  const saved = await load('long-out', dir);
  assert.equal(saved.folder.maxLength, 16);
  for (const p of o.testPredictions!) {
    const r = await classify(saved, { text: (data.dataset.examples[p.index] as { text: string }).text });
    o.labels.forEach((l, c) => {
      const score = r.labels.find((x) => x.label === l)!.score;
      assert.ok(
        Math.abs(score - p.probabilities[c]) < 1e-5,
        `${l}: classify ${score} vs fine-tune ${p.probabilities[c]}`,
      );
    });
  }
  const cut = await fineTune(m, data, {
    ...FAST,
    seed: 4,
    maxLength: 16,
    longTexts: 'truncate',
    checkpointDir: path.join(tmp, 'cut'),
  });
  assert.equal(cut.trainWindows, cut.trainSize);
  assert.notDeepEqual(Buffer.from(cut.bytes), Buffer.from(o.bytes));
});

test('token classification trains with dropout on the last hidden state (and without it at 0)', async () => {
  const m = await load('bert-mlm');
  const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
  const lines = Array.from({ length: 24 }, (_, i) =>
    JSON.stringify({ tokens: [names[i % 6], 'lives', 'here', '.'], tags: ['B-PER', 'O', 'O', 'O'] }),
  );
  const file = path.join(tmp, 'people.jsonl');
  fs.writeFileSync(file, lines.join('\n'));
  const td = loadTaskData(file, { seed: 1 });
  const on = await fineTune(m, td, { ...FAST, seed: 1, checkpointDir: path.join(tmp, 'tok-on') });
  const off = await fineTune(m, td, { ...FAST, seed: 1, dropout: 0, checkpointDir: path.join(tmp, 'tok-off') });
  assert.equal(on.dropout, 0.1);
  assert.notDeepEqual(Buffer.from(off.bytes), Buffer.from(on.bytes));
  const s = await openSession(on.bytes, 'cpu');
  assert.deepEqual([...s.inputNames].sort(), ['attention_mask', 'input_ids', 'token_type_ids']);
  await s.dispose();
});
