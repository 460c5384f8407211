// Compact attention (#9): float32 tensors from the worker (transferred), head mean and rollout computed once
// there; the CLI's `attention --json` unchanged byte for byte; `--format npy` for NumPy.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { headMeanOf, rolloutOf } from '../../src/engine/tasks/attentionTensors';
import { rolloutInOnnx } from '../../src/engine/tasks/rolloutGraph';
import { ROOT, WORKER, assertClose, fixture, readJson } from '../helpers';

test('attention tensors: head mean and rollout equal the nested reference computation', async () => {
  const client = new EngineClient({ workerPath: WORKER });
  try {
    const t = await client.attentionTensors(
      { model: fixture('bert-mlm') },
      { text: 'the bank of the river is steep.' },
    );
    const { layers, heads, n } = t;
    assert.ok(
      t.attentions instanceof Float32Array && t.headMean instanceof Float32Array && t.rollout instanceof Float32Array,
    );
    assert.equal(t.attentions.length, layers * heads * n * n);
    assert.equal(n, t.tokens.length);
    // Reference: means and rollout written plainly over nested arrays, in float64.
    const A = (l: number, h: number, i: number, j: number) => t.attentions[((l * heads + h) * n + i) * n + j];
    const mean = Array.from({ length: layers }, (_, l) =>
      Array.from({ length: n }, (_, i) =>
        Array.from({ length: n }, (_, j) => {
          let s = 0;
          for (let h = 0; h < heads; h++) s += A(l, h, i, j);
          return s / heads;
        }),
      ),
    );
    assertClose(t.headMean, mean.flat(2), 1e-7, 'head mean');
    let acc: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
    for (const a of mean) {
      const aug = a.map((row, i) => {
        const r = row.map((x, j) => 0.5 * x + (i === j ? 0.5 : 0));
        const s = r.reduce((p, q) => p + q, 0);
        return r.map((x) => x / s);
      });
      acc = aug.map((row) => acc[0].map((_, j) => row.reduce((s, x, k) => s + x * acc[k][j], 0)));
    }
    assertClose(t.rollout, acc.flat(), 1e-6, 'rollout');
    // The pure helpers on their own: a 2-layer, 1-head, 2-token case by hand.
    const hm = headMeanOf(Float32Array.from([1, 0, 0.5, 0.5, 0, 1, 1, 0]), 2, 1, 2);
    assert.deepEqual([...hm], [1, 0, 0.5, 0.5, 0, 1, 1, 0]);
    // Layer 1: [[1,0],[.25,.75]]; layer 2: [[.5,.5],[.5,.5]] → [[.625,.375],[.625,.375]].
    assertClose(rolloutOf(hm, 2, 2), [0.625, 0.375, 0.625, 0.375], 1e-7, 'hand rollout');
  } finally {
    await client.dispose();
  }
});

test('rollout in ONNX Runtime equals the float64 JavaScript rollout (1, 2, 4 and 12 layers; causal zeros stay 0)', async () => {
  // The hand case: layer 1 [[1,0],[.25,.75]], layer 2 [[.5,.5],[.5,.5]] → [[.625,.375],[.625,.375]].
  assertClose(
    await rolloutInOnnx(Float32Array.from([1, 0, 0.5, 0.5, 0, 1, 1, 0]), 2, 2),
    [0.625, 0.375, 0.625, 0.375],
    1e-7,
    'hand rollout in ONNX',
  );
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (const [layers, n, causal] of [
    [1, 5, false],
    [4, 9, true],
    [12, 109, false],
  ] as const) {
    // Row-stochastic head means, as softmax rows are (lower-triangular for a causal model).
    const hm = new Float32Array(layers * n * n);
    for (let l = 0; l < layers; l++)
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) {
          const x = causal && j > i ? 0 : rand();
          hm[(l * n + i) * n + j] = x;
          sum += x;
        }
        for (let j = 0; j < n; j++) hm[(l * n + i) * n + j] /= sum;
      }
    const onnx = await rolloutInOnnx(hm, layers, n);
    assert.equal(onnx.length, n * n);
    assertClose(onnx, rolloutOf(hm, layers, n), 1e-6, `${layers} layers × ${n} tokens`);
    if (causal) for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.equal(onnx[i * n + j], 0);
    for (let i = 0; i < n; i++) {
      const row = onnx.subarray(i * n, (i + 1) * n).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(row - 1) < 1e-5, `row ${i} sums to ${row}`);
    }
  }
});

const CLI = path.join(ROOT, 'bin', 'bert-lens.js');

test('attention --json prints exactly what it printed before the compact transfer', () => {
  const cases: { name: string; args: string[]; stdout: string }[] = readJson(fixture('attention-cli/cases.json'));
  for (const c of cases) {
    const r = spawnSync(process.execPath, [CLI, ...c.args], {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: ROOT,
      maxBuffer: 64 << 20,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, c.stdout, `${c.name}: the --json output changed`);
  }
});

test('attention --format npy writes the raw tensor, never over an existing file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-npy-'));
  const file = path.join(dir, 'att.npy');
  const text = 'The bank of the river is steep.';
  const r = spawnSync(
    process.execPath,
    [CLI, 'attention', text, '--model', fixture('bert-mlm'), '--format', 'npy', '--output', file],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /float32 \[3, 4, 10, 10\]/);
  const b = fs.readFileSync(file);
  assert.equal(b.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  const hlen = b.readUInt16LE(8);
  assert.equal((10 + hlen) % 64, 0, 'header padded to 64 bytes');
  const header = b.subarray(10, 10 + hlen).toString('latin1');
  assert.match(header, /'descr': '<f4', 'fortran_order': False, 'shape': \(3, 4, 10, 10\)/);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + 10 + hlen, b.byteOffset + b.length));
  const json = JSON.parse(readJson<{ stdout: string }[]>(fixture('attention-cli/cases.json'))[0].stdout);
  assert.deepEqual(Array.from(data), json.attentions.flat(3), 'the npy tensor is the --json attentions, flattened');
  const again = spawnSync(
    process.execPath,
    [CLI, 'attention', text, '--model', fixture('bert-mlm'), '--format', 'npy', '--output', file],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists/);
  assert.equal(again.stderr.trim().split('\n').length, 1);
  assert.equal(fs.statSync(file).size, b.length, 'the file is untouched');
  const noOut = spawnSync(process.execPath, [CLI, 'attention', text, '--format', 'npy'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /--output/);
  fs.rmSync(dir, { recursive: true, force: true });
});
