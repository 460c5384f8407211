// CLI output at any size (issue #14, item 9): --json is streamed in bounded chunks whose text equals
// JSON.stringify of the same value (typed arrays as arrays of their numbers), every command's --json output is
// exactly the JSON.stringify text it always was, and tables of a million rows do not overflow the stack.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { table } from '../../src/cli/format';
import { writeJson } from '../../src/cli/jsonWriter';
import { EngineError } from '../../src/engine/errors';
import { ROOT, fixture } from '../helpers';

async function streamed(value: unknown, chunkSize?: number): Promise<{ text: string; chunks: string[] }> {
  const chunks: string[] = [];
  await writeJson(value, (c) => void chunks.push(c), chunkSize);
  return { text: chunks.join(''), chunks };
}

test('the writer’s text equals JSON.stringify for plain values, odd numbers and strings, toJSON, and omitted members', async () => {
  const values: unknown[] = [
    0,
    -0,
    1.5,
    1e21,
    5e-324,
    -1e-7,
    NaN,
    Infinity,
    -Infinity,
    true,
    false,
    null,
    '',
    'plain',
    'quote " backslash \\ newline \n tab \t',
    'é 日本 😀 \u2028 \u0000 \ud800 lone',
    [],
    {},
    [[]],
    [{}],
    [1, 'a', null, undefined, () => 1, Symbol('s'), NaN],
    { a: 1, b: undefined, c: () => 1, d: [undefined], e: { f: { g: [1, 2, { h: 'i' }] } }, 'k"ey': 2, '': 3 },
    { date: new Date(Date.UTC(2020, 0, 2)), error: new EngineError('bad-input', 'message', 'hint') },
    {
      tokens: ['[CLS]', 'hello', '[SEP]'],
      offsets: [
        [0, 0],
        [0, 5],
        [0, 0],
      ],
      score: 0.123456789,
    },
  ];
  for (const v of values) {
    const { text } = await streamed(v, 7);
    assert.equal(text, JSON.stringify(v), JSON.stringify(v));
  }
  await assert.rejects(async () => {
    const a: unknown[] = [];
    a.push({ a });
    await streamed(a);
  }, /circular/);
});

test('typed arrays are written as arrays of their numbers, in chunks of bounded size', async () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 10;
  const vectors = Array.from({ length: 300 }, () => Float32Array.from({ length: 768 }, rand));
  vectors[3][5] = NaN;
  const value = { tokens: vectors.map((_, i) => `t${i}`), vectors, ids: Int32Array.from([1, -2, 3]) };
  const plain = { tokens: value.tokens, vectors: vectors.map((v) => Array.from(v)), ids: [1, -2, 3] };
  const { text, chunks } = await streamed(value, 1 << 14);
  assert.equal(text, JSON.stringify(plain));
  assert.ok(chunks.length > 100, `${chunks.length} chunks`);
  const longest = Math.max(...chunks.map((c) => c.length));
  assert.ok(longest < (1 << 14) + 64, `the longest chunk has ${longest} characters`);
});

test('numeric runs (written by one JSON.stringify per piece) keep the text exact: odd numbers, holes, long arrays', async () => {
  const odd = [0, -0, 1e21, 1e-7, -1.5e-300, 5e-324, NaN, Infinity, -Infinity, 0.1 + 0.2, 2 ** 53 + 2];
  const f32 = Float32Array.from([...odd, 1 / 3, -2.5e-8]);
  const long = Float64Array.from({ length: 10_000 }, (_, i) => Math.sin(i) * 10 ** ((i % 40) - 20));
  const value = {
    odd,
    f32,
    long,
    holes: [1, , 3],
    mixed: [1, 'a', null, 2.5],
    big: BigInt64Array.from([1n, -2n]).length,
    rows: [f32.subarray(0, 3), f32.subarray(3, 6)],
  };
  const plain = {
    odd,
    f32: Array.from(f32),
    long: Array.from(long),
    holes: [1, null, 3],
    mixed: [1, 'a', null, 2.5],
    big: 2,
    rows: [Array.from(f32.subarray(0, 3)), Array.from(f32.subarray(3, 6))],
  };
  for (const size of [64, 1 << 12, 1 << 16]) {
    const { text, chunks } = await streamed(value, size);
    assert.equal(text, JSON.stringify(plain), `chunk size ${size}`);
    assert.ok(
      Math.max(...chunks.map((c) => c.length)) <= size + 64,
      `chunk size ${size}: a chunk of ${Math.max(...chunks.map((c) => c.length))}`,
    );
  }
});

test('every command’s --json output is exactly the JSON.stringify text of its value, one line', () => {
  const bin = path.join(ROOT, 'bin', 'bert-lens.js');
  const runs: string[][] = [
    ['tokenize', 'héllo 😀 world', '--pair', 'a 😀 b'],
    ['fill-mask', 'python is a programming [MASK].', '--targets', 'language,tool'],
    ['fill-mask', 'python is a programming language.', '--span', '24:32'],
    ['ner', '--model', fixture('bert-ner'), '--variant', 'fp32', 'John 😀 Smith works at Google in London.'],
    [
      'qa',
      '--model',
      fixture('bert-qa'),
      '--variant',
      'fp32',
      '--question',
      'Who works at Google?',
      '--top-k',
      '2',
      'John 😀 Smith works at Google.',
    ],
    ['classify', '--model', fixture('bert-nli'), '--variant', 'fp32', 'A man sleeps.', '--pair', 'A person rests.'],
    ['nsp', '--model', fixture('bert-pretraining'), 'the sky is blue.', 'it is a nice day.'],
    ['rtd', '--model', fixture('electra-discriminator'), 'the cat ate the sky.'],
    ['embed', 'a list is a sequence.'],
    ['embed', 'a list is a sequence.', '--pooling', 'mean'],
    ['similarity', 'a 😀 bank of the river and a bank account', '--span', '4:8'],
    ['attention', 'a list.'],
    ['models'],
    ['info'],
  ];
  for (const args of runs) {
    const r = spawnSync(process.execPath, [bin, args[0], '--json', ...args.slice(1)], {
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 1 << 28,
    });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stdout.endsWith('\n') && r.stdout.indexOf('\n') === r.stdout.length - 1, `${args[0]}: one line`);
    assert.equal(r.stdout, `${JSON.stringify(JSON.parse(r.stdout))}\n`, args.join(' '));
  }
});

test('a table of a million rows is laid out (column widths by a loop, not a spread)', () => {
  const rows = Array.from({ length: 1_000_000 }, (_, i) => [i, i % 7 === 0 ? 'a longer token' : 'tok']);
  const out = table(['#', 'token'], rows);
  const lines = out.split('\n');
  assert.equal(lines.length, 1_000_002);
  assert.equal(lines[0], '#       token');
  assert.equal(lines[1], '------  --------------');
  assert.equal(lines[2], '0       a longer token');
  assert.equal(lines[1_000_001], '999999  a longer token');
  assert.equal(lines[1_000_000], '999998  tok');
});
