// Causal (GPT-2) models beside BERT: next-token and greedy generation against the PyTorch reference of the
// gpt2-clm fixture and the argmax chain of its logits; seeded sampling; the key/value cache against recomputing
// (gpt2-clm-cached: the same weights exported with past inputs by scripts/make-gpt2-cached.py); causal
// surprisal; pseudo-log-likelihood against the slow one-mask-at-a-time computation; directions against
// fill-mask on the cut texts; and the bad-input lines.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { Decoder, causalLogits, eosId, hasKvCache } from '../../src/engine/causal';
import { EngineClient } from '../../src/engine/client';
import { LoadedModel } from '../../src/engine/model';
import { pickToken } from '../../src/engine/tasks/causalLm';
import type { Encoded } from '../../src/engine/tokenizer';
import { createRng } from '../../src/engine/training/random';
import { ROOT, WORKER, assertClose, fixture, readJson } from '../helpers';

const TOL = 1e-4;
const GPT = fixture('gpt2-clm');
const CACHED = fixture('gpt2-clm-cached');
const BERT = fixture('bert-mlm');
const client = new EngineClient({ workerPath: WORKER });
after(() => client.dispose());
const ref = readJson(`${GPT}/reference.json`).cases[0];
const spec = (model: string) => ({ model, variant: 'fp32' as const });

const logSoftmax = (row: ArrayLike<number>) => {
  const xs = Array.from(row);
  const m = Math.max(...xs);
  const lse = m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
  return xs.map((x) => x - lse);
};
const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
};

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'bert-lens.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('gpt2-clm: causal LM', () => {
  let gpt: LoadedModel;
  const load = async () => (gpt ??= await LoadedModel.load('gpt2', GPT, 'fp32'));

  test('loads as a causal LM: head, tasks, context from n_positions, EOS from the tokenizer config', async () => {
    const s = await client.loadModel(spec(GPT));
    assert.equal(s.head, 'causal-lm');
    assert.equal(s.family, 'gpt2');
    assert.deepEqual(s.tasks.slice(0, 3), ['next-token', 'generate', 'surprisal']);
    assert.equal(s.maxLength, 128);
    assert.deepEqual([s.numLayers, s.numHeads, s.hiddenSize], [2, 4, 16]);
    assert.equal(s.maskToken, undefined);
  });

  test('attention is causal: exactly zero above the diagonal, every row a distribution', async () => {
    const r = await client.attention(spec(GPT), { text: ref.text });
    assert.deepEqual(r.tokens, ref.tokens);
    for (const layer of r.attentions) {
      for (const head of layer) {
        head.forEach((row, i) => {
          row.forEach((x, j) => {
            if (j > i) assert.equal(x, 0, `above the diagonal at ${i},${j}`);
          });
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
        });
      }
    }
    // the rollout of causal maps stays causal
    r.rollout.forEach((row, i) => row.forEach((x, j) => j > i && assert.equal(x, 0)));
  });

  test('next-token: the top-5 and probabilities of the reference logits at the last position', async () => {
    const r = await client.nextToken(spec(GPT), { text: ref.text, topK: 5 });
    const last = ref.tokens.length - 1;
    const out = ref.outputs.logits;
    assert.deepEqual(
      r.predictions.map((p) => p.id),
      out.topk_ids[last].slice(0, 5),
    );
    assertClose(
      r.predictions.map((p) => p.score),
      out.topk_values[last].slice(0, 5).map((v: number) => Math.exp(v - out.logsumexp[last])),
      TOL,
      'scores',
    );
    const m = await load();
    assert.deepEqual(
      r.predictions.map((p) => p.token),
      r.predictions.map((p) => m.tokenizer.idToToken(p.id)),
    );
  });

  test('greedy generation: the first token after every prefix is the reference arg-max there', async () => {
    for (let k = 1; k < ref.tokens.length; k++) {
      const prompt = ref.text.slice(0, ref.offsets[k - 1][1]);
      const m = await load();
      assert.deepEqual(
        (await m.tokenizer.encode(prompt, undefined, false)).ids,
        ref.input_ids.slice(0, k),
        `prefix ${k} tokenizes as the reference`,
      );
      const r = await client.generate(spec(GPT), { text: prompt, maxNewTokens: 1 });
      assert.equal(r.tokens[0].id, ref.outputs.logits.topk_ids[k - 1][0], `after ${k} tokens`);
      assert.ok(
        Math.abs(
          r.tokens[0].score - Math.exp(ref.outputs.logits.topk_values[k - 1][0] - ref.outputs.logits.logsumexp[k - 1]),
        ) < TOL,
      );
    }
  });

  test('greedy generation equals the arg-max chain of full forward passes, step by step', async () => {
    const m = await load();
    const r = await client.generate(spec(GPT), { text: ref.text, maxNewTokens: 15, temperature: 0 });
    assert.equal(r.tokens.length, 15);
    assert.equal(r.stop, 'max-new-tokens');
    const ids = [...ref.input_ids];
    for (const [step, t] of r.tokens.entries()) {
      const { data, vocab } = await causalLogits(m, ids);
      const last = data.subarray((ids.length - 1) * vocab, ids.length * vocab);
      const best = argmax(last);
      assert.equal(t.id, best, `step ${step}`);
      assert.ok(Math.abs(Math.log(t.score) - logSoftmax(last)[best]) < TOL);
      ids.push(best);
    }
    assert.equal(r.text, (await m.tokenizer.decode(ids)).slice((await m.tokenizer.decode(ref.input_ids)).length));
  });

  test('seeded sampling is deterministic; top-k 1 and a tiny top-p are greedy', async () => {
    const a = await client.generate(spec(GPT), { text: ref.text, maxNewTokens: 12, temperature: 1, seed: 7 });
    const b = await client.generate(spec(GPT), { text: ref.text, maxNewTokens: 12, temperature: 1, seed: 7 });
    const c = await client.generate(spec(GPT), { text: ref.text, maxNewTokens: 12, temperature: 1, seed: 8 });
    assert.deepEqual(
      a.tokens.map((t) => t.id),
      b.tokens.map((t) => t.id),
    );
    assert.notDeepEqual(
      a.tokens.map((t) => t.id),
      c.tokens.map((t) => t.id),
    );
    const greedy = (await client.generate(spec(GPT), { text: ref.text, maxNewTokens: 6 })).tokens.map((t) => t.id);
    assert.deepEqual(
      (
        await client.generate(spec(GPT), { text: ref.text, maxNewTokens: 6, temperature: 1.5, topK: 1, seed: 3 })
      ).tokens.map((t) => t.id),
      greedy,
    );
    assert.deepEqual(
      (
        await client.generate(spec(GPT), { text: ref.text, maxNewTokens: 6, temperature: 1.5, topP: 1e-9, seed: 3 })
      ).tokens.map((t) => t.id),
      greedy,
    );
  });

  test('pickToken: top-k and top-p restrict the draw to the most probable ids', () => {
    const logits = [0, 3, 1, 2]; // probabilities ~ .032, .644, .087, .237
    let rng = 0;
    const draws = (o: { temperature: number; topK?: number; topP?: number }) =>
      new Set(
        Array.from({ length: 200 }, () => pickToken(logits, o, () => (rng = (rng * 9301 + 49297) % 233280) / 233280)),
      );
    assert.deepEqual([...draws({ temperature: 1, topK: 2 })].sort(), [1, 3]);
    assert.deepEqual([...draws({ temperature: 1, topP: 0.8 })].sort(), [1, 3]); // .644 + .237 reaches .8
    assert.deepEqual([...draws({ temperature: 1, topP: 0.5 })], [1]);
    assert.deepEqual([...draws({ temperature: 1 })].sort(), [0, 1, 2, 3]);
    assert.equal(
      pickToken(logits, { temperature: 0 }, () => 0.99),
      1,
    );
  });

  test('generation stops at the context: --max-new-tokens above it is clamped with a note', async () => {
    const m = await load();
    const words = Array.from({ length: 80 }, (_, i) => ['dog', 'cute', 'he'][i % 3]).join(' ');
    const n = (await m.tokenizer.encode(words, undefined, false)).ids.length;
    assert.ok(n < 128 && n > 100, `prompt of ${n} tokens`);
    const r = await client.generate(spec(GPT), { text: words, maxNewTokens: 500 });
    assert.equal(r.tokens.length, 128 - n);
    assert.equal(r.stop, 'context');
    assert.match(r.note!, /clamped to \d+/);
  });

  test("generation stops at EOS (<|endoftext|>, id 0 here; config.json names GPT-2's 50256, outside this vocabulary)", async () => {
    const m = await load();
    assert.equal(eosId(m), 0);
    // Find a sampled continuation that reaches EOS: sampling at a high temperature over 2,000 tokens draws it.
    let found = false;
    for (let seed = 0; seed < 40 && !found; seed++) {
      const r = await client.generate(spec(GPT), { text: 'my dog', maxNewTokens: 100, temperature: 50, seed });
      if (r.stop === 'eos') {
        found = true;
        assert.ok(r.tokens.length < 100);
        assert.ok(
          r.tokens.every((t) => t.id !== 0),
          'EOS is not part of the output',
        );
        // the same seed replayed by hand (full passes, the same sampler): the draw after the last token is EOS
        const rng = createRng(seed);
        const ids = (await m.tokenizer.encode('my dog', undefined, false)).ids;
        for (const t of r.tokens) {
          const { data, vocab } = await causalLogits(m, ids);
          assert.equal(pickToken(data.subarray((ids.length - 1) * vocab), { temperature: 50 }, rng), t.id);
          ids.push(t.id);
        }
        const { data, vocab } = await causalLogits(m, ids);
        assert.equal(pickToken(data.subarray((ids.length - 1) * vocab), { temperature: 50 }, rng), 0);
      }
    }
    assert.ok(found, 'some seed reaches EOS');
  });

  test('surprisal (causal): log p(t_i | t_<i) and ranks from the logits; first token null; perplexity', async () => {
    const m = await load();
    const r = await client.surprisal(spec(GPT), { text: ref.text });
    assert.equal(r.method, 'causal');
    assert.deepEqual(r.tokens, ref.tokens);
    assert.deepEqual(r.offsets, ref.offsets);
    assert.equal(r.logprobs[0], null);
    assert.equal(r.ranks[0], null);
    const { data, vocab } = await causalLogits(m, ref.input_ids);
    const out = ref.outputs.logits;
    let sum = 0;
    for (let i = 1; i < ref.tokens.length; i++) {
      const row = data.subarray((i - 1) * vocab, i * vocab);
      const lp = logSoftmax(row)[ref.input_ids[i]];
      assert.ok(Math.abs(r.logprobs[i]! - lp) < TOL, `logprob ${i}`);
      assert.equal(r.ranks[i], 1 + Array.from(row).filter((x) => x > row[ref.input_ids[i]]).length);
      const k = out.topk_ids[i - 1].indexOf(ref.input_ids[i]);
      if (k >= 0) assert.equal(r.ranks[i], k + 1, 'rank within the reference top 10');
      else assert.ok(r.ranks[i]! > 10);
      assert.deepEqual(
        r.top[i]!.map((p) => p.id),
        out.topk_ids[i - 1].slice(0, 5),
        'top 5 = reference',
      );
      sum += lp;
    }
    assert.ok(Math.abs(r.perplexity - Math.exp(-sum / (ref.tokens.length - 1))) < 1e-2);
  });

  test('surprisal (causal) of a text longer than the context: windows keep half a context of left context', async () => {
    const m = await load();
    const text = Array.from({ length: 100 }, (_, i) => ['dog', 'cute', 'he', 'likes'][i % 4]).join(' ');
    const ids = (await m.tokenizer.encode(text, undefined, false)).ids;
    assert.ok(ids.length > 128);
    const r = await client.surprisal(spec(GPT), { text });
    assert.equal(r.logprobs.length, ids.length);
    assert.ok(r.logprobs.slice(1).every((x) => x !== null));
    // token 150 is scored in the window that starts at 128 - 64 = 64
    const j = 150;
    const { data, vocab } = await causalLogits(m, ids.slice(64, 64 + 128));
    const lp = logSoftmax(data.subarray((j - 1 - 64) * vocab, (j - 64) * vocab))[ids[j]];
    assert.ok(Math.abs(r.logprobs[j]! - lp) < TOL);
  });
});

describe('key/value cache (gpt2-clm-cached: decoder_model_merged.onnx with past inputs)', () => {
  test('the cached export is found, takes past_key_values/use_cache_branch, and its logits equal the reference', async () => {
    const m = await LoadedModel.load('cached', CACHED, 'fp32');
    assert.ok(m.onnxPath.endsWith(path.join('onnx', 'decoder_model_merged.onnx')));
    assert.ok(hasKvCache(m));
    assert.ok(m.plain.inputNames.includes('use_cache_branch') && m.plain.inputNames.includes('position_ids'));
    const { data, vocab } = await causalLogits(m, ref.input_ids);
    const out = ref.outputs.logits;
    out.topk_ids.forEach((ids: number[], pos: number) => {
      assertClose(
        ids.map((id) => data[pos * vocab + id]),
        out.topk_values[pos],
        TOL,
        `logits[${pos}]`,
      );
    });
    // cached steps: the logits after each token equal the full pass's row
    const dec = new Decoder(m, true);
    assert.ok(dec.cached);
    let row = await dec.next(ref.input_ids.slice(0, 4));
    assertClose(row, data.subarray(3 * vocab, 4 * vocab), TOL, 'first step');
    for (let t = 4; t < ref.input_ids.length; t++) {
      row = await dec.next([ref.input_ids[t]]);
      assertClose(row, data.subarray(t * vocab, (t + 1) * vocab), TOL, `step ${t}`);
    }
  });

  test('cache and no-cache generations agree (greedy and sampled), and equal the no-cache fixture', async () => {
    for (const o of [
      { temperature: 0 },
      { temperature: 1, topK: 50, seed: 5 },
      { temperature: 0.7, topP: 0.9, seed: 11 },
    ]) {
      const withCache = await client.generate(spec(CACHED), { text: ref.text, maxNewTokens: 20, ...o, useCache: true });
      const without = await client.generate(spec(CACHED), { text: ref.text, maxNewTokens: 20, ...o, useCache: false });
      const plain = await client.generate(spec(GPT), { text: ref.text, maxNewTokens: 20, ...o });
      assert.equal(withCache.cached, true);
      assert.equal(without.cached, false);
      assert.equal(plain.cached, false);
      assert.deepEqual(
        withCache.tokens.map((t) => t.id),
        without.tokens.map((t) => t.id),
      );
      assert.deepEqual(
        withCache.tokens.map((t) => t.id),
        plain.tokens.map((t) => t.id),
      );
      assertClose(
        withCache.tokens.map((t) => t.score),
        plain.tokens.map((t) => t.score),
        1e-6,
        'scores',
      );
    }
  });
});

describe('pseudo-log-likelihood (masked LM)', () => {
  let bert: LoadedModel;
  const load = async () => (bert ??= await LoadedModel.load('bert', BERT, 'fp32'));

  /** The slow way: one masked copy per group, the full head, log-softmax at each masked row. */
  async function slow(m: LoadedModel, text: string, groups: (e: Encoded) => number[][]) {
    const e = await m.tokenizer.encode(text);
    const out = new Map<number, { lp: number; rank: number }>();
    for (const g of groups(e)) {
      const ids = e.ids.slice();
      for (const i of g) ids[i] = m.tokenizer.maskId!;
      const r = await m.run([{ ...e, ids }]);
      const logits = r[m.mlmOutput()];
      const v = logits.dims[2];
      for (const i of g) {
        const row = logits.data.subarray(i * v, (i + 1) * v);
        out.set(i, {
          lp: logSoftmax(row)[e.ids[i]],
          rank: 1 + Array.from(row).filter((x) => x > row[e.ids[i]]).length,
        });
      }
    }
    return { e, out };
  }

  test('one token at a time, in batches of 3: equals masking each token alone', async () => {
    const m = await load();
    const text = 'the quick brown fox jumps over the lazy dog near the riverbank.';
    const r = await client.surprisal(spec(BERT), { text, batchSize: 3 });
    assert.equal(r.method, 'pseudo-likelihood');
    const { e, out } = await slow(m, text, (enc) =>
      enc.ids.map((_, i) => [i]).filter(([i]) => !enc.specialTokensMask[i]),
    );
    const inner = e.ids.map((_, i) => i).filter((i) => !e.specialTokensMask[i]);
    assert.deepEqual(
      r.tokens,
      inner.map((i) => e.tokens[i]),
    );
    assert.deepEqual(
      r.offsets,
      inner.map((i) => e.offsets[i]),
    );
    assertClose(
      r.logprobs as number[],
      inner.map((i) => out.get(i)!.lp),
      TOL,
      'logprobs',
    );
    assert.deepEqual(
      r.ranks,
      inner.map((i) => out.get(i)!.rank),
    );
    const mean = inner.reduce((s, i) => s + out.get(i)!.lp, 0) / inner.length;
    assert.ok(Math.abs(Math.log(r.perplexity) + mean) < 1e-4);
    // batch size does not change the numbers
    const one = await client.surprisal(spec(BERT), { text, batchSize: 1 });
    assertClose(one.logprobs as number[], r.logprobs as number[], 1e-5, 'batch 1 vs 3');
  });

  test('whole-word masking: every piece of a multi-piece word masked together', async () => {
    const m = await load();
    const text = 'unbelievably, the riverbank flooded.';
    const r = await client.surprisal(spec(BERT), { text, wholeWord: true, batchSize: 4 });
    const { e, out } = await slow(m, text, (enc) => {
      const groups: number[][] = [];
      enc.ids.forEach((_, i) => {
        if (enc.specialTokensMask[i]) return;
        const last = groups[groups.length - 1];
        if (last && enc.wordIds[i] === enc.wordIds[last[last.length - 1]]) last.push(i);
        else groups.push([i]);
      });
      assert.ok(
        groups.some((g) => g.length > 1),
        'the text has a multi-piece word',
      );
      return groups;
    });
    const inner = e.ids.map((_, i) => i).filter((i) => !e.specialTokensMask[i]);
    assertClose(
      r.logprobs as number[],
      inner.map((i) => out.get(i)!.lp),
      TOL,
      'whole-word logprobs',
    );
    const pieceWise = await client.surprisal(spec(BERT), { text });
    assert.notDeepEqual(pieceWise.logprobs, r.logprobs);
  });
});

describe('directions', () => {
  const text = 'the dog chased the cat across the garden.';
  const span: [number, number] = [4, 7]; // "dog"

  test('bidirectional, left-only and right-only equal fill-mask on the full and cut texts', async () => {
    const r = await client.directions(spec(BERT), { text, span, topK: 5 });
    assert.equal(r.word, 'dog');
    assert.equal(r.causal, null);
    const full = await client.fillMask(spec(BERT), { text, spans: [span], topK: 5 });
    const left = await client.fillMask(spec(BERT), { text: text.slice(0, 7), spans: [span], topK: 5 });
    const right = await client.fillMask(spec(BERT), { text: text.slice(4), spans: [[0, 3]], topK: 5 });
    assert.deepEqual(r.bidirectional, full.spans![0].candidates);
    assert.deepEqual(r.left_only, left.spans![0].candidates);
    assert.deepEqual(r.right_only, right.spans![0].candidates);
    assert.notDeepEqual(r.left_only, r.bidirectional);
    // the original word's probability is the fill-mask probability of its piece
    const dogId = (await LoadedModel.load('b', BERT, 'fp32')).tokenizer.tokenToId('dog')!;
    const fm = await client.fillMask(spec(BERT), { text: text.replace('dog', '[MASK]'), topK: 1, targets: ['dog'] });
    assert.equal(fm.masks[0].targets![0].id, dogId);
    assert.ok(Math.abs(r.original.bidirectional - fm.masks[0].targets![0].score) < 1e-6);
    assert.match(r.labels.left_only, /BERT with the text after the word removed/);
  });

  test("causal column: next-token candidates after the left context; the word's probability over its pieces", async () => {
    const r = await client.directions(spec(BERT), { text, span, topK: 5, causalSpec: spec(GPT) });
    const g = await LoadedModel.load('g', GPT, 'fp32');
    const ctx = (await g.tokenizer.encode('the', undefined, false)).ids;
    const whole = (await g.tokenizer.encode('the dog', undefined, false)).ids;
    assert.deepEqual(whole.slice(0, ctx.length), ctx);
    const pieces = whole.slice(ctx.length);
    const { data, vocab } = await causalLogits(g, whole);
    let p = 1;
    pieces.forEach(
      (id, j) => (p *= Math.exp(logSoftmax(data.subarray((ctx.length + j - 1) * vocab, (ctx.length + j) * vocab))[id])),
    );
    assert.ok(Math.abs(r.original.causal! - p) < 1e-6);
    const next = logSoftmax(data.subarray((ctx.length - 1) * vocab, ctx.length * vocab)).map(Math.exp);
    assert.ok(r.causal!.length === 5);
    for (const c of r.causal!) {
      assert.ok(Math.abs(c.score - next[c.ids[0]]) < 1e-6);
      assert.ok(g.tokenizer.idToToken(c.ids[0]).startsWith('Ġ'), 'word-initial pieces after a space');
    }
    assert.deepEqual(
      r.causal!.map((c) => c.score),
      [...r.causal!.map((c) => c.score)].sort((a, b) => b - a),
    );
  });
});

describe('bad input: one line, non-zero exit', () => {
  const oneLine = (r: { status: number | null; stderr: string }, code: number, re: RegExp) => {
    assert.equal(r.status, code, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  };
  test('next-token / generate on a masked LM name the causal model needed', () => {
    oneLine(cli(['next-token', '--model', BERT, 'my dog']), 1, /next-token needs .*causal.*Xenova\/gpt2/);
    oneLine(cli(['generate', '--model', BERT, 'my dog']), 1, /generate needs .*causal/);
  });
  test('fill-mask on a causal model: no mask token; suggests next-token and directions', () => {
    oneLine(cli(['fill-mask', '--model', GPT, 'my [MASK] dog']), 1, /no mask token.*next-token.*directions/);
  });
  test('a span that covers no word; an empty text', () => {
    oneLine(cli(['directions', '--model', BERT, '--span', '6:9', 'my dog , is']), 1, /covers no word/);
    oneLine(cli(['next-token', '--model', GPT, '  ']), 1, /empty/);
    oneLine(cli(['surprisal', '--model', GPT, '']), 1, /empty/);
    oneLine(cli(['directions', '--model', BERT, 'my dog']), 2, /needs --span/);
  });
  test('--max-new-tokens above the context: clamped, with a note', () => {
    const r = cli(['generate', '--json', '--model', GPT, '--max-new-tokens', '1000', 'my dog is cute']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr.trim(), /^note: --max-new-tokens 1000 .* clamped to 122\.$/);
    const j = JSON.parse(r.stdout);
    assert.equal(j.tokens.length, 122);
    assert.equal(j.stop, 'context');
  });
});

describe('CLI --json shapes', () => {
  test('next-token, generate, surprisal, directions', () => {
    const nt = JSON.parse(cli(['next-token', '--json', '--model', GPT, '--top-k', '3', ref.text]).stdout);
    assert.deepEqual(Object.keys(nt), ['predictions']);
    assert.deepEqual(Object.keys(nt.predictions[0]).slice(0, 3), ['token', 'id', 'score']);
    assert.deepEqual(
      nt.predictions.map((p: any) => p.id),
      ref.outputs.logits.topk_ids[ref.tokens.length - 1].slice(0, 3),
    );
    const gen = JSON.parse(cli(['generate', '--json', '--model', GPT, '--max-new-tokens', '3', ref.text]).stdout);
    assert.deepEqual(Object.keys(gen).slice(0, 2), ['text', 'tokens']);
    assert.equal(gen.tokens.length, 3);
    assert.deepEqual(Object.keys(gen.tokens[0]).slice(0, 3), ['token', 'id', 'score']);
    const text = 'héllo 🙂 dog';
    const s = JSON.parse(cli(['surprisal', '--json', '--model', GPT, text]).stdout);
    assert.deepEqual(Object.keys(s).slice(0, 5), ['method', 'tokens', 'offsets', 'logprobs', 'ranks']);
    assert.equal(s.method, 'causal');
    assert.deepEqual(
      s.offsets[s.offsets.length - 1],
      [Array.from(text).length - 4, Array.from(text).length],
      'code points',
    );
    const d = JSON.parse(
      cli(['directions', '--json', '--model', BERT, '--span', '4:7', 'the dog chased the cat.']).stdout,
    );
    assert.deepEqual(Object.keys(d).slice(0, 5), ['word', 'bidirectional', 'left_only', 'right_only', 'causal']);
    assert.equal(d.causal, null);
    assert.deepEqual(Object.keys(d.bidirectional[0]).slice(0, 2), ['word', 'score']);
  });
});
