// Inputs at the edges (issue #14, items 8 and 11): offsets of long texts with astral characters are converted in
// one pass (a map per token made 1 MB of text take minutes); a zero-byte or truncated .onnx gives one line without
// ONNX Runtime's C++ signature; a non-numeric topK through the API is an error, not an empty answer.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { Offset } from '../../src/engine/api';
import { EngineClient } from '../../src/engine/client';
import { EngineError } from '../../src/engine/errors';
import { codePointConverter, utf16ToCodePoints } from '../../src/engine/tokenizer';
import { ROOT, WORKER, fixture } from '../helpers';

const client = new EngineClient({ workerPath: WORKER });
after(() => client.dispose());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-inputs-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('utf16ToCodePoints equals a per-character reference on texts with astral characters', () => {
  let seed = 11;
  const rand = (n: number) => (seed = (seed * 16807) % 2147483647) % n;
  const alphabet = ['a', 'é', ' ', '😀', '𝒳', '日', '\n', '\u200d'];
  for (let round = 0; round < 20; round++) {
    const text = Array.from({ length: 200 }, () => alphabet[rand(alphabet.length)]).join('');
    const offsets: Offset[] = Array.from({ length: 50 }, (): Offset => {
      const a = rand(text.length + 1);
      return [a, a + rand(text.length + 1 - a)];
    }).filter(([s, e]) => !/[\uDC00-\uDFFF]/.test(text[s] ?? '') && !/[\uDC00-\uDFFF]/.test(text[e] ?? ''));
    const ref = (i: number) => Array.from(text.slice(0, i)).length;
    assert.deepEqual(
      utf16ToCodePoints(text, offsets),
      offsets.map(([s, e]) => [ref(s), ref(e)]),
    );
    const conv = codePointConverter(text);
    assert.deepEqual(
      offsets.map(conv),
      offsets.map(([s, e]) => [ref(s), ref(e)]),
    );
  }
});

test('tokenize --json on 1 MB of text with one emoji: code-point offsets to the last token', () => {
  const unit = 'python is a programming language. ';
  const text = `😀 ${unit.repeat(Math.ceil(1_000_000 / unit.length))}`.trimEnd();
  const file = path.join(tmp, 'big.txt');
  fs.writeFileSync(file, text);
  // A hang guard, not a speed assertion: the per-token conversion took over 300 s for 1 MB on this machine.
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'bert-lens.js'), 'tokenize', '--json'], {
    input: text,
    encoding: 'utf8',
    timeout: 280_000,
    maxBuffer: 1 << 30,
  });
  assert.equal(r.status, 0, r.stderr || String(r.error));
  const out = JSON.parse(r.stdout) as { tokens: string[]; offsets: Offset[] };
  const cps = Array.from(text);
  const n = out.tokens.length;
  assert.ok(n > 150_000, `${n} tokens`);
  assert.deepEqual(out.offsets[1], [0, 1], 'the emoji is one code point');
  assert.deepEqual(out.offsets[2], [2, 8]);
  assert.equal(cps.slice(out.offsets[2][0], out.offsets[2][1]).join(''), 'python');
  const last = out.offsets[n - 2]; // before [SEP]
  assert.deepEqual(last, [cps.length - 1, cps.length]);
  assert.equal(out.tokens[n - 2], '.');

  // A reader that stops early closes the pipe: the CLI ends quietly (no EPIPE stack trace).
  const head = spawnSync(
    'bash',
    [
      '-c',
      `node "${path.join(ROOT, 'bin', 'bert-lens.js')}" tokenize --json < "${file}" | head -c 20; exit \${PIPESTATUS[0]}`,
    ],
    { encoding: 'utf8', timeout: 280_000 },
  );
  assert.equal(head.stdout, '{"tokens":["[CLS]","');
  assert.equal(head.stderr, '');
  assert.equal(head.status, 0);
});

test('a zero-byte .onnx is one line that says so; a truncated one has no C++ signature', async () => {
  for (const [what, bytes, re] of [
    ['zero-byte', 0, /The ONNX file is empty \(0 bytes\)/],
    ['truncated', 5000, /The ONNX file could not be loaded: /],
  ] as const) {
    const d = path.join(tmp, what);
    fs.cpSync(fixture('bert-mlm'), d, { recursive: true });
    const f = path.join(d, 'onnx', 'model.onnx');
    fs.writeFileSync(f, fs.readFileSync(f).subarray(0, bytes));
    await assert.rejects(client.loadModel({ model: d, variant: 'fp32' }), (e: EngineError) => {
      assert.equal(e.code, 'corrupt-model');
      assert.match(e.message, re);
      assert.doesNotMatch(e.message, /onnxruntime::|\.cc:\d+|ModelProto&&|\n/, e.message);
      return true;
    });
  }
});

test('a topK that is not a whole number is an error from the engine itself', async () => {
  for (const topK of ['five', NaN, 2.5, {}] as unknown[]) {
    await assert.rejects(
      client.fillMask({}, { text: 'a list is a [MASK].', topK: topK as number }),
      (e: EngineError) => e.code === 'bad-top-k' && /topK must be a whole number/.test(e.message),
      String(topK),
    );
  }
  await assert.rejects(
    client.questionAnswering(
      { model: fixture('bert-qa'), variant: 'fp32' },
      { question: 'who?', context: 'John works.', topK: 'x' as unknown as number },
    ),
    (e: EngineError) => e.code === 'bad-top-k',
  );
  const ok = await client.fillMask({}, { text: 'a list is a [MASK].', topK: 2 });
  assert.equal(ok.masks[0].predictions.length, 2);
});
