// The walkthrough's two views at the engine level: BERT's masking (statistics over many seeds, special tokens
// never chosen), the masking preview against the full masked-LM head, and the input-embedding decomposition
// (word + position + segment = the sum the graph feeds its first LayerNorm; the block's output against
// PyTorch's hidden_states[0]).
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { maskTokens } from '../../src/engine/masking';
import { softmax, topK } from '../../src/engine/math';
import { inputEmbeddingVectors, inputEmbeddings } from '../../src/engine/tasks/inputEmbeddings';
import { maskPreview } from '../../src/engine/tasks/maskPreview';
import { EMBEDDED, assertClose, fixture, readJson } from '../helpers';

test('masking: 15 % of the non-special tokens, split 80/10/10, over many seeds; special tokens never chosen', () => {
  const exclude = new Set([0, 1, 2, 3]);
  let eligible = 0;
  let chosen = 0;
  const kinds = { mask: 0, random: 0, kept: 0 };
  for (let seed = 0; seed < 3000; seed++) {
    const n = 20 + (seed % 97); // lengths 20..116, specials at both ends and in the middle
    const ids = Array.from({ length: n }, (_, i) => 10 + ((i * 7919 + seed) % 900));
    const special = ids.map((_, i) => (i === 0 || i === n - 1 || i === Math.floor(n / 2) ? 1 : 0));
    const r = maskTokens(ids, special, { seed, maskId: 3, vocabSize: 1000, excludeIds: exclude });
    eligible += n - 3;
    chosen += r.chosen.length;
    for (const c of r.chosen) {
      assert.equal(special[c.position], 0, `seed ${seed}: special token at ${c.position} chosen`);
      assert.equal(c.original, ids[c.position]);
      assert.equal(r.ids[c.position], c.replacement);
      kinds[c.kind]++;
      if (c.kind === 'mask') assert.equal(c.replacement, 3);
      if (c.kind === 'kept') assert.equal(c.replacement, c.original);
      if (c.kind === 'random') assert.ok(!exclude.has(c.replacement) && c.replacement < 1000);
    }
    const untouched = r.ids.every((id, i) => r.chosen.some((c) => c.position === i) || id === ids[i]);
    assert.ok(untouched, 'only the chosen positions change');
  }
  const rate = chosen / eligible;
  assert.ok(Math.abs(rate - 0.15) <= 0.015, `chosen ${(rate * 100).toFixed(2)} %`);
  for (const [k, want] of [
    ['mask', 0.8],
    ['random', 0.1],
    ['kept', 0.1],
  ] as const) {
    const f = kinds[k] / chosen;
    assert.ok(Math.abs(f - want) <= 0.02, `${k}: ${(f * 100).toFixed(2)} % (want ${want * 100} ± 2)`);
  }
});

test('masking: the same seed gives the same draw, another seed another one; input left unchanged', () => {
  const ids = Array.from({ length: 60 }, (_, i) => 100 + i);
  const special = ids.map((_, i) => (i === 0 || i === 59 ? 1 : 0));
  const copy = ids.slice();
  const a = maskTokens(ids, special, { seed: 7, maskId: 4, vocabSize: 500 });
  const b = maskTokens(ids, special, { seed: 7, maskId: 4, vocabSize: 500 });
  const c = maskTokens(ids, special, { seed: 8, maskId: 4, vocabSize: 500 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(
    a.chosen.map((x) => x.position),
    c.chosen.map((x) => x.position),
  );
  assert.deepEqual(ids, copy);
  assert.equal(a.chosen.length, 9); // round(58 × 0.15)
  // a short text still gets one chosen token; nothing eligible gives none
  assert.equal(maskTokens([1, 50, 2], [1, 0, 1], { seed: 1, maskId: 4, vocabSize: 500 }).chosen.length, 1);
  assert.equal(maskTokens([1, 2], [1, 1], { seed: 1, maskId: 4, vocabSize: 500 }).chosen.length, 0);
});

test('mask preview: predictions at every chosen position equal the full masked-LM head on the corrupted text', async () => {
  const engine = new Engine();
  for (const model of [EMBEDDED, fixture('bert-mlm'), fixture('roberta-mlm')]) {
    const m = await engine.model({ model });
    const text =
      'The quick brown fox jumps over the lazy dog while the farmer watches from the old wooden fence near the river bank.';
    const r = await maskPreview(m, { text, seed: 3 });
    assert.equal(r.chosen.length, r.predictions.length);
    const nonSpecial = (await m.tokenizer.encode(text)).specialTokensMask.filter((x) => !x).length;
    assert.equal(r.chosen.length, Math.round(nonSpecial * 0.15));
    const again = await maskPreview(m, { text, seed: 3 });
    assert.deepEqual(again, r, 'seeded');
    // independent path: the plain graph on the corrupted ids, softmax over the whole vocabulary row
    const enc = await m.tokenizer.encode(text);
    const ids = enc.ids.slice();
    for (const c of r.chosen) {
      const id = m.tokenizer.tokenToId(c.replacement);
      assert.ok(id !== undefined, c.replacement);
      ids[c.position] = id!;
      assert.equal(r.tokens[c.position], c.original);
      if (c.kind === 'mask') assert.equal(c.replacement, r.maskToken);
      if (c.kind === 'kept') assert.equal(c.replacement, c.original);
    }
    const out = await m.run([{ ...enc, ids }]);
    const logits = out[m.mlmOutput()];
    const v = logits.dims[2];
    r.predictions.forEach((p, k) => {
      assert.equal(p.position, r.chosen[k].position);
      const pr = softmax(logits.data.subarray(p.position * v, (p.position + 1) * v));
      const best = topK(pr, 5);
      assert.deepEqual(
        p.predictions.map((x) => x.id),
        best,
      );
      assertClose(
        p.predictions.map((x) => x.score),
        best.map((id) => pr[id]),
        1e-5,
        `${model} @${p.position}`,
      );
      assert.ok(Math.abs(p.original.score - pr[p.original.id]) < 1e-5);
      assert.equal(p.original.rank, 1 + Array.from(pr).filter((x) => x > pr[p.original.id]).length);
    });
  }
  await engine.unloadAll();
});

function layerNorm(x: number[], eps: number): number[] {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const v = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
  return x.map((a) => (a - mean) / Math.sqrt(v + eps));
}
const l2 = (a: number[]) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));

test('input embeddings: word + position + segment = the LayerNorm input within 1e-5; output = PyTorch hidden_states[0]', async () => {
  const engine = new Engine();
  const cases: [string, 'token_type_ids' | 'single-row' | 'none'][] = [
    ['bert-mlm', 'token_type_ids'],
    ['distilbert-mlm', 'none'],
    ['roberta-mlm', 'single-row'],
    ['albert-mlm', 'token_type_ids'],
    ['electra-generator', 'token_type_ids'],
  ];
  for (const [name, source] of cases) {
    const m = await engine.model({ model: fixture(name) });
    const ref = readJson(fixture(`${name}/reference.json`));
    const eps = Number(m.folder.config.layer_norm_eps ?? 1e-12);
    for (const c of ref.cases) {
      const req = { text: c.text, pair: c.text_pair ?? undefined };
      const v = await inputEmbeddingVectors(m, req);
      const r = await inputEmbeddings(m, req);
      assert.equal(r.segment_source, source, name);
      assert.deepEqual(r.tokens, c.tokens);
      v.sum.forEach((s, i) => {
        const added = v.word[i].map((x, d) => x + v.position[i][d] + v.segment[i][d]);
        assertClose(added, s, 1e-5, `${name} token ${i} sum`);
        // the LayerNorm of the sum (these fixtures keep gamma = 1, beta = 0) is the block's output
        assertClose(v.output[i], layerNorm(s, eps), 1e-4, `${name} token ${i} layernorm`);
        const row = r.rows[i];
        assert.ok(Math.abs(row.sum_norm - l2(s)) < 1e-5);
        assert.ok(Math.abs(row.token_norm - l2(v.word[i])) < 1e-5);
        assert.ok(Math.abs(row.output_norm - l2(v.output[i])) < 1e-5);
        assert.equal(row.segment, c.type_ids?.[i] ?? 0);
      });
      if (source === 'none') assert.ok(r.rows.every((x) => x.segment_norm === 0 && x.cos_segment === 0));
      if (name === 'albert-mlm') {
        assert.equal(r.embedding_size, 8);
        assert.match(r.note ?? '', /before the projection/);
      } else {
        // hidden_states[0] from PyTorch is the embedding block's output for the unfactorised families
        assertClose(v.output.flat(), c.hidden_states[0].data, 2e-4, `${name} hidden_states[0]`);
      }
      assert.equal(r.position_similarity.length, r.tokens.length);
      r.position_similarity.forEach((rowSim, i) => assert.ok(Math.abs(rowSim[i] - 1) < 1e-5));
    }
  }
  await engine.unloadAll();
});

test('input embeddings: the segment flips at the first [SEP] of a pair; the int8 embedded model decomposes too', async () => {
  const engine = new Engine();
  const m = await engine.model({ model: EMBEDDED, variant: 'quantized' });
  const r = await inputEmbeddings(m, { text: 'the cat sat.', pair: 'it was happy.' });
  const sep = r.tokens.indexOf('[SEP]');
  assert.ok(sep > 0);
  assert.deepEqual(
    r.rows.map((x) => x.segment),
    r.tokens.map((_, i) => (i <= sep ? 0 : 1)),
  );
  const v = await inputEmbeddingVectors(m, { text: 'the cat sat.', pair: 'it was happy.' });
  v.sum.forEach((s, i) =>
    assertClose(
      v.word[i].map((x, d) => x + v.position[i][d] + v.segment[i][d]),
      s,
      1e-5,
      `int8 token ${i}`,
    ),
  );
  // one segment row per segment: equal within a segment, different across
  assert.deepEqual(v.segment[1], v.segment[2]);
  assert.notDeepEqual(v.segment[1], v.segment[sep + 1]);
  await engine.unloadAll();
});
