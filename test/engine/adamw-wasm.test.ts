// AdamW's update loop in WebAssembly (adamw.wat): the embedded bytes are the .wat's, and the loop gives the same
// float32 bits as the JavaScript loop — odd lengths, frozen parameters, no-decay parameters, a state round trip —
// with each parameter's values living in its memory until release() hands them back as plain arrays.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ADAMW_WASM } from '../../src/engine/training/adamwWasm';
import { AdamW, type Parameter, denseRows } from '../../src/engine/training/optimizer';
import { createRng } from '../../src/engine/training/random';
import { ROOT } from '../helpers';

test('the embedded WebAssembly is adamw.wat compiled (scripts/build-adamw-wasm.mjs)', async () => {
  const wabt = await require('wabt')();
  const wat = fs.readFileSync(path.join(ROOT, 'src', 'engine', 'training', 'adamw.wat'), 'utf8');
  const mod = wabt.parseWat('adamw.wat', wat, { simd: true });
  mod.validate();
  assert.equal(Buffer.from(mod.toBinary({}).buffer).toString('base64'), ADAMW_WASM);
});

function params(seed: number): Parameter[] {
  const rng = createRng(seed);
  const make = (name: string, dims: number[], trainable = true): Parameter => ({
    name,
    dims,
    data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (rng() - 0.5) * 0.1),
    ...(trainable ? {} : { trainable: false }),
  });
  return [
    make('embeddings.word_embeddings.weight', [101, 7]), // odd length: the last value goes through the tail
    make('embeddings.LayerNorm.weight', [7]), // no decay
    make('frozen.weight', [3, 3], false),
    make('encoder.layer.0.dense.weight', [16, 16]),
    make('encoder.layer.0.dense.bias', [16]),
  ];
}

test('WebAssembly and JavaScript AdamW give the same bits over 6 steps; state round trip; release', () => {
  const a = params(3);
  const b = params(3);
  const frozenBefore = a[2].data;
  const wasm = new AdamW(a, { weightDecay: 0.05 });
  const js = new AdamW(b, { weightDecay: 0.05, kernel: 'js' });
  assert.equal(wasm.kernel, 'wasm');
  assert.equal(js.kernel, 'js');
  assert.equal(a[2].data, frozenBefore); // a frozen parameter stays where it was
  const rng = createRng(9);
  const bitsOf = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  for (let t = 1; t <= 6; t++) {
    const grads = a.map((p, k) =>
      k === 2 || (t === 3 && k === 1)
        ? undefined // frozen; and one step without a gradient for the LayerNorm weight
        : Float32Array.from({ length: p.data.length }, () => (rng() - 0.5) * (t % 2 ? 1e-2 : 3)),
    );
    const lr = 1e-3 * (1 + t / 10);
    wasm.step(grads, lr);
    js.step(grads, lr);
    a.forEach((p, k) => assert.ok(bitsOf(p.data).equals(bitsOf(b[k].data)), `step ${t}: ${p.name}`));
  }
  assert.ok(a[0].data.some((x, i) => x !== params(3)[0].data[i]));
  const sa = wasm.exportState();
  const sb = js.exportState();
  sa.m.forEach((m, k) => assert.ok(bitsOf(m).equals(bitsOf(sb.m[k])), `m of ${a[k].name}`));
  sa.v.forEach((v, k) => assert.ok(bitsOf(v).equals(bitsOf(sb.v[k])), `v of ${a[k].name}`));
  // A checkpoint of one kind resumes in the other.
  const c = a.map((p) => ({ ...p, data: p.data.slice() }));
  const resumed = new AdamW(c, { weightDecay: 0.05 });
  resumed.importState(sb);
  const g = a.map((p, k) => (k === 2 ? undefined : Float32Array.from({ length: p.data.length }, (_, i) => i * 1e-4)));
  resumed.step(g, 1e-3);
  js.step(g, 1e-3);
  c.forEach((p, k) => assert.ok(bitsOf(p.data).equals(bitsOf(b[k].data)), `resumed: ${p.name}`));
  // release() hands the values back as arrays of their own.
  const values = a.map((p) => p.data.slice());
  const memory = a[0].data.buffer;
  wasm.release();
  a.forEach((p, k) => {
    assert.deepEqual(p.data, values[k]);
    if (k !== 2) assert.notEqual(p.data.buffer, memory);
    assert.equal(p.data.byteLength, p.data.buffer.byteLength);
  });
  assert.throws(() => wasm.step(g, 1e-3), /after release/);
});

test("a table's gradient as its looked-up rows: the same bits as its dense gradient, staged in chunks or not", () => {
  // Width 256 stages 256 rows per chunk: 700 looked-up rows (repeats, one negative) cross two chunk boundaries.
  // Width 6 (not a multiple of 4) and the JavaScript loop take the dense gradient instead.
  for (const [width, tableRows, looked] of [
    [256, 300, 700],
    [6, 40, 90],
  ]) {
    const rng = createRng(width);
    const table = (): Parameter[] => [
      {
        name: 'embeddings.word_embeddings.weight',
        dims: [tableRows, width],
        data: Float32Array.from({ length: tableRows * width }, () => rng() - 0.5),
      },
    ];
    const base = table()[0].data;
    const make = () => [{ ...table()[0], data: base.slice() }];
    const [sparse, dense, js] = [make(), make(), make()];
    const a = new AdamW(sparse, { weightDecay: 0.05 });
    const b = new AdamW(dense, { weightDecay: 0.05 });
    const c = new AdamW(js, { weightDecay: 0.05, kernel: 'js' });
    const bitsOf = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    for (let t = 1; t <= 3; t++) {
      const rows = Array.from({ length: looked }, (_, i) => (i === 5 ? -1 : Math.floor(rng() * tableRows)));
      const values = Float32Array.from({ length: looked * width }, () => (rng() - 0.5) * 10 ** (t - 3));
      const g = { rows: Float32Array.from(rows), values, width };
      const full = denseRows(tableRows * width, width, g.rows, values);
      assert.equal(
        full[(tableRows - 1) * width],
        rows.reduce((s, r, i) => (r === -1 || r === tableRows - 1 ? Math.fround(s + values[i * width]) : s), 0),
      );
      a.step([g], 1e-3);
      b.step([full], 1e-3);
      c.step([g], 1e-3);
      assert.ok(bitsOf(sparse[0].data).equals(bitsOf(dense[0].data)), `width ${width}, step ${t}: rows vs dense`);
      assert.ok(bitsOf(js[0].data).equals(bitsOf(dense[0].data)), `width ${width}, step ${t}: JavaScript loop`);
    }
    assert.ok(sparse[0].data.some((x, i) => x !== base[i]));
    assert.throws(() => a.step([{ rows: [0], values: new Float32Array(width + 1), width }], 1e-3), /rows of/);
    if (width % 4 === 0)
      assert.throws(
        () => a.step([{ rows: [tableRows], values: new Float32Array(width), width }], 1e-3),
        /outside its table/,
      );
  }
});
