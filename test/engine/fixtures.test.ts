// Every fixture against its PyTorch reference: tokenization exact; logits, every attention map and every hidden
// state within 1e-4; and the task results derived from them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { LoadedModel } from '../../src/engine/model';
import { FIXTURES, WORKER, assertClose, fixture, flat, readJson } from '../helpers';

const TOL = 1e-4;
const names = fs.readdirSync(FIXTURES).filter((n) => fs.existsSync(`${FIXTURES}/${n}/reference.json`));
const client = new EngineClient({ workerPath: WORKER });
after(() => client.dispose());

const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

test('every fixture folder is covered', () => {
  assert.deepEqual(names.sort(), [
    'albert-mlm',
    'bert-feature',
    'bert-mlm',
    'bert-ner',
    'bert-nli',
    'bert-pretraining',
    'bert-qa',
    'distilbert-mlm',
    'electra-discriminator',
    'electra-generator',
    'gpt2-clm',
    'roberta-mlm',
  ]);
});

for (const name of names) {
  describe(name, () => {
    const ref = readJson(`${fixture(name)}/reference.json`);
    let model: LoadedModel;
    const load = async () => (model ??= await LoadedModel.load(name, fixture(name), 'fp32'));

    for (const [ci, c] of ref.cases.entries()) {
      test(`case ${ci}: ids, tokens, type ids and offsets are exact`, async () => {
        const m = await load();
        const e = await m.tokenizer.encode(c.text, c.text_pair ?? undefined);
        assert.deepEqual(e.ids, c.input_ids);
        assert.deepEqual(e.tokens, c.tokens);
        assert.deepEqual(e.typeIds, c.type_ids);
        assert.deepEqual(e.offsets, c.offsets);
      });

      test(`case ${ci}: outputs, attentions and hidden states within ${TOL}`, async () => {
        const m = await load();
        const e = await m.tokenizer.encode(c.text, c.text_pair ?? undefined);
        const out = await m.run([e]);
        for (const [oname, o] of Object.entries<any>(c.outputs)) {
          const got = out[oname];
          assert.ok(got, `output ${oname} exists`);
          assert.deepEqual(got.dims, o.dims);
          if (o.data) {
            assertClose(got.data, o.data, TOL, `${oname}`);
          } else {
            // vocabulary-sized: the reference keeps the top 10 per position and the log-sum-exp
            const v = o.dims[o.dims.length - 1];
            o.topk_ids.forEach((ids: number[], pos: number) => {
              const rowv = Array.from(got.data.subarray(pos * v, (pos + 1) * v));
              assertClose(
                ids.map((id) => rowv[id]),
                o.topk_values[pos],
                TOL,
                `${oname}[${pos}] top-10 values`,
              );
              const order = rowv
                .map((x, i) => [x, i])
                .sort((a, b) => b[0] - a[0])
                .slice(0, 10)
                .map((x) => x[1]);
              assert.deepEqual(order, ids, `${oname}[${pos}] top-10 order`);
              const m2 = Math.max(...rowv);
              const lse = m2 + Math.log(rowv.reduce((s, x) => s + Math.exp(x - m2), 0));
              assert.ok(
                Math.abs(lse - o.logsumexp[pos]) < TOL,
                `${oname}[${pos}] logsumexp ${lse} vs ${o.logsumexp[pos]}`,
              );
            });
          }
        }
        const layers = c.attentions.length;
        const att = await m.attentions([e]);
        assert.equal(att.length, layers);
        att.forEach((a, l) => {
          assert.deepEqual(a.dims, c.attentions[l].dims);
          assertClose(a.data, c.attentions[l].data, TOL, `attention layer ${l}`);
        });
        const hs = await m.hiddenStates(
          [e],
          c.hidden_states.map((_: unknown, i: number) => i),
        );
        hs.forEach((h, l) => {
          assert.deepEqual(h.dims, c.hidden_states[l].dims, `hidden state ${l} dims`);
          assertClose(h.data, c.hidden_states[l].data, TOL, `hidden state ${l}`);
        });
      });
    }
  });
}

describe('tasks against the references', () => {
  const ref = (n: string) => readJson(`${fixture(n)}/reference.json`).cases;
  const spec = (n: string) => ({ model: fixture(n), variant: 'fp32' as const });

  for (const n of [
    'bert-mlm',
    'distilbert-mlm',
    'roberta-mlm',
    'albert-mlm',
    'electra-generator',
    'bert-pretraining',
  ]) {
    test(`${n}: fill-mask top-10 and probabilities at every mask`, async () => {
      let checked = 0;
      for (const [ci, c] of ref(n).entries()) {
        const out = c.outputs.logits ?? c.outputs.prediction_logits;
        // A RoBERTa mask token keeps the space it strips (' <mask>'), so compare trimmed tokens.
        const maskPositions = c.tokens
          .map((t: string, i: number) => (t.trim() === '[MASK]' || t.trim() === '<mask>' ? i : -1))
          .filter((i: number) => i >= 0);
        const masksInText = (c.text.match(/\[MASK\]|<mask>/g) ?? []).length;
        assert.equal(maskPositions.length, masksInText, `case ${ci}: every mask in the text is a mask token`);
        if (!masksInText) continue; // a case for the other outputs (e.g. next-sentence); nothing to fill
        checked++;
        const r = await client.fillMask(spec(n), { text: c.text, topK: 10 });
        assert.deepEqual(
          r.masks.map((mk) => mk.position),
          maskPositions,
        );
        r.masks.forEach((mk) => {
          assert.deepEqual(
            mk.predictions.map((p) => p.id),
            out.topk_ids[mk.position],
          );
          assertClose(
            mk.predictions.map((p) => p.score),
            out.topk_values[mk.position].map((v: number) => Math.exp(v - out.logsumexp[mk.position])),
            TOL,
            'scores',
          );
          assert.deepEqual(mk.offset, c.offsets[mk.position]);
        });
      }
      assert.ok(checked > 0, `${n}: the reference has a case with a mask`);
    });
  }

  test('bert-ner: per-token labels follow the reference logits; entities are BIO groups with exact spans', async () => {
    const model = await LoadedModel.load('ner', fixture('bert-ner'), 'fp32');
    const labels = model.folder.labels!;
    for (const c of ref('bert-ner')) {
      const r = await client.tokenClassification(spec('bert-ner'), { text: c.text, aggregation: 'none' });
      const [, s, k] = c.outputs.logits.dims;
      const expected = Array.from({ length: s }, (_, i) => {
        const p = softmax(c.outputs.logits.data.slice(i * k, (i + 1) * k));
        const best = p.indexOf(Math.max(...p));
        return { label: labels[best], score: p[best] };
      });
      r.tokenLabels.forEach((t, i) => {
        assert.equal(t.label, expected[i].label, `token ${i}`);
        assert.ok(Math.abs(t.score - expected[i].score) < TOL);
      });
      const nonO = expected
        .map((e, i) => ({ ...e, i }))
        .filter((e) => e.label !== 'O' && c.offsets[e.i][1] > c.offsets[e.i][0]);
      assert.deepEqual(
        r.entities.map((e) => [e.label, e.start, e.end]),
        nonO.map((e) => [e.label, c.offsets[e.i][0], c.offsets[e.i][1]]),
      );
      for (const e of r.entities) assert.equal(e.text, c.text.slice(e.start, e.end));
      // The premise of the checks below: the reference case has entities.
      assert.ok(nonO.length > 0, 'the reference case has tokens labelled other than O');
      const simple = await client.tokenClassification(spec('bert-ner'), { text: c.text, aggregation: 'simple' });
      assert.ok(
        simple.entities.length > 0 && simple.entities.length <= nonO.length,
        `${simple.entities.length} simple entities from ${nonO.length} tokens`,
      );
      for (const e of simple.entities) {
        assert.ok(!e.label.includes('-'), 'simple aggregation strips B-/I-');
        assert.equal(e.text, c.text.slice(e.start, e.end));
        // Each group is made of the reference's non-O tokens of that type.
        const inside = nonO.filter((t) => c.offsets[t.i][0] >= e.start && c.offsets[t.i][1] <= e.end);
        assert.ok(
          inside.length > 0 && inside.every((t) => t.label.replace(/^[BI]-/, '') === e.label),
          `${e.label} ${e.text}`,
        );
      }
    }
  });

  test('bert-qa: the best span is the arg-max of start × end probabilities over the context', async () => {
    const [c] = ref('bert-qa');
    const r = await client.questionAnswering(spec('bert-qa'), { question: c.text, context: c.text_pair, topK: 3 });
    const ctx = c.type_ids
      .map((t: number, i: number) => (t === 1 && c.offsets[i][1] > 0 ? i : -1))
      .filter((i: number) => i >= 0);
    const ps = softmax(ctx.map((i: number) => c.outputs.start_logits.data[i]));
    const pe = softmax(ctx.map((i: number) => c.outputs.end_logits.data[i]));
    let best = { score: -1, a: 0, b: 0 };
    for (let a = 0; a < ctx.length; a++)
      for (let b = a; b < Math.min(ctx.length, a + 30); b++)
        if (ps[a] * pe[b] > best.score) best = { score: ps[a] * pe[b], a, b };
    const start = c.offsets[ctx[best.a]][0];
    const end = c.offsets[ctx[best.b]][1];
    assert.equal(r.answers.length, 3);
    assert.deepEqual([r.answers[0].start, r.answers[0].end], [start, end]);
    assert.equal(r.answers[0].text, c.text_pair.slice(start, end));
    assert.ok(Math.abs(r.answers[0].score - best.score) < TOL);
  });

  test('bert-nli: pair classification = softmax of the reference logits, labels from id2label', async () => {
    const id2label = readJson(`${fixture('bert-nli')}/config.json`).id2label;
    for (const c of ref('bert-nli')) {
      const r = await client.classify(spec('bert-nli'), { text: c.text, pair: c.text_pair });
      const p = softmax(c.outputs.logits.data);
      for (const l of r.labels) {
        const i = Number(Object.keys(id2label).find((k) => id2label[k] === l.label));
        assert.ok(Math.abs(l.score - p[i]) < TOL, `${l.label}`);
      }
      assert.equal(r.labels[0].score, Math.max(...r.labels.map((l) => l.score)));
    }
  });

  test('bert-pretraining: next-sentence probability = softmax(seq_relationship_logits)[0]', async () => {
    const [c] = ref('bert-pretraining');
    const r = await client.nextSentence(spec('bert-pretraining'), { a: c.text, b: c.text_pair });
    assert.ok(Math.abs(r.is_next - softmax(c.outputs.seq_relationship_logits.data)[0]) < TOL);
  });

  test('electra-discriminator: replaced probability = sigmoid(logit) per token', async () => {
    for (const c of ref('electra-discriminator')) {
      const r = await client.replacedTokens(spec('electra-discriminator'), { text: c.text });
      assert.deepEqual(r.tokens, c.tokens);
      assertClose(
        r.replaced,
        c.outputs.logits.data.map((x: number) => 1 / (1 + Math.exp(-x))),
        TOL,
        'replaced',
      );
    }
  });

  test('bert-feature: embeddings of layer -1 and 0 equal the hidden states; pooling and similarity', async () => {
    const cases = ref('bert-feature');
    for (const c of cases) {
      const last = await client.embed(spec('bert-feature'), { text: c.text, layer: -1 });
      assertClose(flat(last.vectors), c.outputs.last_hidden_state.data, TOL, 'last layer');
      const first = await client.embed(spec('bert-feature'), { text: c.text, layer: 0 });
      assertClose(flat(first.vectors), c.hidden_states[0].data, TOL, 'layer 0');
      const mean = await client.embed(spec('bert-feature'), { text: c.text, layer: -1, pooling: 'mean' });
      const h = c.outputs.last_hidden_state.dims[2];
      const n = c.tokens.length;
      const expected = Array.from(
        { length: h },
        (_, d) =>
          c.outputs.last_hidden_state.data
            .filter((_: number, i: number) => i % h === d)
            .reduce((a: number, b: number) => a + b, 0) / n,
      );
      assertClose(mean.pooled!, expected, TOL, 'mean pooling');
    }
    // The same word in two contexts: cosine of the two "bank" vectors, computed from the reference states.
    const text = `${cases[0].text}. ${cases[1].text}`;
    const sim = await client.similarity(spec('bert-feature'), {
      text,
      span: [text.indexOf('bank'), text.indexOf('bank') + 4],
    });
    assert.equal(sim.word, 'bank');
    assert.equal(sim.occurrences.length, 1);
    assert.equal(sim.occurrences[0].start, text.lastIndexOf('bank'));
    assert.ok(sim.occurrences[0].similarity > -1 && sim.occurrences[0].similarity < 1);
  });

  test('attention: head mean and rollout rows are distributions', async () => {
    const [c] = ref('bert-mlm');
    const r = await client.attention(spec('bert-mlm'), { text: c.text });
    assert.equal(r.attentions.length, 3);
    assertClose(
      flat(r.attentions),
      c.attentions.flatMap((a: any) => a.data),
      TOL,
      'attentions',
    );
    for (const row of r.rollout) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    const [, heads, n] = c.attentions[0].dims;
    const expect00 =
      Array.from({ length: heads }, (_, hh) => c.attentions[0].data[(hh * n + 0) * n + 0]).reduce(
        (a: number, b: number) => a + b,
        0,
      ) / heads;
    assert.ok(Math.abs(r.headMean[0][0][0] - expect00) < TOL);
  });
});
