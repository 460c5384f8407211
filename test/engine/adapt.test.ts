// Domain adaptation (continued masked-LM training) on the tiny bert-mlm fixture (hidden 16, so a few steps run in
// seconds): the loss covers the chosen positions only and equals a hand computation (log-softmax in JS from the
// forward logits); an epoch lowers the loss; the saved model's fill-mask uses the new weights; the packing, the
// split, whole-word masking and the run's counts of mask/random/kept; bad input gives one clear line.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { buildGradientGraph } from '../../src/engine/grad/gradient';
import { LoadedModel } from '../../src/engine/model';
import { openSession } from '../../src/engine/runtime';
import { fillMask } from '../../src/engine/tasks/fillMask';
import {
  type AdaptProgress,
  adapt,
  checkAdaptable,
  evaluateMlm,
  mlmFeeds,
  mlmObjective,
  mlmTrainFeeds,
  prepareAdaptData,
} from '../../src/engine/training/adapt';
import { packLines, readCorpus, splitLines } from '../../src/engine/training/adaptData';
import { TEXT_EXTENSIONS, TEXT_GLOB, skippedByWalk, walkOrder } from '../../src/engine/training/corpusFiles';
import { checkAdaptOutput, saveAdapted } from '../../src/engine/training/adaptExport';
import { maskBlock, maskWholeWords } from '../../src/engine/training/adaptMasking';
import { quantizeDynamic } from '../../src/engine/training/fineTuneExport';
import { readParameters } from '../../src/engine/training/fineTuneGraph';
import { excludedIds } from '../../src/engine/tasks/maskPreview';
import { ROOT, fixture } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-adapt-'));
const models: LoadedModel[] = [];
after(async () => {
  for (const m of models) await m.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});
async function load(dir: string, variant: 'fp32' | 'quantized' = 'fp32'): Promise<LoadedModel> {
  const m = await LoadedModel.load(`test:${path.basename(dir)}`, dir, variant, 'cpu');
  models.push(m);
  return m;
}

// A small "domain": sentences about a harbour, with a code block and a table rule that are not prose.
const SUBJECTS = [
  'the harbour master',
  'the pilot boat',
  'a cargo ship',
  'the tug crew',
  'the night watch',
  'the lock keeper',
];
const VERBS = [
  'checks the tide tables',
  'waits at the outer buoy',
  'signals the crane operators',
  'logs the arrival time',
  'opens the eastern lock gate',
  'calls the coast guard',
];
function domainText(): string {
  const lines = ['# Harbour notes', '', '```', 'const x = 1;', '```', '| a | b |', '|---|---|'];
  for (let i = 0; i < 48; i++) lines.push(`${SUBJECTS[i % 6]} ${VERBS[(i * 5) % 6]} before the ferry leaves.`);
  return lines.join('\n') + '\n';
}
const corpusDir = path.join(tmp, 'docs');
fs.mkdirSync(path.join(corpusDir, 'node_modules', 'pkg'), { recursive: true });
fs.writeFileSync(path.join(corpusDir, 'harbour.md'), domainText());
fs.writeFileSync(path.join(corpusDir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]));
fs.writeFileSync(
  path.join(corpusDir, 'node_modules', 'pkg', 'README.md'),
  'this readme should never be read by anyone\n',
);
fs.writeFileSync(path.join(corpusDir, 'blob.txt'), Buffer.concat([Buffer.from('text then '), Buffer.from([0, 1, 2])]));

test('readCorpus reads the prose lines of text files, skipping code fences, binaries and node_modules', () => {
  const c = readCorpus([corpusDir]);
  assert.deepEqual(c.files, [path.join(corpusDir, 'harbour.md')]);
  // The heading, the table row (two words), then the 48 sentences; the fenced code and the table rule are left out.
  assert.equal(c.lines.length, 50);
  assert.deepEqual(
    c.lines.slice(0, 3).map((l) => [l.line, l.text]),
    [
      [1, '# Harbour notes'],
      [6, '| a | b |'],
      [8, 'the harbour master checks the tide tables before the ferry leaves.'],
    ],
  );
  assert.deepEqual(c.skipped, [{ file: path.join(corpusDir, 'blob.txt'), reason: 'binary' }]);
  const s = splitLines(48, 42);
  assert.equal(s.heldOut.length, 5);
  assert.equal(s.train.length, 43);
  assert.deepEqual(
    [...s.train, ...s.heldOut].sort((a, b) => a - b),
    Array.from({ length: 48 }, (_, i) => i),
  );
  assert.deepEqual(splitLines(48, 42), s, 'the split is seeded');
  assert.notDeepEqual(splitLines(48, 7).heldOut, s.heldOut);
});

test('a listed workspace (skippedByWalk, walkOrder) reads the files the folder walk reads, in its order', () => {
  const root = path.join(tmp, 'listed');
  const prose = 'the tug crew logs the arrival time.\n';
  const dirs = (n: number, c: string) => Array.from({ length: n }, (_, i) => `${c}${i}`).join('/');
  const names = [
    'b.md',
    'a.md',
    'a/z.txt',
    'a/b/c.rst',
    'a-b.md',
    'A.md',
    'notes.MD',
    'x/.hidden.md',
    '.dot/inside.md',
    'node_modules/pkg/README.md',
    'x/dist/built.md',
    'code.ts',
    `${dirs(12, 'd')}/too-deep.md`,
    `${dirs(10, 'e')}/ten-down.md`,
    `${dirs(11, 'f')}/eleven-down.md`,
    'd0/d1/shallow.txt',
  ];
  for (const n of names) {
    fs.mkdirSync(path.dirname(path.join(root, n)), { recursive: true });
    fs.writeFileSync(path.join(root, n), prose);
  }
  const walked = readCorpus([root]).files.map((f) => path.relative(root, f));
  // A folder sorts by its own name ('a' before 'a-b.md'), upper case first; ten folders down is read, eleven not.
  assert.deepEqual(walked, [
    'A.md',
    'a/b/c.rst',
    'a/z.txt',
    'a-b.md',
    'a.md',
    'b.md',
    'd0/d1/shallow.txt',
    `${dirs(10, 'e')}/ten-down.md`,
    'notes.MD',
  ]);
  // What an editor's listing gives (every file, any order), filtered and sorted the walk's way.
  const listed = (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((r) => fs.statSync(path.join(root, r)).isFile())
    .reverse()
    .filter((r) => TEXT_EXTENSIONS.includes(path.extname(r).toLowerCase()) && !skippedByWalk(r))
    .sort(walkOrder);
  assert.deepEqual(listed, walked);
  assert.match('a/b/c.rst', new RegExp(TEXT_GLOB.replace('**/*.{', '\\.(').replace('}', ')$').replace(/,/g, '|')));
});

test('packLines: [CLS] … [SEP] blocks of at most maxLength tokens that keep every token of every line, in order', async () => {
  const m = await load(fixture('bert-mlm'));
  const lines = readCorpus([corpusDir]).lines;
  const blocks = await packLines(m.tokenizer, lines, 32);
  const expected: number[] = [];
  for (const l of lines) expected.push(...(await m.tokenizer.encode(l.text, undefined, false)).ids);
  const got: number[] = [];
  for (const b of blocks) {
    assert.ok(b.ids.length <= 32);
    assert.equal(m.tokenizer.idToToken(b.ids[0]), '[CLS]');
    assert.equal(m.tokenizer.idToToken(b.ids[b.ids.length - 1]), '[SEP]');
    assert.deepEqual(
      b.special,
      b.ids.map((_, i) => (i === 0 || i === b.ids.length - 1 ? 1 : 0)),
    );
    got.push(...b.ids.slice(1, -1));
  }
  assert.deepEqual(got, expected);
  // Lines are whole inside a block unless longer than one: every block but the last is nearly full.
  for (const b of blocks.slice(0, -1)) assert.ok(b.ids.length > 32 - 14, `block of ${b.ids.length}`);
});

test('labels are the original ids at the chosen positions and -100 elsewhere (HF DataCollatorForLanguageModeling)', async () => {
  const m = await load(fixture('bert-mlm'));
  const [block] = await packLines(m.tokenizer, readCorpus([corpusDir]).lines, 64);
  const r = maskBlock(block, {
    seed: 3,
    maskId: m.tokenizer.maskId!,
    vocabSize: m.tokenizer.vocabSize(),
    excludeIds: excludedIds(m),
  });
  const chosen = new Set(r.chosen.map((c) => c.position));
  assert.equal(r.chosen.length, Math.round(0.15 * (block.ids.length - 2)));
  r.labels.forEach((l, i) => assert.equal(l, chosen.has(i) ? block.ids[i] : -100, `label at ${i}`));
  for (const c of r.chosen) {
    if (c.kind === 'mask') assert.equal(r.ids[c.position], m.tokenizer.maskId);
    if (c.kind === 'kept') assert.equal(r.ids[c.position], block.ids[c.position]);
    if (c.kind === 'random') assert.ok(!excludedIds(m).has(r.ids[c.position]));
  }
  r.ids.forEach((id, i) => chosen.has(i) || assert.equal(id, block.ids[i]));
});

test('whole-word masking chooses every piece of a chosen word, about 15 % of the tokens, 80/10/10 per token', () => {
  // 200 words of 1–3 pieces.
  const ids: number[] = [1];
  const words: number[] = [-1];
  for (let w = 0; w < 200; w++) for (let k = 0; k < 1 + (w % 3); k++) (ids.push(1000 + ids.length), words.push(w));
  ids.push(2);
  words.push(-1);
  const special = ids.map((_, i) => (i === 0 || i === ids.length - 1 ? 1 : 0));
  const eligible = ids.length - 2;
  const kinds = { mask: 0, random: 0, kept: 0 };
  let total = 0;
  for (let seed = 0; seed < 300; seed++) {
    const r = maskWholeWords(ids, special, words, { seed, maskId: 103, vocabSize: 30000 });
    const pos = new Set(r.chosen.map((c) => c.position));
    for (const c of r.chosen) {
      assert.ok(!special[c.position]);
      for (let i = 1; i < ids.length - 1; i++)
        if (words[i] === words[c.position]) assert.ok(pos.has(i), `seed ${seed}: piece ${i} of a chosen word left out`);
      kinds[c.kind]++;
    }
    assert.ok(Math.abs(r.chosen.length - 0.15 * eligible) <= 2, `seed ${seed}: ${r.chosen.length} of ${eligible}`);
    total += r.chosen.length;
  }
  assert.ok(
    Math.abs(kinds.mask / total - 0.8) < 0.02 &&
      Math.abs(kinds.random / total - 0.1) < 0.02 &&
      Math.abs(kinds.kept / total - 0.1) < 0.02,
    JSON.stringify(kinds),
  );
});

test('the masked-LM loss covers the chosen positions only: the gradient graph equals log-softmax in JS at those positions', async () => {
  const m = await load(fixture('bert-mlm'));
  const bytes = new Uint8Array(fs.readFileSync(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx')));
  const blocks = (await packLines(m.tokenizer, readCorpus([corpusDir]).lines, 24)).slice(0, 3);
  const o = { maskId: m.tokenizer.maskId!, vocabSize: m.tokenizer.vocabSize(), excludeIds: excludedIds(m) };
  const masked = blocks.map((b, i) => maskBlock(b, { ...o, seed: 11 + i }));
  const g = await buildGradientGraph(bytes, {
    objective: mlmObjective('logits'),
    wrt: { parameters: ['m.cls.predictions.bias'] },
  });
  const gs = await openSession(g.bytes);
  const loss = (await gs.run(mlmTrainFeeds(gs.inputNames, masked, m.tokenizer.padId), [g.outputs.loss]))[g.outputs.loss]
    .data[0];
  await gs.dispose();
  // By hand: the forward logits, log-softmax in JS, mean over the chosen positions of every row of the batch.
  const fs32 = await openSession(bytes);
  const r = (
    await fs32.run(
      mlmFeeds(
        fs32.inputNames,
        masked.map((x) => x.ids),
        m.tokenizer.padId,
      ),
      ['logits'],
    )
  ).logits;
  await fs32.dispose();
  const [, len, v] = r.dims;
  const nll = (b: number, p: number, t: number) => {
    const row = Array.from(r.data.subarray((b * len + p) * v, (b * len + p + 1) * v));
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((s, x) => s + Math.exp(x - mx), 0));
    return lse - row[t];
  };
  let sum = 0;
  let n = 0;
  let sumAll = 0;
  let nAll = 0;
  masked.forEach((x, b) => {
    for (const c of x.chosen) ((sum += nll(b, c.position, c.original)), n++);
    for (let p = 0; p < x.ids.length; p++) ((sumAll += nll(b, p, blocks[b].ids[p])), nAll++);
  });
  assert.ok(n >= 6 && n < nAll / 4, `${n} chosen of ${nAll}`);
  assert.ok(Math.abs(loss - sum / n) < 1e-4, `graph loss ${loss} vs hand ${sum / n}`);
  assert.ok(Math.abs(sumAll / nAll - sum / n) > 1e-3, 'the loss over every position would be another number');
  // The evaluation path (JS log-softmax per chosen row, batched differently) gives the same mean.
  const ev = await evaluateMlm(bytes, 'logits', masked, m.tokenizer.padId, { batchSize: 2 });
  assert.equal(ev.positions, n);
  assert.ok(Math.abs(ev.nll - sum / n) < 1e-4);
  assert.ok(Math.abs(ev.pseudoPerplexity - Math.exp(sum / n)) < 1e-2 * Math.exp(sum / n));
});

let adapted: { outcome: Awaited<ReturnType<typeof adapt>>; progress: AdaptProgress[] } | undefined;
async function adaptedRun() {
  if (adapted) return adapted;
  const m = await load(fixture('bert-mlm'));
  const progress: AdaptProgress[] = [];
  const outcome = await adapt(
    m,
    [corpusDir],
    { epochs: 1, learningRate: 5e-3, batchSize: 4, maxLength: 24, sampleInterval: 0 },
    { onProgress: (p) => progress.push(p) },
  );
  adapted = { outcome, progress };
  return adapted;
}

test('one adaptation epoch lowers the masked-LM loss, on the training inputs and on the held-out lines', async () => {
  const { outcome, progress } = await adaptedRun();
  const m = await load(fixture('bert-mlm'));
  assert.ok(
    outcome.after.nll < outcome.before.nll - 0.05,
    `held-out NLL ${outcome.before.nll} -> ${outcome.after.nll}`,
  );
  assert.ok(outcome.after.pseudoPerplexity < outcome.before.pseudoPerplexity);
  assert.equal(outcome.before.positions, outcome.after.positions, 'before and after score the same masked positions');
  // The training inputs, masked with one fixed seed, scored with the original and the adapted weights.
  const { train } = await prepareAdaptData(m, [corpusDir], { maxLength: 24 });
  const o = { maskId: m.tokenizer.maskId!, vocabSize: m.tokenizer.vocabSize(), excludeIds: excludedIds(m) };
  const masked = train.map((b, i) => maskBlock(b, { ...o, seed: 900 + i }));
  const bytes = new Uint8Array(fs.readFileSync(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx')));
  const b0 = await evaluateMlm(bytes, 'logits', masked, m.tokenizer.padId);
  const b1 = await evaluateMlm(outcome.bytes, 'logits', masked, m.tokenizer.padId);
  assert.ok(b1.nll < b0.nll - 0.05, `training NLL ${b0.nll} -> ${b1.nll}`);
  // Progress: one step event per optimiser step, with the running counts and a live sample.
  const steps = progress.filter((p) => p.phase === 'step');
  assert.equal(steps.length, outcome.steps);
  assert.equal(outcome.steps, Math.ceil(train.length / 4));
  const last = steps[steps.length - 1];
  assert.deepEqual(last.chosen, outcome.chosen);
  assert.ok(progress.some((p) => p.phase === 'evaluated' && p.which === 'before'));
  const sample = steps.find((p) => p.sample)?.sample;
  assert.ok(sample);
  assert.ok(
    sample.tokens.some(
      (t) => t.kind === 'mask' && t.text === '[MASK]' && typeof t.guess === 'string' && typeof t.original === 'string',
    ),
  );
  assert.ok(sample.tokens.every((t) => t.text !== '[CLS]' && t.text !== '[SEP]'));
});

test('the run counts mask/random/kept over every epoch: 15 % of each input, about 80/10/10', async () => {
  const m = await load(fixture('bert-mlm'));
  const { train } = await prepareAdaptData(m, [corpusDir], { maxLength: 24 });
  const perEpoch = train.reduce((s, b) => s + Math.max(1, Math.round(0.15 * (b.ids.length - 2))), 0);
  const two = await adapt(m, [corpusDir], { epochs: 2, learningRate: 1e-3, batchSize: 8, maxLength: 24 });
  const { mask, random, kept } = two.chosen;
  assert.equal(mask + random + kept, 2 * perEpoch);
  assert.ok(mask > 0.65 * (mask + random + kept) && random > 0 && kept > 0, JSON.stringify(two.chosen));
  assert.equal(two.history.length, 2);
  assert.equal(two.steps, 2 * Math.ceil(train.length / 8));
});

test('the adapted model, saved in hub layout, loads like any model and its fill-mask is a forward pass with the new weights', async () => {
  const { outcome } = await adaptedRun();
  const base = await load(fixture('bert-mlm'));
  const dir = path.join(tmp, 'adapted');
  const report = {
    base_model: base.id,
    data: [corpusDir],
    masked_accuracy: { before: outcome.before.accuracy, after: outcome.after.accuracy },
    pseudo_perplexity: { before: outcome.before.pseudoPerplexity, after: outcome.after.pseudoPerplexity },
    chosen: outcome.chosen,
    epochs: 1,
    steps: outcome.steps,
    learning_rate: outcome.learningRate,
    max_length: 24,
    seed: 42,
    eval_seed: outcome.evalSeed,
    whole_word: false,
    seconds: 1,
  };
  saveAdapted({ dir, source: base.folder, bytes: outcome.bytes, report });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForMaskedLM']);
  assert.equal(config.bert_lens.adapted, true);
  for (const f of [
    'tokenizer.json',
    'tokenizer_config.json',
    'vocab.txt',
    'onnx/model.onnx',
    'adapt-report.json',
    'MODEL_CARD.md',
  ])
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  const m = await load(dir);
  assert.equal(m.folder.head, 'masked-lm');
  const text = 'the pilot boat [MASK] at the outer buoy.';
  const got = await fillMask(m, { text, topK: 5 });
  const orig = await fillMask(base, { text, topK: 5 });
  const pred = got.masks[0].predictions;
  assert.notDeepEqual(
    pred.map((p) => [p.id, p.score.toFixed(4)]),
    orig.masks[0].predictions.map((p) => [p.id, p.score.toFixed(4)]),
  );
  // The same numbers from a plain session on the trained bytes.
  const enc = await m.tokenizer.encode(text);
  const pos = enc.ids.indexOf(m.tokenizer.maskId!);
  const s = await openSession(outcome.bytes);
  const r = (await s.run(mlmFeeds(s.inputNames, [enc.ids], m.tokenizer.padId), ['logits'])).logits;
  await s.dispose();
  const v = r.dims[2];
  const row = Array.from(r.data.subarray(pos * v, (pos + 1) * v));
  const mx = Math.max(...row);
  const z = row.reduce((a, x) => a + Math.exp(x - mx), 0);
  for (const p of pred) assert.ok(Math.abs(p.score - Math.exp(row[p.id] - mx) / z) < 1e-5, `${p.token}: ${p.score}`);
  // The saved weights are the trained ones, and differ from the source's.
  const saved = new Map(
    readParameters(new Uint8Array(fs.readFileSync(path.join(dir, 'onnx', 'model.onnx')))).map((p) => [p.name, p.data]),
  );
  const src = new Map(
    readParameters(new Uint8Array(fs.readFileSync(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx')))).map((p) => [
      p.name,
      p.data,
    ]),
  );
  const bias = 'm.cls.predictions.bias';
  assert.ok(saved.has(bias) && src.has(bias));
  assert.ok(saved.get(bias)!.some((x, i) => Math.abs(x - src.get(bias)![i]) > 1e-4));
  // Never overwritten without asking.
  assert.throws(
    () => saveAdapted({ dir, source: base.folder, bytes: outcome.bytes, report }),
    (e: EngineError) => e.code === 'output-exists' && /--overwrite/.test(e.hint ?? ''),
  );
  assert.throws(
    () => checkAdaptOutput(fixture('bert-mlm'), fixture('bert-mlm'), true),
    (e: EngineError) => e.code === 'output-exists' && /model being adapted/.test(e.message),
  );
});

test('bad input: no text files, a causal model, a classification model, an int8-only model — one clear line each', async () => {
  const empty = path.join(tmp, 'no-text');
  fs.mkdirSync(empty);
  fs.writeFileSync(path.join(empty, 'data.csv'), 'a,b\n1,2\n');
  fs.writeFileSync(path.join(empty, 'image.png'), Buffer.from([0x89, 0x50, 0, 0]));
  assert.throws(
    () => readCorpus([empty]),
    (e: EngineError) =>
      e.code === 'no-text' && e.message.includes(empty) && /no text files/.test(e.message) && !!e.hint,
  );
  assert.throws(
    () => readCorpus([path.join(tmp, 'missing')]),
    (e: EngineError) => e.code === 'data-not-found',
  );
  const causal = await load(fixture('gpt2-clm'));
  assert.throws(
    () => checkAdaptable(causal),
    (e: EngineError) => e.code === 'wrong-head' && /causal language model/.test(e.message),
  );
  const nli = await load(fixture('bert-nli'));
  assert.throws(
    () => checkAdaptable(nli),
    (e: EngineError) =>
      e.code === 'wrong-head' && /BertForSequenceClassification/.test(e.message) && /masked-LM head/.test(e.message),
  );
  await assert.rejects(adapt(nli, [corpusDir]), (e: EngineError) => e.code === 'wrong-head');
  // int8 only: the fixture's tokenizer and config with only onnx/model_quantized.onnx.
  const q = path.join(tmp, 'int8-only');
  fs.mkdirSync(path.join(q, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'])
    fs.copyFileSync(path.join(fixture('bert-mlm'), f), path.join(q, f));
  fs.writeFileSync(
    path.join(q, 'onnx', 'model_quantized.onnx'),
    quantizeDynamic(new Uint8Array(fs.readFileSync(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx')))),
  );
  const int8 = await load(q, 'quantized');
  assert.throws(
    () => checkAdaptable(int8),
    (e: EngineError) => e.code === 'needs-fp32' && /model_quantized\.onnx/.test(e.message),
  );
});

test('cancel stops the run with CancelledError', async () => {
  const m = await load(fixture('bert-mlm'));
  const ac = new AbortController();
  await assert.rejects(
    adapt(
      m,
      [corpusDir],
      { epochs: 3, batchSize: 2, maxLength: 24 },
      { signal: ac.signal, onProgress: (p) => p.phase === 'step' && ac.abort() },
    ),
    (e: EngineError) => e.code === 'cancelled',
  );
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'bert-lens.js'), 'adapt', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
}

test('bert-lens adapt --json prints {masked_accuracy, pseudo_perplexity, chosen, seconds, output} and never overwrites unasked', () => {
  const out = path.join(tmp, 'cli-adapted');
  const args = [
    '--data',
    corpusDir,
    '--model',
    fixture('bert-mlm'),
    '--epochs',
    '1',
    '--seed',
    '3',
    '--max-length',
    '24',
    '--lr',
    '0.005',
    '--output',
    out,
    '--json',
  ];
  const r = cli(args);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j).slice(0, 5), ['masked_accuracy', 'pseudo_perplexity', 'chosen', 'seconds', 'output']);
  assert.deepEqual(Object.keys(j.masked_accuracy), ['before', 'after']);
  assert.deepEqual(Object.keys(j.pseudo_perplexity), ['before', 'after']);
  assert.deepEqual(Object.keys(j.chosen), ['mask', 'random', 'kept']);
  assert.equal(j.output, out);
  assert.ok(j.pseudo_perplexity.after < j.pseudo_perplexity.before, JSON.stringify(j.pseudo_perplexity));
  assert.ok(Math.abs(Math.log(j.pseudo_perplexity.before) - j.nll.before) < 1e-9);
  assert.ok(j.chosen.mask > j.chosen.random + j.chosen.kept && j.seconds > 0);
  assert.ok(fs.existsSync(path.join(out, 'onnx', 'model.onnx')));
  assert.deepEqual(
    JSON.parse(fs.readFileSync(path.join(out, 'adapt-report.json'), 'utf8')).masked_accuracy,
    j.masked_accuracy,
  );
  // The same folder again: refused in one line before any training, then replaced with --overwrite.
  const again = cli(args);
  assert.equal(again.status, 1);
  assert.equal(again.stdout, '');
  const lines = again.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('{'));
  assert.equal(lines.length, 1, again.stderr);
  assert.match(lines[0], /already exists.*--overwrite/);
  assert.equal(cli([...args, '--overwrite']).status, 0);
  for (const [extra, pattern] of [
    [['--data', path.join(tmp, 'no-text-cli'), '--model', fixture('bert-mlm')], /No text to adapt on/],
    [['--data', corpusDir, '--model', fixture('gpt2-clm')], /causal language model/],
    [['--data', corpusDir, '--model', fixture('bert-ner')], /needs a masked-LM head/],
  ] as [string[], RegExp][]) {
    fs.mkdirSync(path.join(tmp, 'no-text-cli'), { recursive: true });
    const bad = cli(extra);
    assert.equal(bad.status, 1, bad.stderr);
    const l = bad.stderr.trim().split('\n');
    assert.equal(l.length, 1, bad.stderr);
    assert.match(l[0], pattern);
    assert.doesNotMatch(bad.stderr, /\bat .*\.js:\d+/);
  }
});
