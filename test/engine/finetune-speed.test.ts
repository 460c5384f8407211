// The training graph's throughput rewrites keep the numbers: MatMul + bias Add as one Gemm (fuseLinear.ts: the
// forward outputs of the export, gradients that match PyTorch's).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { buildGradientGraph } from '../../src/engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { parseModel } from '../../src/engine/grad/onnxModel';
import { type InputTensor, openSession } from '../../src/engine/runtime';
import { fuseLayerNorms } from '../../src/engine/training/fuseLayerNorm';
import { fuseLinears } from '../../src/engine/training/fuseLinear';
import { assertClose, fixture, readJson } from '../helpers';

const i64 = (xs: number[], dims: number[]): InputTensor => ({
  type: 'int64',
  data: BigInt64Array.from(xs.map(BigInt)),
  dims,
});
const l2 = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));
const count = (bytes: Uint8Array, op: string) => parseModel(bytes).nodes.filter((n) => n.opType === op).length;

test('linear fusion: each MatMul + bias Add becomes one Gemm; the outputs stay those of the export', async () => {
  // Per layer: query, key, value, attention output, intermediate, output (the pooler and heads are Gemms already).
  for (const [name, linears] of [
    ['bert-nli', 2 * 6],
    ['distilbert-mlm', 2 * 6 + 2], // + the masked-LM head's transform and vocabulary projection
  ] as const) {
    const ref = readJson(`${fixture(name)}/gradients.json`);
    const bytes = new Uint8Array(fs.readFileSync(`${fixture(name)}/onnx/model.onnx`));
    const f = fuseLinears(fuseLayerNorms(bytes).bytes);
    assert.equal(f.fused, linears, `${name}: linears fused`);
    assert.equal(count(f.bytes, 'Gemm') - count(bytes, 'Gemm'), linears);
    assert.equal(count(bytes, 'MatMul') - count(f.bytes, 'MatMul'), linears);
    assert.equal(fuseLinears(f.bytes).fused, 0, 'nothing left to fuse');
    const s = ref.input_ids.length;
    const a = await openSession(bytes);
    const b = await openSession(f.bytes);
    const feeds: Record<string, InputTensor> = {
      input_ids: i64(ref.input_ids, [1, s]),
      attention_mask: i64(ref.attention_mask, [1, s]),
    };
    if (a.inputNames.includes('token_type_ids'))
      feeds.token_type_ids = i64(ref.token_type_ids ?? ref.input_ids.map(() => 0), [1, s]);
    for (const out of a.outputNames) {
      const ra = await a.run(feeds, [out]);
      const rb = await b.run(feeds, [out]);
      assert.deepEqual(rb[out].dims, ra[out].dims);
      assertClose(rb[out].data, ra[out].data, 1e-4, `${name} ${out}`);
    }
    await a.dispose();
    await b.dispose();
  }
});

test('linear fusion: gradients of the training graph (LayerNorms and linears fused) match PyTorch (bert-nli)', async () => {
  const nli = readJson(`${fixture('bert-nli')}/gradients.json`);
  const bytes = new Uint8Array(fs.readFileSync(`${fixture('bert-nli')}/onnx/model.onnx`));
  const g = await buildGradientGraph(fuseLinears(fuseLayerNorms(bytes).bytes).bytes, {
    objective: { kind: 'cross-entropy', outputs: ['logits'] },
    wrt: { parameters: 'all' },
  });
  const s = nli.input_ids.length;
  const session = await openSession(g.bytes);
  const out = await session.run(
    {
      input_ids: i64(nli.input_ids, [1, s]),
      attention_mask: i64(nli.attention_mask, [1, s]),
      token_type_ids: i64(nli.token_type_ids, [1, s]),
      [OBJECTIVE_INPUTS.labels(0)]: i64(nli.loss.labels, [1]),
    },
    [g.outputs.loss, ...Object.values(g.outputs.gradients)],
  );
  await session.dispose();
  assert.ok(Math.abs(out[g.outputs.loss].data[0] - nli.loss.value) < 1e-4);
  assert.deepEqual(Object.keys(g.outputs.gradients).sort(), Object.keys(nli.gradients).sort());
  for (const [p, r] of Object.entries<any>(nli.gradients)) {
    const got = out[g.outputs.gradients[p]].data;
    const tol = 1e-3 * r.l2 + 1e-7;
    assert.ok(Math.abs(l2(got) - r.l2) <= tol, `${p}: L2 ${l2(got)} vs ${r.l2}`);
    r.first.forEach((v: number, i: number) => assert.ok(Math.abs(got[i] - v) <= tol, `${p}[${i}]: ${got[i]} vs ${v}`));
    for (const [i, v] of r.sample) assert.ok(Math.abs(got[i] - v) <= tol, `${p}[${i}]: ${got[i]} vs ${v}`);
  }
});
