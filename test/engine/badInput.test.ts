// Each bad input gives one clear line naming the problem and a way forward, a stable error code, and a
// non-zero exit from the CLI — never a stack trace or a hang.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { EngineError } from '../../src/engine/errors';
import { ROOT, WORKER, fixture } from '../helpers';

const client = new EngineClient({ workerPath: WORKER });
after(() => client.dispose());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-bad-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function copyFixture(name: string): string {
  const dest = path.join(tmp, `${name}-${Math.random().toString(36).slice(2)}`);
  fs.cpSync(fixture(name), dest, { recursive: true });
  return dest;
}

async function code(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EngineError, `an EngineError, got ${e}`);
    assert.ok(e.message.length > 10 && !e.message.includes('\n    at '), 'one readable line');
    return e;
  }
  assert.fail('expected an error');
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'bert-lens.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

function assertCliError(args: string[], pattern: RegExp) {
  const r = cli(args);
  assert.notEqual(r.status, 0, `non-zero exit for ${args.join(' ')}`);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.split('\n').length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error: .*\n/);
  assert.equal(r.stdout, '');
}

test('missing model folder', async () => {
  const e = await code(client.fillMask({ model: path.join(tmp, 'nope') }, { text: 'a [MASK].' }));
  assert.equal(e.code, 'model-not-found');
  assertCliError(
    ['fill-mask', '--model', path.join(tmp, 'nope'), 'a [MASK].'],
    /No model folder at .*nope\. Pass a folder/,
  );
});

test('unreadable model folder (config.json is not JSON)', async () => {
  const d = copyFixture('bert-mlm');
  fs.writeFileSync(path.join(d, 'config.json'), '{ not json');
  const e = await code(client.fillMask({ model: d }, { text: 'a [MASK].' }));
  assert.equal(e.code, 'model-corrupt-json');
});

test('no tokenizer.json', async () => {
  const d = copyFixture('bert-mlm');
  fs.rmSync(path.join(d, 'tokenizer.json'));
  const e = await code(client.fillMask({ model: d }, { text: 'a [MASK].' }));
  assert.equal(e.code, 'no-tokenizer');
  assertCliError(['fill-mask', '--model', d, 'a [MASK].'], /tokenizer\.json is missing .* Export it/);
});

test('corrupt .onnx file', async () => {
  const d = copyFixture('bert-mlm');
  const f = path.join(d, 'onnx', 'model.onnx');
  fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 5000));
  const e = await code(client.fillMask({ model: d }, { text: 'a [MASK].' }));
  assert.equal(e.code, 'corrupt-model');
  assertCliError(
    ['fill-mask', '--model', d, 'a [MASK].'],
    /The ONNX file could not be loaded: .*re-download or re-export/,
  );
});

test('a variant that is not there', async () => {
  const e = await code(client.loadModel({ model: fixture('bert-mlm'), variant: 'fp16' }));
  assert.equal(e.code, 'variant-missing');
  assert.match(e.hint!, /Available: fp32/);
});

test('a task the head cannot do: ner on a masked-LM model', async () => {
  const e = await code(client.tokenClassification({}, { text: 'hello world' }));
  assert.equal(e.code, 'wrong-head');
  assertCliError(
    ['ner', 'hello world'],
    /needs a model with a token-classification head, but embedded\/mini-bert-uncased is BertForMaskedLM/,
  );
  assertCliError(
    ['fill-mask', '--model', fixture('bert-ner'), 'a [MASK].'],
    /Fill-mask needs a model with a masked-lm head/,
  );
  assertCliError(['nsp', 'a', 'b'], /Next-sentence prediction needs/);
});

test('fill-mask on text with no mask', async () => {
  const e = await code(client.fillMask({}, { text: 'no mask here' }));
  assert.equal(e.code, 'no-mask');
  assertCliError(['fill-mask', 'no mask here'], /The text has no \[MASK\]\. Write \[MASK\]/);
  assertCliError(['fill-mask', '--model', fixture('roberta-mlm'), 'no mask here'], /The text has no <mask>/);
});

test('empty text and empty selection', async () => {
  assert.equal((await code(client.fillMask({}, { text: '   ' }))).code, 'empty-text');
  assert.equal((await code(client.fillMask({}, { text: 'a b', spans: [[1, 1]] }))).code, 'empty-selection');
  assertCliError(['fill-mask', ''], /The text is empty/);
  assertCliError(['tokenize', ''], /The text is empty/);
});

test('text longer than the maximum length: attention explains, the tasks use windows', async () => {
  const text = 'python is a programming language. '.repeat(100);
  const e = await code(client.attention({}, { text }));
  assert.equal(e.code, 'too-long');
  assert.match(e.message, /at most 512/);
  const emb = await client.embed(
    { model: fixture('bert-feature') },
    { text: 'open a bank account. '.repeat(40), layer: -1 },
  );
  assert.ok(emb.vectors!.length > 128, 'bert-feature (max 128 positions) embeds a 160+ token text through windows');
  const ner = await client.tokenClassification(
    { model: fixture('bert-ner') },
    { text: 'my name is wolfgang and i live in berlin. '.repeat(20) },
  );
  assert.ok(ner.tokens.length > 128);
  assert.equal(ner.tokenLabels.length, ner.tokens.length);
});

test('unknown device and variant', async () => {
  assert.equal((await code(client.loadModel({ device: 'tpu' as never }))).code, 'unknown-device');
  assertCliError(
    ['fill-mask', '--device', 'tpu', 'a [MASK].'],
    /unknown device "tpu"\. Use one of: cpu, webgpu, cuda, dml, coreml/,
  );
  assertCliError(['fill-mask', '--variant', 'int4', 'a [MASK].'], /unknown variant "int4"/);
});

test('an unavailable provider falls back to cpu and says so', async () => {
  const s = await client.loadModel({ model: fixture('bert-mlm'), device: 'coreml' });
  assert.equal(s.provider, 'cpu');
  assert.match(s.fallbackReason!, /coreml is not available here .*running on cpu/);
});

test('usage errors exit 2 with one line', () => {
  const r = cli(['qa', 'some context']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /qa needs --question/);
  const u = cli(['frobnicate']);
  assert.equal(u.status, 2);
  assert.match(u.stderr, /unknown command "frobnicate"/);
});

test('ModelSpec.maxLength caps the window: attention explains with that cap, fill-mask still windows', async () => {
  const text = 'a list is a sequence of items and a tuple is an immutable sequence.';
  const e = await code(client.attention({ maxLength: 16 }, { text }));
  assert.equal(e.code, 'too-long');
  assert.match(e.message, /at most 16/);
  const long = `${'python is a programming language. '.repeat(10)}python is a programming [MASK].`;
  const capped = await client.fillMask({ maxLength: 16 }, { text: long, topK: 3 });
  assert.equal(capped.masks.length, 1);
  assert.equal(capped.tokens[capped.masks[0].position], '[MASK]');
  assert.equal(capped.masks[0].predictions.length, 3);
});
