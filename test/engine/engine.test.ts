// The in-process engine: model cache (reuse, least-recently-used eviction), tokenizer vectors at the engine
// level, NER aggregation strategies, QA over long contexts.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { questionAnswering } from '../../src/engine/tasks/questionAnswering';
import { tokenClassification } from '../../src/engine/tasks/tokenClassification';
import { encodeWindows } from '../../src/engine/tokenizer';
import { fixture, readJson } from '../helpers';

test('models are cached and reused; beyond the limit the least recently used is unloaded', async () => {
  const engine = new Engine(undefined, 2);
  const a = await engine.model({ model: fixture('bert-mlm') });
  assert.equal(await engine.model({ model: fixture('bert-mlm') }), a, 'same instance');
  await engine.model({ model: fixture('bert-ner') });
  await engine.model({ model: fixture('bert-mlm') }); // touch: bert-ner is now the oldest
  await engine.model({ model: fixture('bert-qa') });
  const keys = engine.loadedKeys().map((k) => k.split('|')[0]);
  assert.deepEqual(keys, [fixture('bert-mlm'), fixture('bert-qa')]);
  await engine.unloadAll();
  assert.deepEqual(engine.loadedKeys(), []);
});

test('tokenizer vectors: every string (empty, accents, CJK, emoji, zero-width…) exact at the engine level', async () => {
  const vectors = readJson(fixture('tokenizer-vectors.json'));
  const engine = new Engine();
  let n = 0;
  for (const [fam, dir] of [
    ['bert', 'bert-mlm'],
    ['roberta', 'roberta-mlm'],
    ['albert', 'albert-mlm'],
  ]) {
    const m = await engine.model({ model: fixture(dir) });
    for (const c of vectors[fam]) {
      const e = await m.tokenizer.encode(c.text);
      assert.deepEqual(e.ids, c.ids, `${fam} ${JSON.stringify(c.text)}`);
      assert.deepEqual(e.tokens, c.tokens);
      // engine offsets are UTF-16; the vectors (Python) are code points
      const cps = Array.from(c.text as string);
      const toUtf16 = (k: number) => cps.slice(0, k).join('').length;
      assert.deepEqual(
        e.offsets,
        c.offsets.map(([s, t]: number[]) => [toUtf16(s), toUtf16(t)]),
      );
      assert.equal(await m.tokenizer.decode(e.ids), c.decoded);
      n++;
    }
  }
  assert.equal(n, 60);
  await engine.unloadAll();
});

test('NER aggregation: first / average / max decide per word from the token probabilities', async () => {
  const engine = new Engine();
  const m = await engine.model({ model: fixture('bert-ner'), variant: 'fp32' });
  const text = 'hugging face inc. is a company based in new york city.';
  const none = await tokenClassification(m, { text, aggregation: 'none' });
  const e = await m.tokenizer.encode(text);
  const out = await m.run([e]);
  const k = m.folder.labels!.length;
  const probs = (i: number) => {
    const row = Array.from(out.logits.data.subarray(i * k, (i + 1) * k));
    const mx = Math.max(...row);
    const ex = row.map((x) => Math.exp(x - mx));
    const s = ex.reduce((a, b) => a + b, 0);
    return ex.map((x) => x / s);
  };
  const words = new Map<number, number[]>();
  e.wordIds.forEach((w, i) => w !== null && words.set(w, [...(words.get(w) ?? []), i]));
  const label = (p: number[]) => m.folder.labels![p.indexOf(Math.max(...p))];
  for (const strategy of ['first', 'average', 'max'] as const) {
    const r = await tokenClassification(m, { text, aggregation: strategy });
    // Expected label of each word, independently.
    const wordLabel = [...words.values()].map((toks) => {
      if (strategy === 'first') return label(probs(toks[0]));
      if (strategy === 'max')
        return label(probs(toks.reduce((b, t) => (Math.max(...probs(t)) > Math.max(...probs(b)) ? t : b))));
      const avg = probs(toks[0]).map((_, c) => toks.reduce((s, t) => s + probs(t)[c], 0) / toks.length);
      return label(avg);
    });
    // Every entity covers whole words whose labels share its type.
    for (const ent of r.entities) {
      const covered = [...words.entries()].filter(([, toks]) => ent.tokens.includes(toks[0]));
      assert.ok(covered.length > 0);
      for (const [w, toks] of covered) {
        assert.ok(
          toks.every((t) => ent.tokens.includes(t)),
          'a word is never split',
        );
        assert.equal(wordLabel[w].replace(/^[BI]-/, ''), ent.label, `${strategy}: word ${w}`);
      }
      assert.equal(ent.text, text.slice(ent.start, ent.end));
    }
    const nonO = wordLabel.filter((l) => l !== 'O').length;
    const coveredWords = r.entities.reduce(
      (s, ent) => s + [...words.values()].filter((toks) => ent.tokens.includes(toks[0])).length,
      0,
    );
    assert.equal(coveredWords, nonO, `${strategy}: every non-O word is in an entity`);
  }
  assert.ok(
    none.entities.every((x) => /^[BI]-/.test(x.label)),
    "'none' keeps the raw tags",
  );
  await engine.unloadAll();
});

test('QA over a context longer than the model: the best span over document-stride windows, offsets in the whole context', async () => {
  const engine = new Engine();
  const m = await engine.model({ model: fixture('bert-qa'), variant: 'fp32' });
  const question = 'who likes playing?';
  const context =
    'the weather was grey and the streets were quiet that day. '.repeat(25) +
    'my dog is cute. he likes playing in the park.';
  assert.ok((await m.tokenizer.encode(context)).ids.length > 2 * m.folder.maxLength);
  const r = await questionAnswering(m, { question, context, topK: 3 });
  assert.equal(r.answers.length, 3);
  for (const a of r.answers) assert.equal(a.text, context.slice(a.start, a.end));
  // Each window on its own (its slice of the context is a context that fits) gives the same scores; the long
  // answer must be the best of them, shifted to the window's start.
  const windows = await encodeWindows(
    m.tokenizer,
    context,
    m.folder.maxLength,
    Math.floor(m.folder.maxLength / 4),
    question,
  );
  assert.ok(windows.length >= 3);
  let best = { score: -1, start: 0, end: 0 };
  for (const w of windows) {
    const [a] = (await questionAnswering(m, { question, context: context.slice(w.start, w.end) })).answers;
    if (a.score > best.score) best = { score: a.score, start: a.start + w.start, end: a.end + w.start };
  }
  assert.deepEqual([r.answers[0].start, r.answers[0].end], [best.start, best.end]);
  assert.ok(Math.abs(r.answers[0].score - best.score) < 1e-9);
  assert.ok(r.answers.every((a, i) => i === 0 || a.score <= r.answers[i - 1].score));
  await engine.unloadAll();
});
