// The ONNX graph edits on their own: extra outputs, the masked-row gather, LayerNorm variants (the
// LayerNormalization op of optimised exports), and fused attention detected rather than shown wrong.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { EngineError } from '../../src/engine/errors';
import { LoadedModel } from '../../src/engine/model';
import {
  addGraphOutputs,
  findAttentionOutputs,
  findHiddenStateOutputs,
  hasFusedAttention,
  inspectGraph,
} from '../../src/engine/onnx/graph';
import { concatBytes, lenField, stringField, varintField } from '../../src/engine/onnx/protobuf';
import { assertClose, fixture, readJson } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-graph-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function copyModelFolder(from: string, onnxBytes: Uint8Array, config?: object): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'm-'));
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    fs.copyFileSync(path.join(from, f), path.join(dir, f));
  if (config) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  fs.mkdirSync(path.join(dir, 'onnx'));
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnxBytes);
  return dir;
}

test('appending outputs keeps the original ones and adds the requested tensors', () => {
  const bytes = new Uint8Array(fs.readFileSync(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx')));
  const info = inspectGraph(bytes);
  assert.deepEqual(info.outputs, ['logits']);
  assert.deepEqual(info.inputs, ['input_ids', 'attention_mask', 'token_type_ids']);
  const att = findAttentionOutputs(info, 3)!;
  const hid = findHiddenStateOutputs(info, 3)!;
  assert.equal(att.length, 3);
  assert.equal(hid.length, 4);
  const edited = inspectGraph(addGraphOutputs(bytes, [...att, ...hid]));
  assert.deepEqual(edited.outputs, ['logits', ...att, ...hid]);
  assert.equal(edited.nodes.length, info.nodes.length);
});

test('an ORT-optimised export (LayerNormalization ops, fused MatMuls) still gives exact attentions and hidden states', async () => {
  const out = path.join(tmp, 'bert-mlm-optimised.onnx');
  const s = await ort.InferenceSession.create(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx'), {
    graphOptimizationLevel: 'extended',
    optimizedModelFilePath: out,
    logSeverityLevel: 3,
  });
  await s.release();
  const bytes = new Uint8Array(fs.readFileSync(out));
  const info = inspectGraph(bytes);
  assert.ok(
    info.nodes.some((n) => n.opType === 'LayerNormalization'),
    'the optimiser fused LayerNorm',
  );
  const dir = copyModelFolder(fixture('bert-mlm'), bytes);
  const m = await LoadedModel.load('optimised', dir, 'fp32');
  const c = readJson(`${fixture('bert-mlm')}/reference.json`).cases[0];
  const e = await m.tokenizer.encode(c.text);
  const hs = await m.hiddenStates([e], [0, 1, 2, 3]);
  hs.forEach((h, l) => assertClose(h.data, c.hidden_states[l].data, 1e-4, `hidden ${l}`));
  const att = await m.attentions([e]);
  att.forEach((a, l) => assertClose(a.data, c.attentions[l].data, 1e-4, `attention ${l}`));
  const masks = [6];
  const lg = await m.maskedLogits(e, masks);
  const v = lg.dims[1];
  const ref = c.outputs.logits;
  assertClose(
    ref.topk_ids[6].map((id: number) => lg.data[id]),
    ref.topk_values[6],
    1e-4,
    'masked-row logits',
  );
  assert.equal(v, 30522);
  await m.dispose();
});

// A one-layer encoder whose attention is the fused com.microsoft Attention operator, as in Optimum -O2..O4
// exports: the probabilities never exist as a tensor.
function fusedAttentionModel(vocab: number, hidden: number, heads: number): Uint8Array {
  const f32 = (n: number, seed: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.sin(i * 12.9898 + seed) * 0.1;
    return new Uint8Array(a.buffer);
  };
  const tensor = (name: string, dims: number[], raw: Uint8Array) =>
    concatBytes([...dims.map((d) => varintField(1, d)), varintField(2, 1), stringField(8, name), lenField(9, raw)]);
  const dim = (p: string) => lenField(1, stringField(2, p));
  const valueInfo = (name: string, elem: number, dims: string[]) =>
    concatBytes([
      stringField(1, name),
      lenField(2, lenField(1, concatBytes([varintField(1, elem), lenField(2, concatBytes(dims.map(dim)))]))),
    ]);
  const node = (op: string, inputs: string[], outputs: string[], domain = '', attrs: Uint8Array[] = []) =>
    concatBytes([
      ...inputs.map((i) => stringField(1, i)),
      ...outputs.map((o) => stringField(2, o)),
      stringField(3, `${op}_${outputs[0]}`),
      stringField(4, op),
      ...attrs.map((a) => lenField(5, a)),
      ...(domain ? [stringField(7, domain)] : []),
    ]);
  const intAttr = (name: string, v: number) =>
    concatBytes([stringField(1, name), varintField(3, v), varintField(20, 2)]);
  const graph = concatBytes([
    lenField(1, node('Gather', ['embeddings', 'input_ids'], ['x'])),
    lenField(1, node('Cast', ['attention_mask'], ['mask_index'], '', [intAttr('to', 6)])),
    lenField(
      1,
      node('Attention', ['x', 'qkv_weight', 'qkv_bias', 'mask_index'], ['last_hidden_state'], 'com.microsoft', [
        intAttr('num_heads', heads),
      ]),
    ),
    stringField(2, 'fused'),
    lenField(5, tensor('embeddings', [vocab, hidden], f32(vocab * hidden, 1))),
    lenField(5, tensor('qkv_weight', [hidden, 3 * hidden], f32(3 * hidden * hidden, 2))),
    lenField(5, tensor('qkv_bias', [3 * hidden], f32(3 * hidden, 3))),
    lenField(11, valueInfo('input_ids', 7, ['batch', 'seq'])),
    lenField(11, valueInfo('attention_mask', 7, ['batch', 'seq'])),
    lenField(12, valueInfo('last_hidden_state', 1, ['batch', 'seq', 'hidden'])),
  ]);
  const opset = (domain: string, version: number) =>
    lenField(8, concatBytes([...(domain ? [stringField(1, domain)] : []), varintField(2, version)]));
  return concatBytes([varintField(1, 8), opset('', 14), opset('com.microsoft', 1), lenField(7, graph)]);
}

test('an export with fused attention loads and predicts, and says attention is not available', async () => {
  const bytes = fusedAttentionModel(30522, 8, 2);
  assert.ok(hasFusedAttention(inspectGraph(bytes)));
  const config = {
    model_type: 'bert',
    architectures: ['BertModel'],
    num_hidden_layers: 1,
    num_attention_heads: 2,
    hidden_size: 8,
    max_position_embeddings: 128,
    vocab_size: 30522,
  };
  const dir = copyModelFolder(fixture('bert-feature'), bytes, config);
  const m = await LoadedModel.load('fused', dir, 'fp32');
  assert.equal(m.summary().attentionAvailable, false);
  const e = await m.tokenizer.encode('open a bank account');
  const out = await m.run([e]);
  assert.deepEqual(out.last_hidden_state.dims, [1, e.ids.length, 8]);
  await assert.rejects(
    m.attentions([e]),
    (err: EngineError) =>
      err.code === 'attention-unavailable' && /Attention is not available in this export/.test(err.message),
  );
  await m.dispose();
});
