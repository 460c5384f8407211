// The worker: the caller's thread keeps running while a model runs, cancellation rejects at once and the
// worker serves the next call, and errors cross the thread boundary with their code.
import * as assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import type { TokenizeResult } from '../../src/engine/api';
import { CancelledError, EngineError } from '../../src/engine/errors';
import { methods } from '../../src/engine/worker/methods';
import { WORKER } from '../helpers';

const client = new EngineClient({ workerPath: WORKER });
after(() => client.dispose());
const long = 'python is a programming language and a list is a sequence of items. '.repeat(120);

test("the caller's event loop keeps turning while the worker computes", async () => {
  await client.loadModel({});
  let turns = 0;
  let running = true;
  const spin = () => {
    turns++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  const r = await client.embed({}, { text: long, layer: -1, pooling: 'mean' });
  running = false;
  assert.equal(r.pooled!.length, 256);
  assert.ok(turns > 5, `the main thread turned ${turns} times during inference`);
});

test('an aborted call rejects with CancelledError and the worker serves the next call', async () => {
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(client.fillMask({}, { text: 'a [MASK].' }, { signal: pre.signal }), CancelledError);
  const ac = new AbortController();
  const p = client.embed({}, { text: long, layer: -1 }, { signal: ac.signal });
  ac.abort();
  await assert.rejects(p, CancelledError);
  const r = await client.fillMask({}, { text: 'python is a programming [MASK].' });
  assert.equal(r.masks[0].predictions[0].token, 'language');
});

test('progress is reported for windowed work', async () => {
  const seen: { done: number; total: number }[] = [];
  await client.embed(
    {},
    { text: long, layer: -1 },
    { onProgress: (p) => seen.push(p as { done: number; total: number }) },
  );
  assert.ok(seen.length >= 2, `several windows: ${JSON.stringify(seen)}`);
  assert.equal(seen[seen.length - 1].done, seen[seen.length - 1].total);
});

test('errors keep their code across the thread boundary', async () => {
  await assert.rejects(
    client.fillMask({}, { text: 'no mask' }),
    (e: EngineError) => e instanceof EngineError && e.code === 'no-mask' && !!e.hint,
  );
});

test('one method map: the worker serves camelCase names only, and an unknown name is an error, not a hang', async () => {
  const names = Object.keys(methods);
  assert.deepEqual(
    names.filter((n) => !/^[a-z][A-Za-z0-9]*$/.test(n)),
    [],
  );
  for (const n of ['fillMask', 'loadModel', 'trainingTrain', 'trainingClassify']) assert.ok(names.includes(n), n);
  const untyped = client.call as (method: string, params: unknown) => Promise<unknown>;
  await assert.rejects(
    untyped.call(client, 'training.train', {}),
    (e: EngineError) => e.code === 'internal' && /unknown engine method training\.train/.test(e.message),
  );
  // Compile-time half: `npm run typecheck` fails when one of these is no longer an error.
  const typeChecks = async () => {
    // @ts-expect-error a misspelt method name
    await client.call('fillMaks', { text: 'a [MASK].' });
    // @ts-expect-error the params of another method
    await client.call('fillMask', { question: 'q', context: 'c' });
    // @ts-expect-error the result type follows the method
    const wrong: TokenizeResult = await client.call('fillMask', { text: 'a [MASK].' });
    // @ts-expect-error progress types follow the method: training reports phases, not download bytes
    await client.trainingTrain({ data: 'x.csv' }, { onProgress: (p: { file: string }) => p.file });
    return wrong;
  };
  void typeChecks;
});
