// The fine-tuning network: a fresh head on the encoder's last hidden state, per family and task, checked against
// the head computed by hand on PyTorch's hidden states (reference.json); parameters read and written back.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { findHiddenStateOutputs, inspectGraph } from '../../src/engine/onnx/graph';
import {
  buildFineTuneModel,
  headActivation,
  readParameters,
  writeParameters,
} from '../../src/engine/training/fineTuneGraph';
import { fixture, readJson } from '../helpers';

const modelBytes = (name: string) => new Uint8Array(fs.readFileSync(path.join(fixture(name), 'onnx', 'model.onnx')));

function feeds(session: ort.InferenceSession, c: { input_ids: number[]; type_ids?: number[] }) {
  const n = c.input_ids.length;
  const f: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    const data =
      name === 'input_ids'
        ? c.input_ids
        : name === 'attention_mask'
          ? c.input_ids.map(() => 1)
          : (c.type_ids ?? c.input_ids.map(() => 0));
    f[name] = new ort.Tensor('int64', BigInt64Array.from(data.map(BigInt)), [1, n]);
  }
  return f;
}

const act = {
  tanh: Math.tanh,
  relu: (x: number) => Math.max(0, x),
  gelu: (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
};
function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse; use a series / continued fraction good to ~1e-12.
  const t = Math.abs(x);
  if (t < 3) {
    let sum = t;
    let term = t;
    for (let k = 1; k < 60; k++) {
      term *= (-t * t) / k;
      sum += term / (2 * k + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x);
}

function linear(x: ArrayLike<number>, w: Float32Array, b: Float32Array, inDim: number, outDim: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < outDim; o++) {
    let s = b[o];
    for (let i = 0; i < inDim; i++) s += x[i] * w[i * outDim + o];
    out.push(s);
  }
  return out;
}

for (const [fx, family] of [
  ['bert-mlm', 'bert'],
  ['distilbert-mlm', 'distilbert'],
  ['roberta-mlm', 'roberta'],
  ['electra-generator', 'electra'],
  ['albert-mlm', 'albert'],
] as const) {
  test(`${fx}: sequence head (${headActivation(family)} on the first token) equals the hand computation on PyTorch's last hidden state`, async () => {
    const cfg = readJson(path.join(fixture(fx), 'config.json'));
    const ref = readJson(path.join(fixture(fx), 'reference.json'));
    const bytes = modelBytes(fx);
    const layers = cfg.num_hidden_layers ?? cfg.n_layers;
    const hidden = findHiddenStateOutputs(inspectGraph(bytes), layers)!;
    const H = cfg.hidden_size ?? cfg.dim;
    const m = buildFineTuneModel(bytes, {
      family,
      task: 'sequence',
      hiddenTensor: hidden[layers],
      hiddenSize: H,
      numLabels: 3,
      seed: 5,
      initializerRange: 0.5,
    });
    assert.deepEqual(m.outputs, ['logits']);
    assert.deepEqual(
      m.head.map((p) => p.dims),
      [[H, H], [H], [H, 3], [3]],
    );
    // A fresh head: seeded normal weights (std as asked), zero biases.
    const w = m.head[0].data;
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    assert.ok(std > 0.4 && std < 0.6, `std ${std}`);
    assert.ok(m.head[1].data.every((x) => x === 0));
    m.head[1].data.fill(0.1); // non-zero biases for the check below
    const m2 = buildFineTuneModel(
      bytes,
      {
        family,
        task: 'sequence',
        hiddenTensor: hidden[layers],
        hiddenSize: H,
        numLabels: 3,
        seed: 5,
        initializerRange: 0.5,
      },
      m.head,
    );
    const s = await ort.InferenceSession.create(m2.bytes);
    assert.deepEqual(s.outputNames, ['logits']);
    const c = ref.cases[0];
    const out = (await s.run(feeds(s, c))).logits;
    assert.deepEqual(out.dims, [1, 3]);
    const last = c.hidden_states[c.hidden_states.length - 1].data as number[];
    const first = last.slice(0, H);
    const pooled = linear(first, m.head[0].data, m.head[1].data, H, H).map(act[headActivation(family)]);
    const logits = linear(pooled, m.head[2].data, m.head[3].data, H, 3);
    logits.forEach((v, k) =>
      assert.ok(Math.abs(v - (out.data as Float32Array)[k]) < 1e-4, `${fx} logit ${k}: ${v} vs ${out.data[k]}`),
    );
    // The old head is gone: no vocabulary-sized weight is left.
    const vocab = cfg.vocab_size;
    assert.ok(
      !readParameters(m2.bytes).some((p) => p.dims.includes(vocab) && p.dims.length === 2 && p.dims[0] !== vocab),
      'masked-LM projection dropped',
    );
  });
}

test('mean-pooling sequence head: the mean of the last hidden state over attention_mask, then pooler and classifier', async () => {
  const ref = readJson(path.join(fixture('bert-mlm'), 'reference.json'));
  const bytes = modelBytes('bert-mlm');
  const hidden = findHiddenStateOutputs(inspectGraph(bytes), 3)!;
  const m = buildFineTuneModel(bytes, {
    family: 'bert',
    task: 'sequence',
    hiddenTensor: hidden[3],
    hiddenSize: 16,
    numLabels: 2,
    seed: 3,
    initializerRange: 0.5,
    pooling: 'mean',
  });
  const s = await ort.InferenceSession.create(m.bytes);
  const c = ref.cases[0];
  const S = c.input_ids.length;
  const out = (await s.run(feeds(s, c))).logits.data as Float32Array;
  const last = c.hidden_states[3].data as number[];
  const mean = Array.from({ length: 16 }, (_, d) => last.filter((_, i) => i % 16 === d).reduce((a, b) => a + b, 0) / S);
  const pooled = linear(mean, m.head[0].data, m.head[1].data, 16, 16).map(Math.tanh);
  linear(pooled, m.head[2].data, m.head[3].data, 16, 2).forEach((v, k) =>
    assert.ok(Math.abs(v - out[k]) < 1e-4, `${v} vs ${out[k]}`),
  );
});

test('token and QA heads: per-token logits and start/end logits from one linear layer', async () => {
  const ref = readJson(path.join(fixture('bert-mlm'), 'reference.json'));
  const bytes = modelBytes('bert-mlm');
  const hidden = findHiddenStateOutputs(inspectGraph(bytes), 3)!;
  const c = ref.cases[0];
  const last = c.hidden_states[3].data as number[];
  const S = c.input_ids.length;
  const tok = buildFineTuneModel(bytes, {
    family: 'bert',
    task: 'token',
    hiddenTensor: hidden[3],
    hiddenSize: 16,
    numLabels: 5,
    seed: 1,
    initializerRange: 1,
  });
  tok.head[1].data.set([0.1, -0.2, 0.3, 0, 1]);
  const st = await ort.InferenceSession.create(writeParameters(tok.bytes, tok.head));
  const lt = (await st.run(feeds(st, c))).logits;
  assert.deepEqual(lt.dims, [1, S, 5]);
  for (let i = 0; i < S; i++) {
    const exp = linear(last.slice(i * 16, (i + 1) * 16), tok.head[0].data, tok.head[1].data, 16, 5);
    exp.forEach((v, k) => assert.ok(Math.abs(v - (lt.data as Float32Array)[i * 5 + k]) < 1e-4));
  }
  const qa = buildFineTuneModel(bytes, {
    family: 'bert',
    task: 'qa',
    hiddenTensor: hidden[3],
    hiddenSize: 16,
    numLabels: 2,
    seed: 1,
    initializerRange: 1,
  });
  const sq = await ort.InferenceSession.create(qa.bytes);
  assert.deepEqual([...sq.outputNames].sort(), ['end_logits', 'start_logits']);
  const r = await sq.run(feeds(sq, c));
  assert.deepEqual(r.start_logits.dims, [1, S]);
  for (let i = 0; i < S; i++) {
    const exp = linear(last.slice(i * 16, (i + 1) * 16), qa.head[0].data, qa.head[1].data, 16, 2);
    assert.ok(Math.abs(exp[0] - (r.start_logits.data as Float32Array)[i]) < 1e-4);
    assert.ok(Math.abs(exp[1] - (r.end_logits.data as Float32Array)[i]) < 1e-4);
  }
});

test('parameters: float initializers and Identity aliases (each its own), written back and read again', async () => {
  const bytes = modelBytes('bert-mlm');
  const ps = readParameters(bytes);
  const alias = ps.find((p) => p.name === 'm.bert.encoder.layer.2.output.LayerNorm.bias');
  assert.equal(alias?.aliasOf, 'm.bert.embeddings.LayerNorm.bias');
  const word = ps.find((p) => p.name === 'm.bert.embeddings.word_embeddings.weight')!;
  assert.deepEqual(word.dims, [30522, 16]);
  // Change the alias only: the written model has it as its own initializer, the source untouched.
  const changed = { ...alias!, data: alias!.data.map((x) => x + 1) };
  const out = writeParameters(bytes, [changed]);
  const again = readParameters(out);
  const a2 = again.find((p) => p.name === changed.name)!;
  assert.equal(a2.aliasOf, undefined);
  assert.deepEqual([...a2.data], [...changed.data]);
  assert.deepEqual(
    [...again.find((p) => p.name === 'm.bert.embeddings.LayerNorm.bias')!.data],
    [...ps.find((p) => p.name === 'm.bert.embeddings.LayerNorm.bias')!.data],
  );
  // The model still runs, and its logits move (the last LayerNorm's bias changed).
  const ref = readJson(path.join(fixture('bert-mlm'), 'reference.json'));
  const s0 = await ort.InferenceSession.create(bytes);
  const s1 = await ort.InferenceSession.create(out);
  const c = ref.cases[0];
  const l0 = (await s0.run(feeds(s0, c))).logits.data as Float32Array;
  const l1 = (await s1.run(feeds(s1, c))).logits.data as Float32Array;
  let diff = 0;
  for (let i = 0; i < l0.length; i++) diff = Math.max(diff, Math.abs(l0[i] - l1[i]));
  assert.ok(diff > 1e-3, `max change ${diff}`);
});
