// The fine-tuning speed-ups keep the numbers: the LayerNorm fusion of the training graph (same outputs as the
// export, and gradients that still match PyTorch's), the accumulator's pass-through of a one-micro-batch step
// and its buffer reuse, the flat AdamW state (frozen parameters in between, checkpoint round trip), and one
// TrainStep equal to a plain session run + AdamW on the unfused graph.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { buildGradientGraph } from '../../src/engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { parseModel } from '../../src/engine/grad/onnxModel';
import { type InputTensor, openSession } from '../../src/engine/runtime';
import { readParameters } from '../../src/engine/training/fineTuneGraph';
import { fuseLayerNorms } from '../../src/engine/training/fuseLayerNorm';
import { AdamW, GradientAccumulator } from '../../src/engine/training/optimizer';
import { TrainStep, openTrainingGraph } from '../../src/engine/training/trainStep';
import { assertClose, fixture, readJson } from '../helpers';

const i64 = (xs: number[], dims: number[]): InputTensor => ({
  type: 'int64',
  data: BigInt64Array.from(xs.map(BigInt)),
  dims,
});
const nli = readJson(`${fixture('bert-nli')}/gradients.json`);
const nliBytes = new Uint8Array(fs.readFileSync(`${fixture('bert-nli')}/onnx/model.onnx`));
const nliFeeds = (): Record<string, InputTensor> => {
  const s = nli.input_ids.length;
  return {
    input_ids: i64(nli.input_ids, [1, s]),
    attention_mask: i64(nli.attention_mask, [1, s]),
    token_type_ids: i64(nli.token_type_ids, [1, s]),
  };
};
const count = (bytes: Uint8Array, op: string) => parseModel(bytes).nodes.filter((n) => n.opType === op).length;
const l2 = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));

test('LayerNorm fusion: every spelled-out LayerNorm becomes one node; the outputs stay those of the export', async () => {
  // Embeddings + two per layer (+ one in the masked-LM head's transform where there is one). ALBERT's gelu_new
  // keeps its Pow(x, 3) nodes.
  const expected: [string, number][] = [
    ['bert-nli', 1 + 2 * 2],
    ['bert-mlm', 1 + 2 * 3 + 1],
    ['distilbert-mlm', 1 + 2 * 2 + 1],
    ['roberta-mlm', 1 + 2 * 2 + 1],
    ['electra-discriminator', 1 + 2 * 2],
    ['albert-mlm', 1 + 2 * 2 + 1],
  ];
  for (const [name, lns] of expected) {
    const ref = readJson(`${fixture(name)}/gradients.json`);
    const bytes = new Uint8Array(fs.readFileSync(`${fixture(name)}/onnx/model.onnx`));
    const before = count(bytes, 'Pow');
    const f = fuseLayerNorms(bytes);
    assert.equal(f.fused, lns, `${name}: LayerNorms fused`);
    assert.equal(count(f.bytes, 'LayerNormalization'), f.fused);
    assert.equal(
      count(f.bytes, 'Pow'),
      name === 'albert-mlm' ? 3 : 0,
      `${name}: the Pow(x, 2) of each LayerNorm is gone`,
    );
    assert.equal(before - count(f.bytes, 'Pow'), lns);
    const s = ref.input_ids.length;
    const feeds: Record<string, InputTensor> = {
      input_ids: i64(ref.input_ids, [1, s]),
      attention_mask: i64(ref.attention_mask, [1, s]),
    };
    const a = await openSession(bytes);
    const b = await openSession(f.bytes);
    if (a.inputNames.includes('token_type_ids'))
      feeds.token_type_ids = i64(ref.token_type_ids ?? ref.input_ids.map(() => 0), [1, s]);
    const out = a.outputNames[0];
    const ra = await a.run(feeds, [out]);
    const rb = await b.run(feeds, [out]);
    await a.dispose();
    await b.dispose();
    assertClose(rb[out].data, ra[out].data, 1e-4, `${name} ${out}`);
  }
  // A graph without the pattern is returned as it is.
  const fused = fuseLayerNorms(nliBytes);
  assert.equal(fuseLayerNorms(fused.bytes).fused, 0);
  assert.equal(fuseLayerNorms(fused.bytes).bytes, fused.bytes);
});

test('LayerNorm fusion: gradients of the fused training graph match PyTorch (bert-nli, every parameter)', async () => {
  const f = fuseLayerNorms(nliBytes);
  const g = await buildGradientGraph(f.bytes, {
    objective: { kind: 'cross-entropy', outputs: ['logits'] },
    wrt: { parameters: 'all' },
  });
  const s = await openSession(g.bytes);
  const out = await s.run({ ...nliFeeds(), [OBJECTIVE_INPUTS.labels(0)]: i64(nli.loss.labels, [1]) }, [
    g.outputs.loss,
    ...Object.values(g.outputs.gradients),
  ]);
  await s.dispose();
  assert.ok(
    Math.abs(out[g.outputs.loss].data[0] - nli.loss.value) < 1e-4,
    `loss ${out[g.outputs.loss].data[0]} vs ${nli.loss.value}`,
  );
  assert.deepEqual(Object.keys(g.outputs.gradients).sort(), Object.keys(nli.gradients).sort());
  let layerNorms = 0;
  for (const [p, r] of Object.entries<any>(nli.gradients)) {
    const got = out[g.outputs.gradients[p]].data;
    const tol = 1e-3 * r.l2 + 1e-7;
    assert.ok(Math.abs(l2(got) - r.l2) <= tol, `${p}: L2 ${l2(got)} vs ${r.l2}`);
    r.first.forEach((v: number, i: number) => assert.ok(Math.abs(got[i] - v) <= tol, `${p}[${i}]: ${got[i]} vs ${v}`));
    for (const [i, v] of r.sample) assert.ok(Math.abs(got[i] - v) <= tol, `${p}[${i}]: ${got[i]} vs ${v}`);
    if (/LayerNorm/.test(p)) layerNorms++;
  }
  assert.equal(layerNorms, 10, 'γ and β of all five LayerNorms checked');
});

test('gradient accumulation: one micro-batch passes through untouched; sums are reset between steps', () => {
  const acc = new GradientAccumulator([2, 3]);
  const g = Float32Array.from([0.1, -0.3]);
  acc.add([g, undefined], 16);
  const one = acc.take();
  assert.equal(one[0], g, 'the same array, no copy');
  assert.equal(one[1], undefined);
  // Step 2: two micro-batches (weights 3 and 1); step 3: two again, touching only the second parameter.
  acc.add([Float32Array.from([1, 2]), Float32Array.from([1, 1, 1])], 3);
  acc.add([Float32Array.from([5, -2]), undefined], 1);
  const two = acc.take();
  assert.deepEqual([...(two[0] as Float32Array)], [(3 + 5) / 4, (6 - 2) / 4]);
  assert.deepEqual([...(two[1] as Float32Array)], [3 / 4, 3 / 4, 3 / 4]);
  acc.add([undefined, Float32Array.from([2, 0, -2])], 1);
  acc.add([undefined, Float32Array.from([0, 0, 2])], 1);
  const three = acc.take();
  assert.equal(three[0], undefined, 'no gradient this step: none, not last step’s');
  assert.deepEqual([...(three[1] as Float32Array)], [1, 0, 0], 'last step’s sums do not leak in');
  assert.equal(acc.examples, 0);
});

test('AdamW over flat moments: a frozen parameter in between, and a checkpoint round trip continues exactly', () => {
  const mk = () => [
    { name: 'a.weight', dims: [2, 2], data: Float32Array.from([0.5, -1, 2, 0]) },
    { name: 'frozen.weight', dims: [1, 3], data: Float32Array.from([3, 3, 3]), trainable: false },
    { name: 'b.bias', dims: [2], data: Float32Array.from([0.1, -0.2]) },
  ];
  const grads = (k: number) => [
    Float32Array.from([0.2, -0.4, 0, 1e-3].map((x) => x * k)),
    Float32Array.from([1, 1, 1]),
    Float32Array.from([-0.5, 0.25].map((x) => x / k)),
  ];
  const lr = 1e-3;
  const p = mk();
  const opt = new AdamW(p, { weightDecay: 0.01 });
  opt.step(grads(1), lr);
  // Step 1 by hand for the parameter after the frozen one: lr·g/(|g|+ε), no decay on a bias.
  [0.1, -0.2].forEach((x, j) =>
    assert.ok(Math.abs(p[2].data[j] - (x - (lr * grads(1)[2][j]) / (Math.abs(grads(1)[2][j]) + 1e-8))) < 1e-7),
  );
  assert.deepEqual([...p[1].data], [3, 3, 3]);
  const st = opt.exportState();
  assert.deepEqual(
    st.m.map((a) => a.length),
    [4, 0, 2],
  );
  const q = p.map((x) => ({ ...x, data: x.data.slice() }));
  const resumed = new AdamW(q, { weightDecay: 0.01 });
  resumed.importState(st);
  for (let k = 2; k <= 4; k++) {
    opt.step(grads(k), lr);
    resumed.step(grads(k), lr);
  }
  p.forEach((x, i) => assert.deepEqual([...q[i].data], [...x.data], `${x.name} after resuming`));
  assert.throws(
    () => resumed.importState({ step: 1, m: [new Float32Array(4), new Float32Array(0), new Float32Array(3)], v: st.v }),
    /another set of parameters/,
  );
});

/** Every value whose gradient is above rounding level (relative to its parameter's) is the same on both paths
 *  within 1e-6 (and moved from `start`, when given); at least 1,000 values checked. */
function assertSameStep(
  a: { name: string; data: Float32Array }[],
  b: { data: Float32Array }[],
  grads: Float32Array[],
  start?: Float32Array[],
): void {
  let checked = 0;
  a.forEach((p, i) => {
    const norm = l2(grads[i]);
    p.data.forEach((x, j) => {
      if (Math.abs(grads[i][j]) < 1e-3 * norm || norm < 1e-5) return;
      assert.ok(Math.abs(x - b[i].data[j]) < 1e-6, `${p.name}[${j}]: ${x} vs ${b[i].data[j]}`);
      if (start) assert.notEqual(x, start[i][j]);
      checked++;
    });
  });
  assert.ok(checked > 1000, `checked ${checked} values`);
}

test('one TrainStep (fused graph, accumulator, flat AdamW) equals a plain run of the unfused graph + AdamW (bert-nli)', async () => {
  const names = readParameters(nliBytes).map((p) => p.name);
  const fresh = () => readParameters(nliBytes).map((p) => ({ name: p.name, dims: p.dims, data: p.data }));
  const objective = { kind: 'cross-entropy' as const, outputs: ['logits'] };
  const feeds = { ...nliFeeds(), [OBJECTIVE_INPUTS.labels(0)]: i64(nli.loss.labels, [1]) };
  const a = fresh();
  const graph = await openTrainingGraph(nliBytes, names, objective);
  assert.equal(graph.fusedLayerNorms, 5);
  const step = new TrainStep(graph, a, { weightDecay: 0.01 });
  const b = fresh();
  const plain = await buildGradientGraph(nliBytes, { objective, wrt: { parameters: names }, parametersAsInputs: true });
  const s = await openSession(plain.bytes);
  const opt = new AdamW(b, { weightDecay: 0.01 });
  try {
    const start = fresh().map((p) => p.data);
    for (let k = 0; k < 3; k++) {
      const loss = await step.micro(feeds, 1);
      step.apply(1e-3);
      const r = await s.run(
        {
          ...feeds,
          ...Object.fromEntries(b.map((p) => [p.name, { type: 'float32' as const, data: p.data, dims: p.dims }])),
        },
        [plain.outputs.loss, ...b.map((p) => plain.outputs.gradients[p.name])],
      );
      assert.ok(
        Math.abs(loss - r[plain.outputs.loss].data[0]) < 1e-5,
        `step ${k}: loss ${loss} vs ${r[plain.outputs.loss].data[0]}`,
      );
      const grads = b.map((p) => r[plain.outputs.gradients[p.name]].data);
      opt.step(grads, 1e-3);
      if (k > 0) continue;
      // After step 1 every value whose gradient is above rounding level moved the same way on both paths (Adam's
      // first step is lr·sign(g), so a gradient at rounding level — attention key biases — has no defined sign).
      assertSameStep(a, b, grads, start);
    }
    assert.equal(step.stepCount, 3);
  } finally {
    await step.dispose();
    await s.dispose();
  }
});

test('TrainStep accumulates two different micro-batches, weighted by their examples, into one AdamW step (bert-nli)', async () => {
  const names = readParameters(nliBytes).map((p) => p.name);
  const fresh = () => readParameters(nliBytes).map((p) => ({ name: p.name, dims: p.dims, data: p.data }));
  const objective = { kind: 'cross-entropy' as const, outputs: ['logits'] };
  const label = nli.loss.labels[0] as number;
  const feedsA = { ...nliFeeds(), [OBJECTIVE_INPUTS.labels(0)]: i64([label], [1]) };
  const feedsB = { ...nliFeeds(), [OBJECTIVE_INPUTS.labels(0)]: i64([(label + 1) % 3], [1]) };
  const a = fresh();
  const step = new TrainStep(await openTrainingGraph(nliBytes, names, objective), a, { weightDecay: 0.01 });
  const b = fresh();
  const plain = await buildGradientGraph(nliBytes, { objective, wrt: { parameters: names }, parametersAsInputs: true });
  const s = await openSession(plain.bytes);
  try {
    await step.micro(feedsA, 1);
    await step.micro(feedsB, 3); // weighted by its examples: (gA·1 + gB·3) / 4
    step.apply(1e-3);
    const pf = Object.fromEntries(b.map((p) => [p.name, { type: 'float32' as const, data: p.data, dims: p.dims }]));
    const fetch = b.map((p) => plain.outputs.gradients[p.name]);
    const ra = await s.run({ ...feedsA, ...pf }, fetch);
    const rb = await s.run({ ...feedsB, ...pf }, fetch);
    const grads = fetch.map((f) => ra[f].data.map((x, j) => (x + 3 * rb[f].data[j]) / 4));
    const differ = fetch.some((f) => ra[f].data.some((x, j) => Math.abs(x - rb[f].data[j]) > 1e-4));
    assert.ok(differ, 'the two micro-batches must have different gradients');
    new AdamW(b, { weightDecay: 0.01 }).step(grads, 1e-3);
    assertSameStep(a, b, grads);
  } finally {
    await step.dispose();
    await s.dispose();
  }
});
