// Reliability under concurrency and odd calls (issue #14): the model cache evicts without breaking requests in
// flight (reference counts), sessions are never opened on a disposed model, and a call that cannot be posted to
// the worker rejects without leaving a pending entry.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { Engine } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/errors';
import { LoadedModel } from '../../src/engine/model';
import { WORKER, fixture } from '../helpers';

test(
  'four models under concurrent bursts through a 3-model cache: every request answers, RSS stays bounded over 50 rounds',
  { timeout: 600_000 },
  async (t) => {
    const client = new EngineClient({ workerPath: WORKER });
    try {
      const mlm = { model: fixture('bert-mlm'), variant: 'fp32' as const };
      const ner = { model: fixture('bert-ner'), variant: 'fp32' as const };
      const qa = { model: fixture('bert-qa'), variant: 'fp32' as const };
      const nli = { model: fixture('bert-nli'), variant: 'fp32' as const };
      // Reference answers, one model at a time.
      const refMask = (
        await client.fillMask(mlm, { text: 'paris is the [MASK] of france.', topK: 3 })
      ).masks[0].predictions.map((p) => p.token);
      const refNer = (
        await client.tokenClassification(ner, { text: 'John Smith works at Google.', aggregation: 'simple' })
      ).entities.map((e) => e.label);
      const refQa = (
        await client.questionAnswering(qa, { question: 'Who works at Google?', context: 'John Smith works at Google.' })
      ).answers[0].text;
      const refNli = (await client.classify(nli, { text: 'A man is sleeping.', pair: 'A person rests.' })).labels.map(
        (l) => l.label,
      );
      const rss: number[] = [];
      for (let round = 0; round < 50; round++) {
        const burst: Promise<void>[] = [];
        for (let k = 0; k < 1; k++) {
          burst.push(
            client.fillMask(mlm, { text: 'paris is the [MASK] of france.', topK: 3 }).then((r) =>
              assert.deepEqual(
                r.masks[0].predictions.map((p) => p.token),
                refMask,
              ),
            ),
          );
          burst.push(
            client.tokenClassification(ner, { text: 'John Smith works at Google.', aggregation: 'simple' }).then((r) =>
              assert.deepEqual(
                r.entities.map((e) => e.label),
                refNer,
              ),
            ),
          );
          burst.push(
            client
              .questionAnswering(qa, { question: 'Who works at Google?', context: 'John Smith works at Google.' })
              .then((r) => assert.equal(r.answers[0].text, refQa)),
          );
          burst.push(
            client.classify(nli, { text: 'A man is sleeping.', pair: 'A person rests.' }).then((r) =>
              assert.deepEqual(
                r.labels.map((l) => l.label),
                refNli,
              ),
            ),
          );
        }
        const results = await Promise.allSettled(burst);
        const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
        assert.deepEqual(
          failed.map((f) => String(f.reason?.message ?? f.reason)),
          [],
          `round ${round}`,
        );
        rss.push(process.memoryUsage().rss);
      }
      const mb = (b: number) => Math.round(b / 2 ** 20);
      t.diagnostic(`RSS after rounds 10 / 25 / 50: ${mb(rss[9])} / ${mb(rss[24])} / ${mb(rss[49])} MB`);
      // Reported, not timed: a generous bound that a leak of sessions (~4 models reloaded each round) would cross.
      assert.ok(rss[49] - rss[9] < 400 * 2 ** 20, `RSS grew ${mb(rss[49] - rss[9])} MB from round 10 to 50`);
    } finally {
      await client.dispose();
    }
  },
);

test('an evicted model that a request still holds is disposed only when its last lease is released', async () => {
  const engine = new Engine(undefined, 1);
  const lease = await engine.acquire({ model: fixture('bert-mlm'), variant: 'fp32' });
  const enc = await lease.model.tokenizer.encode('a list is a [MASK].');
  await engine.model({ model: fixture('bert-ner'), variant: 'fp32' }); // evicts bert-mlm from the cache
  assert.deepEqual(
    engine.loadedKeys().map((k) => k.split('|')[0]),
    [fixture('bert-ner')],
  );
  const out = await lease.model.run([enc]); // still usable: the lease holds it
  assert.ok(out.logits.data.length > 0);
  await lease.model.hiddenStates([enc], [1]); // a lazily opened session on a held model works too
  lease.release();
  lease.release(); // idempotent
  await new Promise((r) => setImmediate(r));
  await assert.rejects(lease.model.run([enc]), (e: EngineError) => e.code === 'model-disposed');
  await engine.unloadAll();
});

test('no session is opened on a disposed model (it would never be released)', async () => {
  const m = await LoadedModel.load('mlm', fixture('bert-mlm'), 'fp32');
  const enc = await m.tokenizer.encode('a list is a [MASK].');
  await m.dispose();
  await assert.rejects(
    m.hiddenStates([enc], [1]),
    (e: EngineError) => e.code === 'model-disposed' && /unloaded/.test(e.message),
  );
  await assert.rejects(m.attentions([enc]), (e: EngineError) => e.code === 'model-disposed');
  await assert.rejects(m.maskedLogits(enc, [5]), (e: EngineError) => e.code === 'model-disposed');
});

test('a call whose parameters cannot be posted (DataCloneError) rejects and leaves no pending entry', async () => {
  const client = new EngineClient({ workerPath: WORKER });
  try {
    await assert.rejects(
      client.call('tokenize', { text: 'hi', spec: { model: undefined, onProgress: () => 1 } as never }),
      (e: EngineError) => e.code === 'bad-request' && /Cannot send tokenize/.test(e.message),
    );
    assert.equal((client as unknown as { pending: Map<number, unknown> }).pending.size, 0);
    const r = await client.tokenize({}, { text: 'a list' });
    assert.deepEqual(r.tokens, ['[CLS]', 'a', 'list', '[SEP]']);
  } finally {
    await client.dispose();
  }
});
