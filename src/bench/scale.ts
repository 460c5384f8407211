// `npm run bench -- --model <folder>`: BERT Lens at the scale of a real model (e.g. the random BERT-base that
// `node scripts/make-bert-base.mjs` writes), against one raw onnxruntime-node session and transformers.js.
//
//  1. Load-to-first-answer and peak RSS, each side in its own child process (so that no side shares a heap or
//     a loaded library with another), the sides interleaved over several rounds. "BERT Lens, every feature" then
//     goes on to use attention, embeddings, the hover's similarity and fill-mask again before its peak is read.
//     With `--baseline <dir>`, a built older checkout (its dist/engineWorker.js) runs as one more side: before
//     and after in the same run.
//  2. Steady state in this process, interleaved: fill-mask at ~16 (a hover), ~128 and ~512 tokens (ours / ours
//     once saliency has made the model's sessions share its weights / ours after saliency, then idle, packed again /
//     raw session / transformers.js), embeddings
//     throughput on a feature-extraction export of the same size (`--embed-model`), and attention end to end
//     (worker → JSON text as `attention --json` streams it, and the typed path the panel uses) against the same
//     edited graph run raw.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Device } from '../engine/api';
import { EngineClient } from '../engine/client';
import { LoadedModel } from '../engine/model';
import { addGraphOutputs, findAttentionOutputs, inspectGraph } from '../engine/onnx/graph';
import { readModelFolder } from '../engine/models/modelFolder';
import { openSession, type InputTensor, type RuntimeSession } from '../engine/runtime';
import { TextTokenizer } from '../engine/tokenizer';
import { attentionRows } from '../engine/tasks/attentionTensors';
import { writeJson } from '../cli/jsonWriter';

export interface ScaleOptions {
  model: string;
  device: Device;
  runs: number;
  warmup: number;
  rounds: number;
  baseline?: string;
  writeDoc: boolean;
  /** A feature-extraction export of the same size (`make-bert-base.mjs --feature-extraction`): the embeddings row. */
  embedModel?: string;
}

type Side = 'ours' | 'baseline' | 'raw' | 'peer';

interface ChildResult {
  side: Side;
  firstAnswerMs: number;
  peakAfterFirstMiB: number;
  peakMiB: number;
  rssEndMiB: number;
  pssEndMiB?: number;
  features: string[];
  error?: string;
}

function memory(): { hwm: number; rss: number; pss?: number } {
  const st = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1] ?? NaN) / 1024;
  let pss: number | undefined;
  try {
    pss = Number(/Pss:\s+(\d+)/.exec(fs.readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return { hwm: kb('VmHWM'), rss: kb('VmRSS'), pss };
}

const WORDS =
  'a python list is an ordered and mutable sequence of references to objects and you can append an item to the end of a list in amortized constant time while slicing a list returns a new list that holds a shallow copy of the selected items'.split(
    ' ',
  );

/** A text of about `tokens` tokens (by `count`), ending in one mask. */
async function maskedText(
  count: (t: string) => Promise<number>,
  tokens: number,
  mask: string,
): Promise<{ text: string; n: number }> {
  let lo = 1;
  let hi = tokens;
  let best = { text: '', n: 0 };
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const text = `${Array.from({ length: mid }, (_, i) => WORDS[i % WORDS.length]).join(' ')}. In short, a python list is a very flexible ${mask}.`;
    const n = await count(text);
    if (n <= tokens) {
      best = { text, n };
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

const plainText = (words: number) => `${Array.from({ length: words }, (_, i) => WORDS[i % WORDS.length]).join(' ')}.`;

// ---------------------------------------------------------------------------------------------------------------
// Children

/** Runs one side in this (child) process and prints its result as one JSON line. */
export async function runChild(side: Side, o: ScaleOptions, loadPeer: () => any): Promise<void> {
  const folder = path.resolve(o.model);
  const features: string[] = [];
  let firstAnswerMs = NaN;
  let peakAfterFirst = NaN;
  let end: ReturnType<typeof memory> | undefined; // read before the side tears its sessions down
  const tok = TextTokenizer.load(folder, readModelFolder(folder).tokenizerConfig);
  const mask = tok.maskToken ?? '[MASK]';
  const { text } = await maskedText(async (t) => (await tok.encode(t)).ids.length, 128, mask);
  const tFirst = performance.now(); // tokenizer set-up above is not part of any side's load
  if (side === 'ours' || side === 'baseline') {
    const workerPath =
      side === 'ours'
        ? path.join(__dirname, 'engineWorker.js')
        : path.join(path.resolve(o.baseline!), 'dist', 'engineWorker.js');
    const client = new EngineClient({ workerPath });
    const spec = { model: folder, variant: 'fp32' as const, device: o.device };
    await client.fillMask(spec, { text, topK: 5 });
    firstAnswerMs = performance.now() - tFirst;
    peakAfterFirst = memory().hwm;
    features.push('fill-mask');
    const att = plainText(90);
    if (side === 'ours') {
      // As `attention --json` writes it: the tensors, streamed as JSON text.
      const t = await client.attentionTensors(spec, { text: att });
      await writeJson({ tokens: t.tokens, attentions: attentionRows(t) }, () => undefined);
    } else {
      const r = await client.call<any>('attention', { spec, text: att });
      JSON.stringify({ tokens: r.tokens, attentions: r.attentions });
    }
    features.push('attention');
    await client.embed(spec, { text: att, layer: -1, pooling: 'mean' });
    features.push('embed');
    const w = att.indexOf('list');
    await client.similarity(spec, { text: att, span: [w, w + 4], layer: -1 });
    features.push('similarity (hover)');
    await client.fillMask(spec, { text: `${att} the ${mask} is here.`, topK: 3, spans: [[w, w + 4]] });
    features.push('fill-mask span (hover)');
    // Saliency: the backward graph (gradient of the mask's log-probability), opened on first use (an older
    // engine without saliency skips it).
    try {
      await client.call('saliency', { spec, text: `python is a programming ${mask}.`, method: 'grad-l2' });
      features.push('saliency');
    } catch (err) {
      if (side === 'ours') throw err;
    }
    await client.fillMask(spec, { text, topK: 5 });
    end = memory();
    await client.dispose();
  } else if (side === 'raw') {
    const s = await openSession(path.join(folder, 'onnx', 'model.onnx'), o.device);
    const enc = await tok.encode(text);
    const out = await s.run(feedsFor(s, [enc.ids]), [s.outputNames[0]]);
    softmaxRow(out[s.outputNames[0]].data, enc.ids.indexOf(tok.maskId!), out[s.outputNames[0]].dims[2]);
    firstAnswerMs = performance.now() - tFirst;
    peakAfterFirst = memory().hwm;
    features.push('fill-mask (one plain session)');
    end = memory();
    await s.dispose();
  } else {
    const hf = loadPeer();
    hf.env.allowRemoteModels = false;
    hf.env.allowLocalModels = true;
    hf.env.localModelPath = path.dirname(folder) + path.sep;
    const pipe = await hf.pipeline('fill-mask', path.basename(folder), {
      dtype: 'fp32',
      local_files_only: true,
      device: o.device,
    });
    await pipe(text, { top_k: 5 });
    firstAnswerMs = performance.now() - tFirst;
    peakAfterFirst = memory().hwm;
    features.push('fill-mask');
    end = memory();
    await pipe.dispose?.();
  }
  const m = end ?? memory();
  const r: ChildResult = {
    side,
    firstAnswerMs,
    peakAfterFirstMiB: peakAfterFirst,
    peakMiB: m.hwm,
    rssEndMiB: m.rss,
    pssEndMiB: m.pss,
    features,
  };
  process.stdout.write(`@@child ${JSON.stringify(r)}\n`);
}

function feedsFor(s: RuntimeSession, batch: number[][]): Record<string, InputTensor> {
  const n = batch.length;
  const len = Math.max(...batch.map((b) => b.length));
  const ids = new BigInt64Array(n * len);
  const mask = new BigInt64Array(n * len);
  batch.forEach((b, i) => b.forEach((id, j) => ((ids[i * len + j] = BigInt(id)), (mask[i * len + j] = 1n))));
  const f: Record<string, InputTensor> = {};
  for (const name of s.inputNames) {
    if (name === 'input_ids') f[name] = { type: 'int64', data: ids, dims: [n, len] };
    else if (name === 'attention_mask') f[name] = { type: 'int64', data: mask, dims: [n, len] };
    else if (name === 'token_type_ids') f[name] = { type: 'int64', data: new BigInt64Array(n * len), dims: [n, len] };
  }
  return f;
}

function softmaxRow(logits: Float32Array, row: number, v: number): Float64Array {
  const x = logits.subarray(row * v, (row + 1) * v);
  let max = -Infinity;
  for (const a of x) max = Math.max(max, a);
  const p = new Float64Array(v);
  let s = 0;
  for (let i = 0; i < v; i++) s += p[i] = Math.exp(x[i] - max);
  for (let i = 0; i < v; i++) p[i] /= s;
  return p;
}

function spawnChild(side: Side, o: ScaleOptions): ChildResult {
  const args = [
    path.join(__dirname, 'bench.js'),
    '--child',
    side,
    '--model',
    o.model,
    '--device',
    o.device,
    ...(o.baseline ? ['--baseline', o.baseline] : []),
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('@@child '));
  if (!line)
    return {
      side,
      firstAnswerMs: NaN,
      peakAfterFirstMiB: NaN,
      peakMiB: NaN,
      rssEndMiB: NaN,
      features: [],
      error: (r.stderr || r.stdout || `exit ${r.status}`).split('\n').filter(Boolean).slice(-3).join(' | '),
    };
  return JSON.parse(line.slice('@@child '.length)) as ChildResult;
}

// ---------------------------------------------------------------------------------------------------------------
// Steady state

const median = (xs: number[]) => {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

async function interleave(
  sides: Record<string, () => Promise<unknown>>,
  runs: number,
  warmup: number,
): Promise<Record<string, number[]>> {
  const names = Object.keys(sides);
  for (let i = 0; i < warmup; i++) for (const n of names) await sides[n]();
  const t: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(r + k) % names.length];
      const t0 = performance.now();
      await sides[n]();
      t[n].push(performance.now() - t0);
    }
  }
  return t;
}

/** The bench's idle delay before a model's variants are released and its one session packed again. */
const REPACK_MS = 2000;

/** Runs `first` (a client's first call: it starts the worker, which reads its environment then) with the worker's
 *  idle delay before repacking set to `ms` (0: never). */
async function withRepackDelay<T>(ms: number, first: () => Promise<T>): Promise<T> {
  process.env.BERT_LENS_REPACK_AFTER_MS = String(ms);
  try {
    return await first();
  } finally {
    delete process.env.BERT_LENS_REPACK_AFTER_MS;
  }
}

/** Waits (up to a minute) until `repacked` answers fill-mask exactly as `client` (a packed session alone): its
 *  idle delay has passed and the one session is packed again. */
async function untilRepacked(repacked: EngineClient, client: EngineClient, spec: object, text: string): Promise<void> {
  const scores = async (c: EngineClient) =>
    (await c.fillMask(spec as never, { text, topK: 5 })).masks[0].predictions.map((p) => p.score);
  const want = await scores(client);
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, REPACK_MS));
    const got = await scores(repacked);
    if (got.every((x, k) => x === want[k])) return;
  }
  console.log('  (the engine after saliency did not repack within a minute: its row is the shared session)');
}

interface SteadyRow {
  what: string;
  tokens: number | string;
  p50: Record<string, number>;
  agree?: string;
}

async function steadyState(o: ScaleOptions, loadPeer: () => any): Promise<SteadyRow[]> {
  const folder = path.resolve(o.model);
  const spec = { model: folder, variant: 'fp32' as const, device: o.device };
  const client = new EngineClient({ workerPath: path.join(__dirname, 'engineWorker.js') });
  const base = o.baseline
    ? new EngineClient({ workerPath: path.join(path.resolve(o.baseline), 'dist', 'engineWorker.js') })
    : undefined;
  // The same engine once saliency has opened a backward graph: every session of the model then reads one copy of
  // the weights, unpacked (LoadedModel.shareWeights), and (BERT_LENS_REPACK_AFTER_MS=0) keeps it so however long
  // the bench runs.
  const shared = new EngineClient({ workerPath: path.join(__dirname, 'engineWorker.js') });
  const local = await LoadedModel.load('bench', folder, 'fp32', o.device);
  const onnx = path.join(folder, 'onnx', 'model.onnx');
  const raw = await openSession(onnx, o.device);
  const hf = loadPeer();
  hf.env.allowRemoteModels = false;
  hf.env.allowLocalModels = true;
  hf.env.localModelPath = path.dirname(folder) + path.sep;
  const peer = await hf.pipeline('fill-mask', path.basename(folder), {
    dtype: 'fp32',
    local_files_only: true,
    device: o.device,
  });
  const mask = local.tokenizer.maskToken ?? '[MASK]';
  await withRepackDelay(0, () =>
    shared.call('saliency', { spec, text: `python is a programming ${mask}.`, method: 'grad-l2' }),
  );
  // The same engine once saliency has run and then nothing used its backward session for REPACK_MS (shortened here
  // from the default minute): that session is released and the one session packed again (LoadedModel.repack).
  const repacked = new EngineClient({ workerPath: path.join(__dirname, 'engineWorker.js') });
  await withRepackDelay(REPACK_MS, () =>
    repacked.call('saliency', { spec, text: `python is a programming ${mask}.`, method: 'grad-l2' }),
  );
  await untilRepacked(repacked, client, spec, `python is a programming ${mask}.`);
  const rows: SteadyRow[] = [];
  try {
    for (const target of [16, 128, 512]) {
      const { text, n } = await maskedText(
        async (t) => (await local.tokenizer.encode(t)).ids.length,
        Math.min(target, local.folder.maxLength),
        mask,
      );
      const enc = await local.tokenizer.encode(text);
      const at = enc.ids.indexOf(local.tokenizer.maskId!);
      const sides: Record<string, () => Promise<unknown>> = {
        'BERT Lens (worker)': () => client.fillMask(spec, { text, topK: 5 }),
        'BERT Lens (worker), weights shared (after saliency)': () => shared.fillMask(spec, { text, topK: 5 }),
        'BERT Lens (worker), after saliency, then idle (packed again)': () =>
          repacked.fillMask(spec, { text, topK: 5 }),
        'raw ORT session': async () => {
          const out = await raw.run(feedsFor(raw, [enc.ids]), [raw.outputNames[0]]);
          return softmaxRow(out[raw.outputNames[0]].data, at, out[raw.outputNames[0]].dims[2]);
        },
        'transformers.js': () => peer(text, { top_k: 5 }),
      };
      if (base) sides['BERT Lens before (worker)'] = () => base.fillMask(spec, { text, topK: 5 });
      const ours = (await client.fillMask(spec, { text, topK: 5 })).masks[0].predictions;
      const theirs = (await peer(text, { top_k: 5 })) as { token: number; score: number }[];
      const agree = ours.every((p, i) => p.id === theirs[i].token)
        ? `same top-5, max Δscore ${Math.max(...ours.map((p, i) => Math.abs(p.score - theirs[i].score))).toExponential(1)}`
        : '**top-5 differ**';
      const sharedTop = (await shared.fillMask(spec, { text, topK: 5 })).masks[0].predictions;
      const sharedAgree = sharedTop.every((p, i) => p.id === ours[i].id)
        ? `shared: same top-5, max Δscore ${Math.max(...sharedTop.map((p, i) => Math.abs(p.score - ours[i].score))).toExponential(1)}`
        : '**shared: top-5 differ**';
      const repackedTop = (await repacked.fillMask(spec, { text, topK: 5 })).masks[0].predictions;
      const repackedAgree = repackedTop.every((p, i) => p.id === ours[i].id)
        ? `packed again: max Δscore ${Math.max(...repackedTop.map((p, i) => Math.abs(p.score - ours[i].score))).toExponential(1)}`
        : '**packed again: top-5 differ**';
      const t = await interleave(sides, target <= 16 ? o.runs * 2 : o.runs, o.warmup);
      rows.push({
        what: target <= 16 ? 'fill-mask (hover-sized)' : 'fill-mask',
        tokens: n,
        p50: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])),
        agree: `${agree}; ${sharedAgree}; ${repackedAgree}`,
      });
      console.log(
        `  fill-mask ${n} tokens: ${Object.entries(t)
          .map(([k, v]) => `${k} ${median(v).toFixed(0)} ms`)
          .join(', ')}`,
      );
    }
    // Attention, end to end: worker → nested arrays → JSON text (what `attention --json` and the old panel did),
    // the typed path the panel uses now, and the same edited graph run raw.
    const text = plainText(100);
    const enc = await local.tokenizer.encode(text);
    const g = inspectGraph(new Uint8Array(fs.readFileSync(onnx)));
    const att = findAttentionOutputs(g, local.folder.numLayers)!;
    const rawAtt = await openSession(addGraphOutputs(new Uint8Array(fs.readFileSync(onnx)), att), o.device);
    const sides: Record<string, () => Promise<unknown>> = {
      // What `attention --json` does: the tensors, streamed as JSON text from row views (src/cli/main.ts).
      'BERT Lens (worker) → attention --json text': async () => {
        const t = await client.attentionTensors(spec, { text });
        let size = 0;
        await writeJson({ tokens: t.tokens, attentions: attentionRows(t) }, (c) => void (size += c.length));
        return size;
      },
      'BERT Lens (worker), typed (panel)': () => client.attentionTensors(spec, { text }),
      'raw ORT session (attention graph)': () => rawAtt.run(feedsFor(rawAtt, [enc.ids]), att),
    };
    if (base) {
      sides['BERT Lens before (worker) → JSON'] = async () => {
        const r = await base.call<any>('attention', { spec, text });
        return JSON.stringify({ tokens: r.tokens, attentions: r.attentions }).length;
      };
    }
    const t = await interleave(sides, Math.max(3, Math.ceil(o.runs / 2)), 1);
    rows.push({
      what: 'attention, end to end',
      tokens: enc.ids.length,
      p50: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])),
    });
    console.log(
      `  attention ${enc.ids.length} tokens: ${Object.entries(t)
        .map(([k, v]) => `${k} ${median(v).toFixed(0)} ms`)
        .join(', ')}`,
    );
    await rawAtt.dispose();
    if (o.embedModel) rows.push(...(await embeddingsRows(o, client, base, loadPeer)));
  } finally {
    await shared.dispose();
    await repacked.dispose();
    await client.dispose();
    await base?.dispose();
    await local.dispose();
    await raw.dispose();
    await peer.dispose?.();
  }
  return rows;
}

/** Embeddings throughput on a feature-extraction export: one sentence per call (the hover's cache, the CLI) and 32
 *  per call (the trainer), mean-pooled last layer, against a raw session of the file (same pooling in JS) and
 *  transformers.js' feature-extraction pipeline. */
async function embeddingsRows(
  o: ScaleOptions,
  client: EngineClient,
  base: EngineClient | undefined,
  loadPeer: () => any,
): Promise<SteadyRow[]> {
  const folder = path.resolve(o.embedModel!);
  const spec = { model: folder, variant: 'fp32' as const, device: o.device };
  const tok = TextTokenizer.load(folder, readModelFolder(folder).tokenizerConfig);
  const raw = await openSession(path.join(folder, 'onnx', 'model.onnx'), o.device);
  const hf = loadPeer();
  hf.env.localModelPath = path.dirname(folder) + path.sep;
  const peer = await hf.pipeline('feature-extraction', path.basename(folder), {
    dtype: 'fp32',
    local_files_only: true,
    device: o.device,
  });
  // 32 sentences of 12–30 tokens.
  const sentences = Array.from({ length: 32 }, (_, i) => {
    const start = (i * 7) % WORDS.length;
    return `${Array.from({ length: 10 + (i % 19) }, (_, k) => WORDS[(start + k) % WORDS.length]).join(' ')}.`;
  });
  const encs = await Promise.all(sentences.map((t) => tok.encode(t)));
  const counts = encs.map((e) => e.ids.length);
  const rawPool = async (batch: number[][]) => {
    const out = await raw.run(feedsFor(raw, batch), [raw.outputNames[0]]);
    const t = out[raw.outputNames[0]];
    const [, len, h] = t.dims;
    return batch.map((ids, b) => {
      const v = new Float64Array(h);
      for (let i = 0; i < ids.length; i++) for (let d = 0; d < h; d++) v[d] += t.data[(b * len + i) * h + d];
      return Array.from(v, (x) => x / ids.length);
    });
  };
  const req = (text: string) => ({ text, layer: -1, pooling: 'mean' as const });
  // Agreement: every sentence, ours against transformers.js and the raw session.
  let maxDiff = 0;
  for (let i = 0; i < sentences.length; i++) {
    const a = (await client.embed(spec, req(sentences[i]))).pooled!;
    const b = Array.from((await peer(sentences[i], { pooling: 'mean', normalize: false })).data as Float32Array);
    const c = (await rawPool([encs[i].ids]))[0];
    for (let d = 0; d < a.length; d++) maxDiff = Math.max(maxDiff, Math.abs(a[d] - b[d]), Math.abs(a[d] - c[d]));
  }
  const agree = `same vectors, max Δ ${maxDiff.toExponential(1)}`;
  const rows: SteadyRow[] = [];
  const one: Record<string, () => Promise<unknown>> = {
    'BERT Lens (worker)': async () => {
      for (const t of sentences) await client.embed(spec, req(t));
    },
    'raw ORT session': async () => {
      for (const e of encs) await rawPool([e.ids]);
    },
    'transformers.js': async () => {
      for (const t of sentences) await peer(t, { pooling: 'mean', normalize: false });
    },
  };
  if (base)
    one['BERT Lens before (worker)'] = async () => {
      for (const t of sentences) await base.embed(spec, req(t));
    };
  const batched: Record<string, () => Promise<unknown>> = {
    'BERT Lens (worker)': () =>
      client.embedBatch(spec, { texts: sentences, layer: -1, pooling: 'mean', batchSize: 32 }),
    'raw ORT session': () => rawPool(encs.map((e) => e.ids)),
    'transformers.js': () => peer(sentences, { pooling: 'mean', normalize: false }),
  };
  if (base)
    batched['BERT Lens before (worker)'] = () =>
      base.embedBatch(spec, { texts: sentences, layer: -1, pooling: 'mean', batchSize: 32 });
  const runs = Math.max(3, Math.ceil(o.runs / 2));
  const tokens = `${Math.min(...counts)}–${Math.max(...counts)}`;
  for (const [what, sides] of [
    ['embeddings, 32 sentences one per call', one],
    ['embeddings, 32 sentences in one batch', batched],
  ] as const) {
    const t = await interleave(sides, runs, 1);
    rows.push({ what, tokens, p50: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])), agree });
    console.log(
      `  ${what}: ${Object.entries(t)
        .map(([k, v]) => `${k} ${median(v).toFixed(0)} ms`)
        .join(', ')}`,
    );
  }
  await raw.dispose();
  await peer.dispose?.();
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

function loadAverage(): string {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

interface ScaleData {
  options: ScaleOptions;
  header: string;
  model: string;
  sides: Side[];
  children: Record<string, ChildResult[]>;
  steady: SteadyRow[];
  loadBefore: string;
  loadAfter: string;
}

export async function runScale(o: ScaleOptions, loadPeer: () => any, header: string): Promise<string> {
  const folder = path.resolve(o.model);
  const size = fs.statSync(path.join(folder, 'onnx', 'model.onnx')).size;
  const cfg = JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8'));
  const loadBefore = loadAverage();
  const sides: Side[] = ['ours', 'raw', 'peer', ...(o.baseline ? (['baseline'] as Side[]) : [])];
  const children: Record<string, ChildResult[]> = {};
  for (let r = 0; r < o.rounds; r++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(r + k) % sides.length];
      const c = spawnChild(side, o);
      (children[side] ??= []).push(c);
      console.log(
        `  round ${r + 1} ${side}: first answer ${f0(c.firstAnswerMs)} ms, peak RSS ${f0(c.peakMiB)} MiB${c.error ? ` (error: ${c.error})` : ''}`,
      );
    }
  }
  const steady = await steadyState(o, loadPeer);
  const model = `\`${path.relative(process.cwd(), folder) || folder}\` (${cfg.model_type}, ${cfg.num_hidden_layers} layers, hidden ${cfg.hidden_size}, ${cfg.num_attention_heads} heads, vocabulary ${cfg.vocab_size}; model.onnx ${(size / 2 ** 20).toFixed(0)} MiB fp32)`;
  const data: ScaleData = { options: o, header, model, sides, children, steady, loadBefore, loadAfter: loadAverage() };
  fs.mkdirSync(path.join(process.cwd(), '.bench'), { recursive: true });
  fs.writeFileSync(path.join(process.cwd(), '.bench', 'scale-results.json'), `${JSON.stringify(data, null, 2)}\n`);
  return renderScale(data);
}

/** The markdown of a run (also from a saved .bench/scale-results.json: `--from-results`). */
export function renderScale(d: ScaleData): string {
  const o = d.options;
  const base = o.baseline ? path.relative(process.cwd(), o.baseline) || o.baseline : '';
  const name: Record<Side, string> = {
    ours: 'BERT Lens (worker)',
    baseline: `BERT Lens before (\`${base}\`)`,
    raw: 'raw ORT session',
    peer: 'transformers.js',
  };
  const med = (s: Side, k: keyof ChildResult) => median((d.children[s] ?? []).map((c) => c[k] as number));
  const lines: string[] = [];
  lines.push(d.header);
  lines.push(
    `Model: ${d.model}. Device: ${o.device}. Load average (1/5/15 min) ${d.loadBefore} before, ${d.loadAfter} after: the machine was shared, so only ratios within this run mean anything.`,
  );
  lines.push('');
  lines.push(
    `**Load to first answer and peak RSS** — each side in its own child process, ${o.rounds} rounds, sides rotated; medians. First answer = load + one fill-mask of ~128 tokens. "Every feature" = BERT Lens then also runs attention (≈100 tokens, to JSON), embeddings, the hover's similarity and span fill-mask, saliency (grad-l2, its backward graph; an engine without it skips it, see "Used") and fill-mask again before its peak is read; the other sides run fill-mask only.`,
  );
  lines.push('');
  lines.push(
    '| Side | First answer (ms) | ÷ transformers.js | Peak RSS after first answer (MiB) | Peak RSS, end (MiB) | ÷ one raw session | PSS, end (MiB) | Used |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
  const peerFirst = med('peer', 'firstAnswerMs');
  const rawPeak = med('raw', 'peakMiB');
  for (const s of d.sides) {
    const errs = (d.children[s] ?? []).filter((c) => c.error).map((c) => c.error);
    lines.push(
      `| ${name[s]} | ${f0(med(s, 'firstAnswerMs'))} | ${f2(med(s, 'firstAnswerMs') / peerFirst)} | ${f0(med(s, 'peakAfterFirstMiB'))} | ${f0(med(s, 'peakMiB'))} | ${f2(med(s, 'peakMiB') / rawPeak)} | ${f0(med(s, 'pssEndMiB'))} | ${(d.children[s]?.[0]?.features ?? []).join(', ')}${errs.length ? ` — errors: ${errs[0]}` : ''} |`,
    );
  }
  lines.push('');
  lines.push(
    `**Steady state** — this process, sides interleaved and rotated, ${o.warmup} warm-up, ${o.runs} timed runs per side (attention: ${Math.max(3, Math.ceil(o.runs / 2))}); p50 in ms and ÷ the raw ORT session of the same row group (the floor: one plain session; for attention, the edited graph with attention outputs, run raw).`,
  );
  lines.push('');
  lines.push('| Call | Tokens | Side | p50 (ms) | ÷ raw session | Outputs |');
  lines.push('|---|---:|---|---:|---:|---|');
  for (const row of d.steady) {
    const rawKey = Object.keys(row.p50).find((k) => k.startsWith('raw ORT session'))!;
    for (const [k, v] of Object.entries(row.p50))
      lines.push(
        `| ${row.what} | ${row.tokens} | ${k.replace(o.baseline ?? '\u0000', base)} | ${f0(v)} | ${f2(v / row.p50[rawKey])} | ${row.agree ?? ''} |`,
      );
  }
  return lines.join('\n');
}
