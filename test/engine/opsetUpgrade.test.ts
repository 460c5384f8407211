// Exports older than opset 13: the gradient builder rewrites them with opset-13 semantics first. A hand-built
// opset-11 graph uses every old form BERT-family exports have (Squeeze/Unsqueeze/ReduceSum `axes` and Split
// `split` attributes, a Softmax over a non-last axis, which before 13 normalises the 2-D flattening at `axis`, and
// a LogSoftmax on the last axis). Its gradient equals central finite differences of a float64 re-implementation
// of the graph with opset-11 meanings, and that re-implementation equals what ONNX Runtime computes on the
// original opset-11 graph. The fixture-level check (roberta-mlm as opset 11 against PyTorch's gradients) is in
// gradients.test.ts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildGradientGraph } from '../../src/engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { DT_FLOAT, encodeInitializer, encodeNode, encodeValueInfo, parseModel } from '../../src/engine/grad/onnxModel';
import { upgradeToOpset13 } from '../../src/engine/grad/upgrade';
import { concatBytes, lenField, stringField, varintField } from '../../src/engine/onnx/protobuf';
import { LoadedModel } from '../../src/engine/model';
import { openSession } from '../../src/engine/runtime';
import { saliency } from '../../src/engine/tasks/saliency';
import { fixture, readJson } from '../helpers';

const B = 2;
const S = 3;
const H = 4;
const X = Float32Array.from({ length: B * S * H }, (_, i) => Math.sin(1.3 * i + 0.2));
const W0 = Float32Array.from({ length: H * H }, (_, i) => 0.5 * Math.cos(0.7 * i) + 0.1);
const SEED1 = Float32Array.from({ length: B }, (_, i) => 1 + i); // ra: [B,1,1]
const SEED2 = Float32Array.from({ length: B * S }, (_, i) => ((i * 5) % 7) - 3); // l: [B,S]

function model(opset: number, softmaxAxis: number): Uint8Array {
  const attr = (name: string, v: number | number[]) => (Array.isArray(v) ? { name, ints: v } : { name, i: v });
  const parts = [
    encodeNode('MatMul', ['x', 'W'], ['h'], 'matmul'),
    encodeNode('Softmax', ['h'], ['s'], 'softmax', [attr('axis', softmaxAxis)]),
    encodeNode('Unsqueeze', ['s'], ['u'], 'unsqueeze', [attr('axes', [0])]),
    encodeNode('Squeeze', ['u'], ['q'], 'squeeze', [attr('axes', [0])]),
    encodeNode('Split', ['q'], ['a', 'b'], 'split', [attr('axis', 2), attr('split', [1, 3])]),
    encodeNode('ReduceSum', ['a'], ['ra'], 'reduce_a', [attr('axes', [1]), attr('keepdims', 1)]),
    encodeNode('ReduceSum', ['b'], ['rb'], 'reduce_b', [attr('axes', [2]), attr('keepdims', 0)]),
    encodeNode('LogSoftmax', ['rb'], ['l'], 'logsoftmax', [attr('axis', 1)]),
    encodeInitializer('W', [H, H], W0),
    encodeValueInfo('input', 'x', DT_FLOAT, [B, S, H]),
    encodeValueInfo('output', 'ra', DT_FLOAT, [B, 1, 1]),
    encodeValueInfo('output', 'l', DT_FLOAT, [B, S]),
  ];
  const graph = lenField(7, concatBytes([...parts, stringField(2, 'g')]));
  return concatBytes([varintField(1, 6), lenField(8, varintField(2, opset)), graph]);
}

/** The graph in float64 with opset-11 meanings: Softmax normalises each row of the [B, S·H] flattening at
 *  axis 1; LogSoftmax on the last axis of [B, S]. Returns ra [B] and l [B·S]. */
function forward(W: Float64Array, opset13Softmax = false): { ra: number[]; l: number[] } {
  const h = new Float64Array(B * S * H);
  for (let b = 0; b < B; b++)
    for (let s = 0; s < S; s++)
      for (let j = 0; j < H; j++) {
        let acc = 0;
        for (let k = 0; k < H; k++) acc += X[(b * S + s) * H + k] * W[k * H + j];
        h[(b * S + s) * H + j] = acc;
      }
  const sm = new Float64Array(B * S * H);
  if (opset13Softmax) {
    // opset 13: along axis 1 only (each [b, ·, j] column)
    for (let b = 0; b < B; b++)
      for (let j = 0; j < H; j++) {
        const col = Array.from({ length: S }, (_, s) => h[(b * S + s) * H + j]);
        const mx = Math.max(...col);
        const z = col.reduce((a, v) => a + Math.exp(v - mx), 0);
        col.forEach((v, s) => (sm[(b * S + s) * H + j] = Math.exp(v - mx) / z));
      }
  } else
    for (let b = 0; b < B; b++) {
      const row = h.subarray(b * S * H, (b + 1) * S * H);
      const mx = Math.max(...row);
      let z = 0;
      for (const v of row) z += Math.exp(v - mx);
      row.forEach((v, i) => (sm[b * S * H + i] = Math.exp(v - mx) / z));
    }
  const ra: number[] = [];
  const l: number[] = [];
  for (let b = 0; b < B; b++) {
    let a = 0;
    const rb: number[] = [];
    for (let s = 0; s < S; s++) {
      a += sm[(b * S + s) * H];
      rb.push(sm[(b * S + s) * H + 1] + sm[(b * S + s) * H + 2] + sm[(b * S + s) * H + 3]);
    }
    ra.push(a);
    const mx = Math.max(...rb);
    const lse = mx + Math.log(rb.reduce((acc, v) => acc + Math.exp(v - mx), 0));
    l.push(...rb.map((v) => v - lse));
  }
  return { ra, l };
}

const loss = (W: Float64Array) => {
  const { ra, l } = forward(W);
  return ra.reduce((a, v, i) => a + v * SEED1[i], 0) + l.reduce((a, v, i) => a + v * SEED2[i], 0);
};

test('opset-11 graph: ONNX Runtime on the original equals the float64 opset-11 meaning', async () => {
  const s = await openSession(model(11, 1));
  try {
    const out = await s.run({ x: { type: 'float32', data: X, dims: [B, S, H] } }, ['ra', 'l']);
    const ref = forward(Float64Array.from(W0));
    ref.ra.forEach((v, i) => assert.ok(Math.abs(out.ra.data[i] - v) < 1e-5, `ra[${i}] ${out.ra.data[i]} vs ${v}`));
    ref.l.forEach((v, i) => assert.ok(Math.abs(out.l.data[i] - v) < 1e-5, `l[${i}] ${out.l.data[i]} vs ${v}`));
  } finally {
    await s.dispose();
  }
});

test('the opset-13 reading of the same softmax gives other numbers: the upgrade has to keep the old meaning', async () => {
  const s = await openSession(model(11, 1));
  try {
    const out = await s.run({ x: { type: 'float32', data: X, dims: [B, S, H] } }, ['l']);
    const other = forward(Float64Array.from(W0), true);
    assert.ok(
      other.l.some((v, i) => Math.abs(out.l.data[i] - v) > 1e-2),
      'the two meanings differ on this input',
    );
  } finally {
    await s.dispose();
  }
});

test('opset-11 graph: gradients after the upgrade equal finite differences of the opset-11 meaning', async () => {
  const bytes = model(11, 1);
  const g = await buildGradientGraph(bytes, {
    objective: { kind: 'weighted-sum', outputs: ['ra', 'l'] },
    wrt: { parameters: ['W'] },
  });
  const s = await openSession(g.bytes);
  let got: Float32Array;
  try {
    const out = await s.run(
      {
        x: { type: 'float32', data: X, dims: [B, S, H] },
        [OBJECTIVE_INPUTS.seed(0)]: { type: 'float32', data: SEED1, dims: [B, 1, 1] },
        [OBJECTIVE_INPUTS.seed(1)]: { type: 'float32', data: SEED2, dims: [B, S] },
      },
      [g.outputs.gradients.W, g.outputs.loss],
    );
    got = out[g.outputs.gradients.W].data as Float32Array;
    assert.ok(Math.abs(out[g.outputs.loss].data[0] - loss(Float64Array.from(W0))) < 1e-5, 'loss');
  } finally {
    await s.dispose();
  }
  const eps = 1e-6;
  let norm = 0;
  const fd = Array.from(W0, (_, i) => {
    const p = Float64Array.from(W0);
    const m = Float64Array.from(W0);
    p[i] += eps;
    m[i] -= eps;
    const d = (loss(p) - loss(m)) / (2 * eps);
    norm += d * d;
    return d;
  });
  norm = Math.sqrt(norm);
  assert.ok(norm > 1e-2, `a gradient worth checking (‖g‖ = ${norm})`);
  fd.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-4 * norm + 1e-6, `dL/dW[${i}]: ${got[i]} vs ${v}`));
});

test('upgrade: attributes become inputs, a last-axis softmax stays one node, a non-last one is written out', () => {
  const up = parseModel(upgradeToOpset13(model(11, 1), (t) => ({ h: 3, rb: 2 })[t]));
  assert.equal(up.opset, 17);
  const ops = up.nodes.map((n) => n.opType);
  assert.deepEqual(ops, [
    'MatMul',
    'Shape',
    'Flatten',
    'Softmax',
    'Reshape',
    'Unsqueeze',
    'Squeeze',
    'Split',
    'ReduceSum',
    'ReduceSum',
    'LogSoftmax',
  ]);
  for (const n of up.nodes) {
    if (['Unsqueeze', 'Squeeze', 'ReduceSum'].includes(n.opType))
      assert.ok(!n.attrs.has('axes') && n.inputs.length === 2, n.name);
    if (n.opType === 'Split') assert.ok(!n.attrs.has('split') && n.inputs.length === 2 && n.attrs.get('axis')?.i === 2);
    if (n.opType === 'ReduceSum') assert.ok(n.attrs.has('keepdims'), 'other attributes kept');
  }
  assert.equal(up.nodes.find((n) => n.opType === 'Flatten')!.attrs.get('axis')!.i, 1);
  assert.equal(up.nodes.find((n) => n.opType === 'LogSoftmax')!.attrs.get('axis')!.i, -1);
  // Softmax on the last axis (2 of a rank-3 tensor): one node, axis -1.
  const last = parseModel(upgradeToOpset13(model(11, 2), (t) => ({ h: 3, rb: 2 })[t]));
  assert.deepEqual(
    last.nodes.slice(0, 2).map((n) => [n.opType, n.attrs.get('axis')?.i]),
    [
      ['MatMul', undefined],
      ['Softmax', -1],
    ],
  );
  // An opset-13 model is left alone.
  const m13 = model(13, 1);
  assert.equal(upgradeToOpset13(m13), m13);
});

test('an old operator the upgrade does not rewrite is refused by name', async () => {
  const parts = [
    encodeNode('Upsample', ['x', 'scales'], ['y'], 'the_upsample', [{ name: 'mode', s: 'nearest' }]),
    encodeInitializer('scales', [3], Float32Array.from([1, 1, 2])),
    encodeValueInfo('input', 'x', DT_FLOAT, [1, 2, 2]),
    encodeValueInfo('output', 'y', DT_FLOAT, [1, 2, 4]),
  ];
  const bytes = concatBytes([
    varintField(1, 6),
    lenField(8, varintField(2, 9)),
    lenField(7, concatBytes([...parts, stringField(2, 'g')])),
  ]);
  assert.throws(
    () => upgradeToOpset13(bytes),
    (err: any) =>
      err.code === 'grad-opset' &&
      /without Upsample \(node "the_upsample"\)\); this model is opset 9\./.test(err.message),
  );
});

test('bert-lens saliency on an opset-11 model folder gives the opset-14 export’s numbers and PyTorch’s', async () => {
  // roberta-mlm's folder with the opset-11 graph of test/fixtures/roberta-mlm-opset11.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-opset11-'));
  const models: LoadedModel[] = [];
  try {
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
      fs.copyFileSync(path.join(fixture('roberta-mlm'), f), path.join(dir, f));
    fs.mkdirSync(path.join(dir, 'onnx'));
    fs.copyFileSync(
      path.join(fixture('roberta-mlm-opset11'), 'onnx', 'model.onnx'),
      path.join(dir, 'onnx', 'model.onnx'),
    );
    const old = await LoadedModel.load('opset11', dir, 'fp32', 'cpu');
    const cur = await LoadedModel.load('opset14', fixture('roberta-mlm'), 'fp32', 'cpu');
    models.push(old, cur);
    const grads = readJson(path.join(fixture('roberta-mlm'), 'gradients.json'));
    const ref = grads.saliency;
    for (const method of ['grad-input', 'integrated-gradients'] as const) {
      const a = await saliency(old, { text: grads.text, method });
      const b = await saliency(cur, { text: grads.text, method });
      assert.deepEqual(a.tokens, b.tokens);
      assert.deepEqual(a.target, b.target);
      a.scores.forEach((v, i) =>
        assert.ok(
          Math.abs(v - b.scores[i]) <= 1e-5 + 1e-4 * Math.abs(b.scores[i]),
          `${method}[${i}] ${v} vs ${b.scores[i]}`,
        ),
      );
      const want = method === 'grad-input' ? ref.grad_input : ref.integrated_gradients.values;
      a.scores.forEach((v, i) =>
        assert.ok(
          Math.abs(v - want[i]) <= 1e-4 + 1e-3 * Math.abs(want[i]),
          `${method}[${i}] ${v} vs PyTorch ${want[i]}`,
        ),
      );
    }
  } finally {
    for (const m of models) await m.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
