// One copy of the weights per model (#9): the streamed skeleton, the one session that serves every path, and
// variants that share the file's weights.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { LoadedModel } from '../../src/engine/model';
import {
  GATHER_POSITIONS_INPUT,
  addGraphOutputs,
  findAttentionOutputs,
  findHiddenStateOutputs,
  inspectGraph,
} from '../../src/engine/onnx/graph';
import { scanModel } from '../../src/engine/onnx/scan';
import { buildGradientGraph, findWordEmbeddingLookup } from '../../src/engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { openSession } from '../../src/engine/runtime';
import { EngineClient } from '../../src/engine/client';
import type { PreparingProgress } from '../../src/engine/api';
import type { Encoded } from '../../src/engine/tokenizer';
import { EMBEDDED, WORKER, assertClose, fixture } from '../helpers';

const TOL = 1e-6;
/** Against a session that packs its weights, from one that does not (other kernels, see pathsAgree). */
const RAW_TOL = 1e-4;

test('the streamed skeleton has the graph of the file without its weights, and ORT runs it from the file', async () => {
  const file = path.join(EMBEDDED, 'onnx', 'model.onnx');
  const bytes = new Uint8Array(fs.readFileSync(file));
  const sk = scanModel(file);
  assert.ok(sk.bytes.length < bytes.length / 20, `skeleton ${sk.bytes.length} B vs file ${bytes.length} B`);
  assert.ok(
    sk.externalCount >= 30 && sk.externalBytes > bytes.length * 0.95,
    `${sk.externalCount} external initializers, ${sk.externalBytes} B`,
  );
  const a = inspectGraph(bytes);
  const b = inspectGraph(sk.bytes);
  assert.deepEqual(
    b.nodes.map((n) => [n.opType, n.inputs, n.outputs]),
    a.nodes.map((n) => [n.opType, n.inputs, n.outputs]),
  );
  assert.deepEqual(b.inputs, a.inputs);
  assert.deepEqual(b.outputs, a.outputs);
  assert.deepEqual([...b.initializers], [...a.initializers]);
  // The same logits from the file and from the skeleton (weights read from the file's byte ranges).
  const fromFile = await openSession(file);
  const fromSkeleton = await openSession(sk.bytes, 'cpu', { externalDataFolder: EMBEDDED + '/onnx' });
  const feeds = {
    input_ids: { type: 'int64' as const, data: BigInt64Array.from([2n, 1400n, 4n, 3n]), dims: [1, 4] },
    attention_mask: { type: 'int64' as const, data: BigInt64Array.from([1n, 1n, 1n, 1n]), dims: [1, 4] },
    token_type_ids: { type: 'int64' as const, data: new BigInt64Array(4), dims: [1, 4] },
  };
  const x = (await fromFile.run(feeds, ['logits'])).logits;
  const y = (await fromSkeleton.run(feeds, ['logits'])).logits;
  assert.deepEqual(y.dims, [1, 4, 8192]);
  assert.equal(assertClose(y.data, x.data, 0, 'skeleton vs file logits'), 0);
  await fromFile.dispose();
  await fromSkeleton.dispose();
});

test('a truncated file is one clear error, from the scan and from the load', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-scale-'));
  fs.mkdirSync(path.join(dir, 'onnx'));
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    fs.copyFileSync(path.join(EMBEDDED, f), path.join(dir, f));
  const whole = fs.readFileSync(path.join(EMBEDDED, 'onnx', 'model.onnx'));
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), whole.subarray(0, 1_000_000));
  assert.throws(() => scanModel(path.join(dir, 'onnx', 'model.onnx')), /past the end|truncated/);
  await assert.rejects(LoadedModel.load('t', dir, 'fp32'), (e: any) => e.code === 'corrupt-model');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The one session's paths against the reference outputs `r`: the model's own outputs (every row), the gathered
 *  head (those rows only) and the introspection outputs. Returns the plain logits. */
async function sessionPathsAgree(
  m: LoadedModel,
  enc: Encoded,
  r: Record<string, { data: Float32Array; dims: number[] }>,
  names: { out: string; att: string[]; hid: string[] },
  what: string,
): Promise<Float32Array> {
  const { out, att, hid } = names;
  const L = m.folder.numLayers;
  const n = enc.ids.length;
  const v = r[out].dims[2];
  const plain = (await m.run([enc]))[out];
  assert.deepEqual(plain.dims, [1, n, v]);
  assertClose(plain.data, r[out].data, TOL, `${what} plain logits`);
  const rows = [1, n - 2];
  const gathered = await m.maskedLogits(enc, rows);
  assert.deepEqual(gathered.dims, [2, v]);
  rows.forEach((p, i) =>
    assertClose(
      gathered.data.subarray(i * v, (i + 1) * v),
      plain.data.subarray(p * v, (p + 1) * v),
      TOL,
      `${what} gathered row ${p}`,
    ),
  );
  const maps = await m.attentions([enc]);
  maps.forEach((t, l) => assertClose(t.data, r[att[l]].data, TOL, `${what} attention layer ${l}`));
  const hs = await m.hiddenStates([enc], [0, L]);
  assertClose(hs[0].data, r[hid[0]].data, TOL, `${what} hidden 0`);
  assertClose(hs[1].data, r[hid[L]].data, TOL, `${what} hidden ${L}`);
  return plain.data;
}

/** The same model, every path: the model's own outputs, the gathered head, the introspection outputs, a variant
 *  opened with openVariant and (fp32) the backward graph — against sessions of a full in-memory copy of the file
 *  (the way BERT Lens opened it before the skeleton), with the options the one session has alone and once it
 *  shares the file's weights with a variant. */
async function pathsAgree(folder: string, variant: 'fp32' | 'quantized', text: string): Promise<void> {
  const m = await LoadedModel.load('m', folder, variant);
  const notes = m.sessionNotes();
  // int8 exports quantize each MatMul input dynamically (per tensor), so their head keeps every row.
  assert.ok(
    notes.gathered === (variant === 'fp32') && notes.attentions && notes.hidden && notes.sharedWeights && !notes.shared,
    JSON.stringify(notes),
  );
  const enc = await m.tokenizer.encode(text);
  const L = m.folder.numLayers;
  const bytes = new Uint8Array(fs.readFileSync(m.onnxPath));
  const g = inspectGraph(bytes);
  const att = findAttentionOutputs(g, L)!;
  const hid = findHiddenStateOutputs(g, L)!;
  const out = m.mlmOutput();
  const names = { out, att, hid };
  const withOutputs = addGraphOutputs(bytes, [...att, ...hid]);
  assert.deepEqual([...m.plain.outputNames], g.outputs);

  // Alone, the one session packs its weights, as a session with ORT's default options does: equal to one.
  const packedRef = await openSession(withOutputs);
  const rp = await packedRef.run(m.feeds([enc], packedRef), [out, ...att, ...hid]);
  await sessionPathsAgree(m, enc, rp, names, `${variant} alone`);

  // A variant sharing the weights (what the gradient graphs use): the skeleton plus an output. Opening it reopens
  // the one session without its packed copy, with the kernels every session of the model now uses.
  const s = await m.openVariant('test', (sk) => addGraphOutputs(sk, [hid[2]]));
  assert.equal(await m.openVariant('test', () => assert.fail('built twice')), s, 'one session per key');
  assert.ok(m.sessionNotes().shared, 'the one session shares the weights once a variant is open');
  const ref = await openSession(withOutputs, 'cpu', {
    disablePrepacking: true,
    backwardKernels: variant === 'fp32',
  });
  const r = await ref.run(m.feeds([enc], ref), [out, ...att, ...hid]);
  const plain = await sessionPathsAgree(m, enc, r, names, `${variant} shared`);
  const vr = await s.run(m.feeds([enc], s), [hid[2], out]);
  assertClose(vr[hid[2]].data, r[hid[2]].data, TOL, `${variant} variant hidden 2`);
  assertClose(vr[out].data, plain, TOL, `${variant} variant logits`);
  assert.ok(!s.inputNames.includes(GATHER_POSITIONS_INPUT));
  // Against the packed session (ORT's default options) the shared paths differ by float rounding only: MLAS's
  // packed-B SGEMM blocks K differently from its unpacked-B path, and ORT's fused LayerNorm and Gelu kernels
  // round differently from the operators they replace (a few 1e-6 on logits of size ~10). A looser check there.
  // (int8: integer kernels, the same numbers packed or not, and the fusions are kept.)
  const rawDiff = assertClose(plain, rp[out].data, variant === 'fp32' ? RAW_TOL : TOL, `${variant} shared vs packed`);
  assert.ok(variant === 'quantized' || rawDiff > 0, 'the two kernel paths are really different');
  // A variant that packs its own copy (opt-in) takes the default session's path: equal to it.
  const packed = await m.openVariant('test-packed', (sk) => addGraphOutputs(sk, [hid[2]]), { prepack: true });
  const pr = await packed.run(m.feeds([enc], packed), [hid[2], out]);
  assertClose(pr[hid[2]].data, rp[hid[2]].data, TOL, `${variant} packed variant hidden 2`);
  assertClose(pr[out].data, rp[out].data, TOL, `${variant} packed variant logits`);
  if (variant === 'fp32') await backwardAgrees(m, enc, plain, bytes);
  await ref.dispose();
  await packedRef.dispose();
  await m.dispose();
}

/** fp32: the backward graph opened first (saliency's first use, no variant before it) reopens the one session
 *  too, and its forward logits equal the plain path's. */
async function backwardFirstAgrees(folder: string, text: string): Promise<void> {
  const m = await LoadedModel.load('m', folder, 'fp32');
  const enc = await m.tokenizer.encode(text);
  const output = m.mlmOutput();
  const { graph, session } = await m.gradientSession('first', (b) => ({
    objective: { kind: 'logprob' as const, output },
    wrt: { internals: [findWordEmbeddingLookup(b)!.lookup] },
  }));
  assert.ok(m.sessionNotes().shared);
  const f = m.feeds([enc], m.plain);
  f[OBJECTIVE_INPUTS.target] = { type: 'int64', data: BigInt64Array.from([7n]), dims: [1] };
  if (graph.inputs.includes(OBJECTIVE_INPUTS.position))
    f[OBJECTIVE_INPUTS.position] = { type: 'int64', data: BigInt64Array.from([2n]), dims: [1] };
  const a = await session.run(f, [output]);
  const plain = (await m.run([enc]))[output];
  assertClose(a[output].data, plain.data, TOL, 'backward logits vs plain logits');
  await m.dispose();
}

/** The backward path (saliency's gradient graph, an edit of the skeleton reading the file's weights): its forward
 *  logits equal the plain path's, and its gradient with respect to the word-embedding lookup equals the same
 *  gradient graph built from a full in-memory copy of the file (weights inside the graph, same session options).
 *  It holds no Transpose of a weight: ORT would fold each into a private transposed copy. */
async function backwardAgrees(
  m: LoadedModel,
  enc: { ids: number[] },
  plainLogits: Float32Array,
  bytes: Uint8Array,
): Promise<void> {
  const output = m.mlmOutput();
  const options = (b: Uint8Array) => ({
    objective: { kind: 'logprob' as const, output },
    wrt: { internals: [findWordEmbeddingLookup(b)!.lookup] },
    scaleInternals: true,
  });
  const { graph, session } = await m.gradientSession(`saliency:logprob:${output}`, options);
  const g = inspectGraph(graph.bytes);
  const weights = new Set([
    ...g.initializers,
    ...g.nodes.filter((n) => n.opType === 'Identity' && g.initializers.has(n.inputs[0])).flatMap((n) => n.outputs),
  ]);
  const copies = g.nodes.filter((n) => n.opType === 'Transpose' && weights.has(n.inputs[0]));
  assert.deepEqual(
    copies.map((n) => n.inputs[0]),
    [],
    'no Transpose of a weight in the backward graph',
  );
  assert.ok(
    g.nodes.some((n) => n.opType === 'Gemm'),
    'input gradients through weights are Gemm with transB',
  );
  const old = await buildGradientGraph(bytes, options(bytes));
  const oldSession = await openSession(old.bytes, 'cpu', { disablePrepacking: true, backwardKernels: true });
  const lookup = Object.keys(graph.outputs.internals)[0];
  const pos = Math.floor(enc.ids.length / 2);
  const feedsFor = (gg: typeof graph) => {
    const f = m.feeds([enc as never], m.plain);
    f[OBJECTIVE_INPUTS.target] = { type: 'int64', data: BigInt64Array.from([7n]), dims: [1] };
    if (gg.inputs.includes(OBJECTIVE_INPUTS.position))
      f[OBJECTIVE_INPUTS.position] = { type: 'int64', data: BigInt64Array.from([BigInt(pos)]), dims: [1] };
    f[gg.scaleInput!] = { type: 'float32', data: Float32Array.from([1]), dims: [1] };
    return f;
  };
  const a = await session.run(feedsFor(graph), [graph.outputs.gradients[lookup], output]);
  const b = await oldSession.run(feedsFor(old), [old.outputs.gradients[lookup], output]);
  assertClose(a[output].data, plainLogits, TOL, 'backward graph logits vs the plain path');
  const ga = a[graph.outputs.gradients[lookup]].data;
  assert.ok(
    ga.some((x) => Math.abs(x) > 1e-6),
    'a non-zero gradient',
  );
  assertClose(ga, b[old.outputs.gradients[lookup]].data, TOL, 'backward gradient: skeleton vs in-memory graph');
  await oldSession.dispose();
}

test('plain, gathered, introspection and variant paths of one model agree to 1e-6 (embedded fp32)', async () => {
  await pathsAgree(EMBEDDED, 'fp32', 'a python [MASK] is an ordered sequence of references to objects.');
});

test('plain, gathered, introspection and variant paths of one model agree to 1e-6 (embedded int8)', async () => {
  await pathsAgree(EMBEDDED, 'quantized', 'the bank of the river is steep, said the [MASK].');
});

test('plain, gathered, introspection and variant paths of one model agree to 1e-6 (bert-mlm fixture)', async () => {
  await pathsAgree(fixture('bert-mlm'), 'fp32', 'the bank of the river is steep.');
});

test('the backward graph opened first shares the weights too: its logits equal the plain path to 1e-6', async () => {
  await backwardFirstAgrees(EMBEDDED, 'a python [MASK] is an ordered sequence of references to objects.');
});

test('sharing the weights while a fill-mask runs: the run finishes on the packed session, later runs use the new one', async () => {
  const m = await LoadedModel.load('m', EMBEDDED, 'fp32');
  const enc = await m.tokenizer.encode('the bank of the river is [MASK].');
  const out = m.mlmOutput();
  const before = (await m.run([enc]))[out].data;
  const inFlight = m.run([enc]); // not awaited: a request in progress when saliency opens its backward graph
  await m.openVariant('concurrent', (sk) => sk);
  assert.ok(m.sessionNotes().shared);
  const during = (await inFlight)[out].data;
  const after = (await m.run([enc]))[out].data;
  assertClose(during, before, TOL, 'the in-flight run');
  // The view the tasks read (m.plain) follows the new session: same names, runs, numbers within rounding.
  assert.deepEqual([...m.plain.outputNames], [out]);
  const viaView = (await m.plain.run(m.feeds([enc], m.plain), [out]))[out].data;
  assertClose(viaView, after, 0, 'plain view after sharing');
  assertClose(after, before, RAW_TOL, 'shared vs packed');
  await m.dispose();
});

test('a session opened on first use is announced: saliency says "preparing" once, to the call and to listeners', async () => {
  const client = new EngineClient({ workerPath: WORKER });
  const spec = { model: fixture('bert-mlm') };
  const heard: PreparingProgress[] = [];
  const perCall: unknown[] = [];
  const stop = client.onPreparing((p) => heard.push(p));
  try {
    await client.fillMask(spec, { text: 'the [MASK] is steep.' });
    assert.equal(heard.length, 0, 'the one session opens with the model, unannounced');
    const first = await client.saliency(spec, { text: 'the [MASK] is steep.' }, { onProgress: (p) => perCall.push(p) });
    assert.equal(first.scores.length, first.tokens.length);
    assert.deepEqual(
      heard.map((p) => [p.preparing, p.state]),
      [
        ['saliency', 'opening'],
        ['saliency', 'ready'],
      ],
    );
    assert.ok(
      heard.every((p) => p.model === heard[0].model && p.model.length > 0),
      JSON.stringify(heard),
    );
    assert.deepEqual(
      perCall.filter((p) => (p as PreparingProgress).preparing),
      heard,
      'the calling request hears the same events',
    );
    await client.saliency(spec, { text: 'the bank is [MASK].' });
    assert.equal(heard.length, 2, 'the backward session is opened once per model');
    stop();
  } finally {
    await client.dispose();
  }
});
