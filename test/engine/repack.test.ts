// Packed speed back when saliency is idle (#9): once no variant or backward session of a model has run for
// `repackAfterMs`, they are released and the one session is reopened packed (ORT's default options); the next
// variant or backward use shares the weights again. Mocked timers: the idle delay passes when a test ticks it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mock, test } from 'node:test';
import { LoadedModel } from '../../src/engine/model';
import {
  addGraphOutputs,
  findAttentionOutputs,
  findHiddenStateOutputs,
  inspectGraph,
} from '../../src/engine/onnx/graph';
import { findWordEmbeddingLookup } from '../../src/engine/grad/gradient';
import type { GradientGraph } from '../../src/engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { type OutputTensor, type RuntimeSession, openSession } from '../../src/engine/runtime';
import type { PreparingProgress } from '../../src/engine/api';
import type { Encoded } from '../../src/engine/tokenizer';
import { EMBEDDED, assertClose } from '../helpers';

const TOL = 1e-6;
const IDLE_MS = 40;
const TEXT = 'a python [MASK] is an ordered sequence of references to objects.';

/** The idle delay passes, and the release and repack it starts are done. */
async function idleFor(m: LoadedModel): Promise<void> {
  mock.timers.tick(IDLE_MS);
  await m.settled();
}

function load(): Promise<LoadedModel> {
  mock.timers.enable({ apis: ['setTimeout'] });
  return LoadedModel.load('m', EMBEDDED, 'fp32', 'cpu', undefined, { repackAfterMs: IDLE_MS });
}

test.afterEach(() => mock.timers.reset());

/** Reference outputs of the whole file with the extra outputs, opened with ORT's default options (packed) and with
 *  the options every session of a model uses while it shares its weights. */
async function references(m: LoadedModel, enc: Encoded) {
  const bytes = new Uint8Array(fs.readFileSync(m.onnxPath));
  const g = inspectGraph(bytes);
  const L = m.folder.numLayers;
  const att = findAttentionOutputs(g, L)!;
  const hid = findHiddenStateOutputs(g, L)!;
  const out = m.mlmOutput();
  const withOutputs = addGraphOutputs(bytes, [...att, ...hid]);
  const run = async (o: Parameters<typeof openSession>[2]) => {
    const s = await openSession(withOutputs, 'cpu', o);
    const r = await s.run(m.feeds([enc], s), [out, ...att, ...hid]);
    await s.dispose();
    return r;
  };
  return {
    out,
    att,
    hid,
    packed: await run({}),
    shared: await run({ disablePrepacking: true, backwardKernels: true }),
  };
}

/** The one session's paths (own outputs, gathered head, attention, hidden states) against `r` to 1e-6. */
async function pathsEqual(
  m: LoadedModel,
  enc: Encoded,
  ref: Awaited<ReturnType<typeof references>>,
  r: Record<string, OutputTensor>,
  what: string,
): Promise<void> {
  const { out, att, hid } = ref;
  const L = m.folder.numLayers;
  const v = r[out].dims[2];
  const plain = (await m.run([enc]))[out];
  assertClose(plain.data, r[out].data, TOL, `${what} plain logits`);
  const rows = [1, enc.ids.length - 2];
  const gathered = await m.maskedLogits(enc, rows);
  rows.forEach((p, i) =>
    assertClose(
      gathered.data.subarray(i * v, (i + 1) * v),
      r[out].data.subarray(p * v, (p + 1) * v),
      TOL,
      `${what} row ${p}`,
    ),
  );
  const maps = await m.attentions([enc]);
  maps.forEach((t, l) => assertClose(t.data, r[att[l]].data, TOL, `${what} attention ${l}`));
  const hs = await m.hiddenStates([enc], [0, L]);
  assertClose(hs[0].data, r[hid[0]].data, TOL, `${what} hidden 0`);
  assertClose(hs[1].data, r[hid[L]].data, TOL, `${what} hidden ${L}`);
}

const gradOptions = (output: string) => (b: Uint8Array) => ({
  objective: { kind: 'logprob' as const, output },
  wrt: { internals: [findWordEmbeddingLookup(b)!.lookup] },
  scaleInternals: true,
});

/** Saliency's backward run: the gradient with respect to the word-embedding lookup, and the logits. */
async function gradient(m: LoadedModel, enc: Encoded, graph: GradientGraph, session: RuntimeSession) {
  const output = m.mlmOutput();
  const f = m.feeds([enc], m.plain);
  f[OBJECTIVE_INPUTS.target] = { type: 'int64', data: BigInt64Array.from([7n]), dims: [1] };
  if (graph.inputs.includes(OBJECTIVE_INPUTS.position))
    f[OBJECTIVE_INPUTS.position] = { type: 'int64', data: BigInt64Array.from([3n]), dims: [1] };
  f[graph.scaleInput!] = { type: 'float32', data: Float32Array.from([1]), dims: [1] };
  const name = graph.outputs.gradients[Object.keys(graph.outputs.internals)[0]];
  const r = await session.run(f, [name, output]);
  return { grad: r[name].data, logits: r[output].data };
}

test('idle after saliency: the one session is packed again (equal to the default-options session), then shares again with the same gradients', async () => {
  const m = await load();
  const enc = await m.tokenizer.encode(TEXT);
  const ref = await references(m, enc);
  assert.ok(
    ref.packed[ref.out].data.some((x, i) => x !== ref.shared[ref.out].data[i]),
    'two kernel paths',
  );

  const { graph, session } = await m.gradientSession('saliency', gradOptions(ref.out));
  assert.ok(m.sessionNotes().shared && m.sessionNotes().openSecondary === 1, JSON.stringify(m.sessionNotes()));
  const before = await gradient(m, enc, graph, session);
  assert.ok(
    before.grad.some((x) => Math.abs(x) > 1e-6),
    'a non-zero gradient',
  );
  await pathsEqual(m, enc, ref, ref.shared, 'sharing');
  mock.timers.tick(IDLE_MS - 1);
  await m.settled();
  assert.ok(m.sessionNotes().shared && !session.suspended, 'not idle yet');

  await idleFor(m);
  const notes = m.sessionNotes();
  assert.deepEqual([notes.shared, notes.repacked, notes.openSecondary], [false, 1, 0], JSON.stringify(notes));
  assert.ok(session.suspended, 'the backward session is released');
  assert.equal(m.plain.held, 1, 'one ORT session left: the packed one');
  await pathsEqual(m, enc, ref, ref.packed, 'repacked');

  // The next saliency: the cached graph (no building: the options are not asked for), its session reopened inside
  // the "preparing" status, the one session shared again; the same gradient as before the switch.
  const heard: PreparingProgress[] = [];
  const again = await m.gradientSession('saliency', () => assert.fail('the graph is built again'), {
    preparing: 'saliency',
    onPreparing: (p) => heard.push(p),
  });
  assert.equal(again.graph, graph);
  assert.equal(again.session, session);
  assert.deepEqual(
    heard.map((p) => p.state),
    ['opening', 'ready'],
  );
  assert.ok(m.sessionNotes().shared && m.sessionNotes().openSecondary === 1);
  const after = await gradient(m, enc, again.graph, again.session);
  assertClose(after.grad, before.grad, TOL, 'gradient after re-sharing');
  assertClose(after.logits, before.logits, TOL, 'backward logits after re-sharing');
  await pathsEqual(m, enc, ref, ref.shared, 'shared again');
  await m.dispose();
  assert.equal(m.plain.held + session.held, 0, 'dispose releases everything');
});

test('a variant held across the idle switch reopens on its next run, shares again, same outputs', async () => {
  const m = await load();
  const enc = await m.tokenizer.encode(TEXT);
  const out = m.mlmOutput();
  const hid = findHiddenStateOutputs(inspectGraph(m.skeleton()), m.folder.numLayers)!;
  let builds = 0;
  const s = await m.openVariant('embeddings', (sk) => (builds++, addGraphOutputs(sk, [hid[2]])));
  const r1 = await s.run(m.feeds([enc], s), [hid[2], out]);
  await idleFor(m);
  assert.ok(s.suspended && !m.sessionNotes().shared && m.sessionNotes().repacked === 1);
  // The reference held by a task (no openVariant call in between): its run reopens it and shares the weights first.
  const r2 = await s.run(m.feeds([enc], s), [hid[2], out]);
  assert.ok(!s.suspended && m.sessionNotes().shared);
  assertClose(r2[hid[2]].data, r1[hid[2]].data, TOL, 'variant hidden 2');
  assertClose(r2[out].data, r1[out].data, TOL, 'variant logits');
  assertClose((await m.run([enc]))[out].data, r1[out].data, TOL, 'plain path vs the variant, shared again');
  assert.equal(await m.openVariant('embeddings', () => assert.fail('built again')), s);
  assert.equal(builds, 1);
  // Idle again: packed again, a second time.
  await idleFor(m);
  assert.deepEqual([m.sessionNotes().shared, m.sessionNotes().repacked], [false, 2]);
  await m.dispose();
  assert.equal(m.plain.held + s.held, 0);
});

test('runs in flight on the one session during the repack finish with the right result', async () => {
  const m = await load();
  const enc = await m.tokenizer.encode(TEXT);
  const ref = await references(m, enc);
  const out = ref.out;
  await m.openVariant('v', (sk) => sk);
  assert.ok(m.sessionNotes().shared);
  // Always one run in flight (two overlapping) until the repack has happened, and two more after it.
  const results: Float32Array[] = [];
  const start = () => m.run([enc]).then((r) => void results.push(r[out].data));
  let prev = start();
  mock.timers.tick(IDLE_MS); // the variant is idle: its release and the repack start
  let extra = 2;
  while (extra > 0) {
    const next = start();
    await prev;
    prev = next;
    if (m.sessionNotes().repacked) extra--;
  }
  await prev;
  await m.settled();
  const diff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
  const kinds = results.map((r) => {
    const toShared = diff(r, ref.shared[out].data);
    const toPacked = diff(r, ref.packed[out].data);
    assert.ok(Math.min(toShared, toPacked) <= TOL, `a run's logits match neither session: ${toShared}, ${toPacked}`);
    return toShared <= toPacked ? 'shared' : 'packed';
  });
  // Shared runs, then packed ones: each finished on the session it started on.
  assert.equal(kinds[0], 'shared');
  assert.equal(kinds[kinds.length - 1], 'packed');
  assert.equal(kinds.join(',').replace(/^(shared,)*(packed,?)*$/, ''), '', kinds.join(','));
  assert.equal(m.plain.held, 1, 'the shared session is released once its runs are done');
  await m.dispose();
  assert.equal(m.plain.held, 0);
});

test('dispose during and after the idle switch releases every session', async () => {
  // Disposed as the idle timer fires, a few turns of the event loop into the release and repack, and after them.
  for (const turns of [0, 1, 3, 10, Infinity]) {
    const m = await load();
    const enc = await m.tokenizer.encode(TEXT);
    const { session } = await m.gradientSession('g', gradOptions(m.mlmOutput()));
    const v = await m.openVariant('v', (sk) => sk);
    await v.run(m.feeds([enc], v), [m.mlmOutput()]);
    mock.timers.tick(IDLE_MS);
    if (turns === Infinity) await m.settled();
    else for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
    await m.dispose();
    assert.equal(m.plain.held + session.held + v.held, 0, `disposed after ${turns} turns`);
    mock.timers.reset();
    await assert.rejects(() => v.run(m.feeds([enc], v), [m.mlmOutput()]), /released|disposed/);
    await assert.rejects(
      async () => m.gradientSession('g', gradOptions(m.mlmOutput())),
      (e: any) => e.code === 'model-disposed',
    );
  }
});
