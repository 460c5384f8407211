// The embedded model against its reference.json (ONNX Runtime, fp32): top-10 order at every mask, attentions
// and the last hidden state; and the behaviour a user sees first.
import * as assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { LoadedModel } from '../../src/engine/model';
import { EMBEDDED, WORKER, assertClose, readJson } from '../helpers';

const ref = readJson(`${EMBEDDED}/reference.json`);
const client = new EngineClient({ workerPath: WORKER });
after(() => client.dispose());

test('embedded model: ids and offsets; top-10 order at every [MASK] (fp32)', async () => {
  for (const c of ref.cases) {
    const tk = await client.tokenize({ variant: 'fp32' }, { text: c.text });
    assert.deepEqual(tk.ids, c.input_ids);
    assert.deepEqual(tk.offsets, c.offsets);
    const r = await client.fillMask({ variant: 'fp32' }, { text: c.text, topK: 10 });
    for (const mk of r.masks) {
      assert.deepEqual(
        mk.predictions.map((p) => p.id),
        c.topk_ids[mk.position],
        c.text,
      );
      assert.deepEqual(
        mk.predictions.map((p) => p.token),
        c.topk_tokens[mk.position],
      );
      assertClose(
        mk.predictions.map((p) => Math.log(p.score)),
        c.topk_logprobs[mk.position],
        1e-4,
        'log-probabilities',
      );
    }
  }
});

test('embedded model: every attention map and the last hidden state within 1e-4', async () => {
  const m = await LoadedModel.load('embedded', EMBEDDED, 'fp32');
  for (const c of ref.cases) {
    const e = await m.tokenizer.encode(c.text);
    const att = await m.attentions([e]);
    att.forEach((a, l) => assertClose(a.data, c.attentions[l].data, 1e-4, `layer ${l}`));
    const [h] = await m.hiddenStates([e], [4]);
    assertClose(h.data, c.last_hidden_state.data, 1e-4, 'last hidden state');
  }
  await m.dispose();
});

test('embedded model: the int8 variant agrees on the top candidate at 5 of the 6 masks (model card)', async () => {
  let agree = 0;
  for (const c of ref.cases) {
    const r = await client.fillMask({ variant: 'quantized' }, { text: c.text, topK: 1 });
    if (r.masks[0].predictions[0].id === c.topk_ids[r.masks[0].position][0]) agree++;
  }
  assert.equal(agree, 5);
});

test('default variant of the embedded model is fp32 (small) and fill-mask finds "language"', async () => {
  const s = await client.loadModel({});
  assert.equal(s.variant, 'fp32');
  assert.equal(s.provider, 'cpu');
  assert.equal(s.numLayers, 4);
  assert.equal(s.numHeads, 4);
  assert.equal(s.attentionAvailable, true);
  const r = await client.fillMask({}, { text: 'python is a programming [MASK].' });
  assert.equal(r.masks[0].predictions[0].token, 'language');
});

test('mask a span: a word of several pieces becomes one mask per piece, whole-word candidates', async () => {
  const text = 'the dog barked at the mailman.';
  const s = text.indexOf('mailman');
  const r = await client.fillMask({}, { text, spans: [[s, s + 'mailman'.length]], topK: 5 });
  const pieces = (await client.tokenize({}, { text: 'mailman' })).tokens.slice(1, -1);
  assert.ok(pieces.length >= 2, `mailman is several pieces: ${pieces}`);
  assert.equal(r.masks.length, pieces.length);
  assert.equal(r.spans!.length, 1);
  assert.deepEqual(r.spans![0].pieces, pieces);
  assert.equal(r.spans![0].original, 'mailman');
  assert.ok(r.spans![0].candidates.length > 0);
  for (const c of r.spans![0].candidates) {
    assert.ok(!c.word.startsWith('##'));
    assert.equal(c.ids.length, pieces.length);
  }
  const one = await client.fillMask({}, { text: 'python is a programming language.', spans: [[24, 32]] });
  assert.equal(one.spans![0].candidates[0].word, 'language');
});

test('a long text is windowed, not truncated: a mask after token 512 is still predicted', async () => {
  const filler = 'python is a programming language. '.repeat(120);
  const text = `${filler}python is a programming [MASK].`;
  const tk = await client.tokenize({}, { text });
  assert.ok(tk.ids.length > 600);
  const r = await client.fillMask({}, { text, topK: 3 });
  assert.equal(r.masks.length, 1);
  assert.ok(r.masks[0].position > 512);
  assert.equal(r.tokens[r.masks[0].position], '[MASK]');
  assert.equal(r.masks[0].predictions[0].token, 'language');
  const emb = await client.embed({}, { text, layer: -1 });
  assert.equal(emb.vectors!.length, tk.ids.length);
});

test('targets are scored at every mask', async () => {
  const r = await client.fillMask({}, { text: 'python is a programming [MASK].', targets: ['language', 'dog'] });
  const [lang, dog] = r.masks[0].targets!;
  assert.equal(lang.score, r.masks[0].predictions[0].score);
  assert.ok(dog.score < lang.score);
});

test('bank vs bank: each occurrence is compared by the cosine of its contextual vectors', async () => {
  const text = 'we sat on the river bank. she opened an account at the bank. the river bank was muddy.';
  const first = text.indexOf('bank');
  const r = await client.similarity({}, { text, span: [first, first + 4] });
  assert.equal(r.word, 'bank');
  assert.equal(r.pieces.join(' '), 'bank');
  assert.equal(r.vector.length, 256);
  assert.deepEqual(
    r.occurrences.map((o) => o.start).sort((a, b) => a - b),
    [text.indexOf('bank', first + 1), text.lastIndexOf('bank')],
  );
  // Recompute from the per-token vectors of the last layer.
  const emb = await client.embed({}, { text, layer: -1 });
  const vec = (start: number) => emb.vectors![emb.offsets.findIndex((o) => o[0] === start)];
  const cos = (a: number[], b: number[]) =>
    a.reduce((s, x, i) => s + x * b[i], 0) / Math.hypot(...a) / Math.hypot(...b);
  for (const o of r.occurrences) assert.ok(Math.abs(o.similarity - cos(vec(first), vec(o.start))) < 1e-6);
  assert.ok(r.occurrences[0].similarity >= r.occurrences[1].similarity);
  assert.ok(Math.abs(r.norm - Math.hypot(...vec(first))) < 1e-4);
});

test('embedBatch: batched, padded runs give the same pooled vectors as one text at a time', async () => {
  const texts = [
    'open a bank account',
    'we sat on the river bank and watched the boats go by',
    'a',
    'python is a programming language. '.repeat(40),
  ];
  for (const spec of [{}, { model: `${EMBEDDED}/../../test/fixtures/bert-feature` }]) {
    const batch = await client.embedBatch(spec, { texts, layer: -1, pooling: 'mean', batchSize: 2 });
    assert.equal(batch.pooled.length, texts.length);
    for (const [i, t] of texts.entries()) {
      const one = await client.embed(spec, { text: t, layer: -1, pooling: 'mean' });
      assertClose(batch.pooled[i], one.pooled!, 1e-5, `text ${i}`);
    }
    const cls = await client.embedBatch(spec, { texts: texts.slice(0, 2), layer: 0, pooling: 'cls' });
    const one = await client.embed(spec, { text: texts[1], layer: 0, pooling: 'cls' });
    assertClose(cls.pooled[1], one.pooled!, 1e-5, 'cls layer 0');
  }
});

test('int8 export: attention and hidden states come out of the quantized graph too, close to fp32', async () => {
  const q = await LoadedModel.load('q', EMBEDDED, 'quantized');
  const f = await LoadedModel.load('f', EMBEDDED, 'fp32');
  const c = ref.cases[3];
  const e = await q.tokenizer.encode(c.text);
  const [qa, fa] = [await q.attentions([e]), await f.attentions([e])];
  assert.equal(qa.length, 4);
  qa.forEach((a, l) => {
    const [, heads, n] = a.dims;
    for (let r = 0; r < heads * n; r++) {
      const sum = a.data.subarray(r * n, (r + 1) * n).reduce((s, x) => s + x, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4, 'rows are distributions');
    }
    assertClose(a.data, fa[l].data, 0.1, `int8 vs fp32 attention, layer ${l}`);
  });
  const [qh] = await q.hiddenStates([e], [4]);
  const [fh] = await f.hiddenStates([e], [4]);
  let dot = 0,
    nq = 0,
    nf = 0;
  for (let i = 0; i < fh.data.length; i++) {
    dot += qh.data[i] * fh.data[i];
    nq += qh.data[i] ** 2;
    nf += fh.data[i] ** 2;
  }
  assert.ok(dot / Math.sqrt(nq * nf) > 0.99, 'last hidden state of int8 ≈ fp32 (cosine > 0.99)');
  await q.dispose();
  await f.dispose();
});
