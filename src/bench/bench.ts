// `npm run bench`: BERT Lens against @huggingface/transformers (transformers.js) in one run on one machine, on the
// same ONNX files and the same onnxruntime-node build. A benchmark, not a test: it checks that both sides give the
// same answer (otherwise a timing means nothing), then times them interleaved, and writes a markdown table to
// docs/benchmarks.md (between <!-- bench:start --> and <!-- bench:end -->) and the raw numbers to
// .bench/results.json.
//
//   npm run bench                       # cpu
//   npm run bench -- --device webgpu    # ask both sides for WebGPU; the table says which provider really ran
//   npm run bench -- --runs 20 --warmup 3 --no-doc
import { createRng } from '../engine/training/random';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { execSync } from 'node:child_process';
import type { Device, FillMaskResult, ModelSummary } from '../engine/api';
import { EngineClient } from '../engine/client';
import { LoadedModel } from '../engine/model';
import { embed } from '../engine/tasks/embeddings';
import { fillMask } from '../engine/tasks/fillMask';
import { renderScale, runChild, runScale } from './scale';
import { benchGradients, gradMarkdown } from './gradBench';

// ---------------------------------------------------------------------------------------------------------------
// Options

interface Options {
  device: Device;
  runs: number;
  warmup: number;
  sentences: number;
  passes: number;
  writeDoc: boolean;
  /** --model: the at-scale benchmark on this folder (src/bench/scale.ts). */
  model?: string;
  baseline?: string;
  child?: string;
  rounds: number;
  /** Re-render the at-scale tables from .bench/scale-results.json instead of measuring. */
  fromResults?: boolean;
  /** Run one part only ('gradients'). */
  only?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { device: 'cpu', runs: 50, warmup: 5, sentences: 256, passes: 5, writeDoc: true, rounds: 3 };
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? next();
    if (flag === '--device') o.device = value() as Device;
    else if (flag === '--runs') (o.runs = Number(value())), (runsGiven = true);
    else if (flag === '--model') o.model = value();
    else if (flag === '--baseline') o.baseline = value();
    else if (flag === '--child') o.child = value();
    else if (flag === '--rounds') o.rounds = Number(value());
    else if (flag === '--warmup') o.warmup = Number(value());
    else if (flag === '--sentences') o.sentences = Number(value());
    else if (flag === '--passes') o.passes = Number(value());
    else if (flag === '--no-doc') o.writeDoc = false;
    else if (flag === '--from-results') o.fromResults = true;
    else if (flag === '--only') o.only = value();
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: node dist/bench.js [--device cpu|webgpu] [--runs 50] [--warmup 5] [--sentences 256] [--passes 3] [--no-doc] [--only gradients]\n       node dist/bench.js --model <folder> [--baseline <built checkout>] [--rounds 3] [--runs 10] [--warmup 2] [--no-doc]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!['cpu', 'webgpu', 'cuda', 'dml', 'coreml'].includes(o.device)) throw new Error(`unknown device ${o.device}`);
  if (o.model && !runsGiven) (o.runs = 10), (o.warmup = Math.min(o.warmup, 2));
  if (o.model && !fs.existsSync(path.join(o.model, 'onnx', 'model.onnx'))) throw new Error(`${o.model}: no onnx/model.onnx (make a BERT-base-sized one with: node scripts/make-bert-base.mjs)`);
  return o;
}

// ---------------------------------------------------------------------------------------------------------------
// transformers.js, loaded defensively: it imports `sharp` (an optional native dependency for images) at load time.
// If sharp cannot load on this machine, stub it (text pipelines never touch it) and record that we did.

/* eslint-disable @typescript-eslint/no-explicit-any */
type HF = typeof import('@huggingface/transformers');
let sharpNote = 'sharp loaded normally';

function loadTransformers(): HF {
  try {
    return require('@huggingface/transformers') as HF;
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (!/sharp/i.test(msg)) throw err;
    sharpNote = `sharp failed to load (${msg.split('\n')[0]}); stubbed for the benchmark (text pipelines do not use it)`;
    const Module = require('node:module') as { _load: (req: string, ...rest: unknown[]) => unknown };
    const original = Module._load;
    Module._load = function (req: string, ...rest: unknown[]) {
      if (req === 'sharp') return undefined;
      return original.call(this, req, ...rest);
    };
    for (const k of Object.keys(require.cache)) if (k.includes(`${path.sep}@huggingface${path.sep}transformers${path.sep}`)) delete require.cache[k];
    return require('@huggingface/transformers') as HF;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics and small helpers

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
function summarize(samples: number[]): { p50: number; p95: number; mean: number; min: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p95: quantile(s, 0.95), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0], n: s.length };
}
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : 'n/a');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const exp = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : 'n/a');

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Deterministic PRNG so every run benchmarks the same sentences (the trainer's seeded generator). */
const rng = createRng;

function machine(): { cpus: number; cpuModel: string; node: string; platform: string; date: string; memGiB: number } {
  let cpus = os.cpus().length;
  try {
    cpus = Number(execSync('nproc', { encoding: 'utf8' }).trim()) || cpus;
  } catch {
    /* keep os.cpus() */
  }
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    /* not Linux */
  }
  return { cpus, cpuModel, node: process.version, platform: `${os.platform()} ${os.arch()}`, date: new Date().toISOString(), memGiB: Math.round(os.totalmem() / 2 ** 30) };
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs

const TECH_SENTENCES = [
  'A python list is an ordered and mutable sequence of references to objects.',
  'You can append an item to the end of a list in amortized constant time.',
  'Slicing a list returns a new list that holds a shallow copy of the selected items.',
  'The sort method orders the items in place, while the sorted function returns a new list.',
  'A list comprehension builds a list from an iterable with an optional filter condition.',
  'Inserting at the front of a list is slow because every other element has to move.',
  'When you need fast appends at both ends, a deque from the collections module is better.',
  'Indexing a list with a negative number counts positions from the end of the list.',
  'The len function returns the number of items in a list without walking through it.',
  'Removing an item by value scans the list until the first matching element is found.',
];

/** Technical English of `words` words ending in a masked word (the tokenizer decides the token count). */
function maskedText(words: number, mask: string): string {
  const all = TECH_SENTENCES.join(' ').split(/\s+/);
  const out: string[] = [];
  for (let i = 0; out.length < words; i++) out.push(all[i % all.length]);
  let text = out.join(' ');
  if (!/[.!?]$/.test(text)) text += '.';
  return `${text} In short, a python list is a very flexible ${mask}.`;
}

/** Sentences of varied length for the embedding throughput run. */
function embeddingSentences(n: number): string[] {
  const rand = rng(12345);
  const words = TECH_SENTENCES.join(' ').replace(/[.,]/g, '').toLowerCase().split(/\s+/);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 5 + Math.floor(rand() * 30); // words; tokens checked below
    const start = Math.floor(rand() * words.length);
    const ws: string[] = [];
    for (let k = 0; k < len; k++) ws.push(words[(start + k) % words.length]);
    out.push(`${ws.join(' ')}.`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Results

interface Impl {
  name: string;
  provider?: string;
  fallbackReason?: string;
  loadMs?: number;
}
interface FillMaskBench {
  model: string;
  folder: string;
  tokens: number;
  text: string;
  ours: { worker: ReturnType<typeof summarize>; inProcess: ReturnType<typeof summarize> };
  peer: ReturnType<typeof summarize>;
  agreement: { sameTop5Worker: boolean; sameTop5InProcess: boolean; maxScoreDiff: number; ok: boolean; top5: { id: number; token: string; ours: number; peer: number }[] };
  providers: { worker: Impl; inProcess: Impl; peer: Impl };
  samples: { worker: number[]; inProcess: number[]; peer: number[] };
}
interface EmbedBench {
  model: string;
  folder: string;
  sentences: number;
  tokenRange: [number, number];
  totalTokens: number;
  oursWorker: { sentencesPerSec: number; passesMs: number[] };
  oursInProcess: { sentencesPerSec: number; passesMs: number[] };
  peer: { sentencesPerSec: number; passesMs: number[] };
  peerBatched: { sentencesPerSec: number; passesMs: number[]; batchSize: number };
  oursBatched: { sentencesPerSec: number; passesMs: number[]; batchSize: number; maxAbsDiff: number };
  agreement: { maxAbsDiff: number; maxAbsDiffBatched: number; maxAbsDiffInProcess: number; ok: boolean; hidden: number };
  providers: { worker: Impl; inProcess: Impl; peer: Impl };
  note: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Peer pipelines

interface PeerLoad<P> {
  pipe: P;
  provider: string;
  fallbackReason?: string;
  loadMs: number;
}

async function peerPipeline(hf: HF, task: 'fill-mask' | 'feature-extraction', folder: string, device: Device): Promise<PeerLoad<any>> {
  // transformers.js resolves a model id against env.localModelPath: id = folder name, localModelPath = its parent.
  hf.env.allowRemoteModels = false;
  hf.env.allowLocalModels = true;
  hf.env.localModelPath = path.dirname(folder) + path.sep;
  const id = path.basename(folder);
  const opts = (d: Device) => ({ dtype: 'fp32' as const, local_files_only: true, device: d as any });
  const t0 = performance.now();
  if (device !== 'cpu') {
    try {
      const pipe = await (hf.pipeline as any)(task, id, opts(device));
      return { pipe, provider: device, loadMs: performance.now() - t0 };
    } catch (err) {
      const reason = `${device} failed: ${((err as Error).message ?? String(err)).split('\n')[0].slice(0, 200)}; ran on cpu`;
      const t1 = performance.now();
      const pipe = await (hf.pipeline as any)(task, id, opts('cpu'));
      return { pipe, provider: 'cpu', fallbackReason: reason, loadMs: performance.now() - t1 };
    }
  }
  const pipe = await (hf.pipeline as any)(task, id, opts('cpu'));
  return { pipe, provider: 'cpu', loadMs: performance.now() - t0 };
}

// ---------------------------------------------------------------------------------------------------------------
// Fill-mask latency

async function benchFillMask(hf: HF, client: EngineClient, label: string, folder: string, o: Options): Promise<FillMaskBench> {
  const spec = { model: folder, variant: 'fp32' as const, device: o.device };
  let t0 = performance.now();
  const summary: ModelSummary = await client.loadModel(spec);
  const workerLoad = performance.now() - t0;
  t0 = performance.now();
  const local = await LoadedModel.load(`bench:${label}`, folder, 'fp32', o.device);
  const localLoad = performance.now() - t0;
  const peer = await peerPipeline(hf, 'fill-mask', folder, o.device);

  // ~128 tokens (120–128 with [CLS]/[SEP]) by both tokenizers, exactly one mask.
  const mask = local.tokenizer.maskToken ?? '[MASK]';
  let text = '';
  let tokens = 0;
  for (let words = 60; words < 200; words++) {
    const candidate = maskedText(words, mask);
    const n = (await local.tokenizer.encode(candidate)).ids.length;
    if (n >= 120 && n <= 128) {
      text = candidate;
      tokens = n;
      if (n >= 124) break; // close to 128 is what we want
    }
    if (n > 128) break;
  }
  if (!text) throw new Error(`${label}: could not build a 120–128 token sentence`);
  const peerIds: unknown[] = peer.pipe.tokenizer(text).input_ids.tolist()[0];
  const ourIds = (await local.tokenizer.encode(text)).ids;
  if (peerIds.length !== ourIds.length || peerIds.some((id, i) => Number(id) !== ourIds[i])) {
    throw new Error(`${label}: the two tokenizers disagree on the benchmark sentence (${ourIds.length} vs ${peerIds.length} tokens)`);
  }
  if (ourIds.filter((id) => id === local.tokenizer.maskId).length !== 1) throw new Error(`${label}: expected exactly one mask`);

  const req = { text, topK: 5 };
  const runWorker = () => client.fillMask(spec, req);
  const runLocal = () => fillMask(local, req);
  const runPeer = () => peer.pipe(text, { top_k: 5 }) as Promise<{ score: number; token: number; token_str: string }[]>;

  // Agreement first.
  const w: FillMaskResult = await runWorker();
  const l: FillMaskResult = await runLocal();
  const p = await runPeer();
  const wp = w.masks[0].predictions;
  const lp = l.masks[0].predictions;
  const sameTop5Worker = wp.length === p.length && wp.every((x, i) => x.id === p[i].token);
  const sameTop5InProcess = lp.length === p.length && lp.every((x, i) => x.id === p[i].token);
  const maxScoreDiff = Math.max(...wp.map((x, i) => Math.abs(x.score - p[i].score)), ...lp.map((x, i) => Math.abs(x.score - p[i].score)));
  const agreement = {
    sameTop5Worker,
    sameTop5InProcess,
    maxScoreDiff,
    ok: sameTop5Worker && sameTop5InProcess && maxScoreDiff < 1e-4,
    top5: wp.map((x, i) => ({ id: x.id, token: x.token, ours: x.score, peer: p[i]?.score })),
  };
  if (!agreement.ok) console.warn(`!! ${label}: outputs disagree`, JSON.stringify(agreement));

  // Warm up, then time interleaved, rotating the order each round so no side always runs first.
  const runners: [keyof FillMaskBench['samples'], () => Promise<unknown>][] = [
    ['worker', runWorker],
    ['inProcess', runLocal],
    ['peer', runPeer],
  ];
  for (let i = 0; i < o.warmup; i++) for (const [, fn] of runners) await fn();
  const samples: FillMaskBench['samples'] = { worker: [], inProcess: [], peer: [] };
  for (let i = 0; i < o.runs; i++) {
    for (let k = 0; k < runners.length; k++) {
      const [name, fn] = runners[(i + k) % runners.length];
      samples[name].push(await time(fn));
    }
  }
  await local.dispose();
  await peer.pipe.dispose?.();
  return {
    model: label,
    folder: path.relative(process.cwd(), folder) || folder,
    tokens,
    text,
    ours: { worker: summarize(samples.worker), inProcess: summarize(samples.inProcess) },
    peer: summarize(samples.peer),
    agreement,
    providers: providersOf(summary, workerLoad, local, localLoad, peer),
    samples,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Embedding throughput

/** Which provider each side actually ran on, and how long it took to load. */
function providersOf(summary: ModelSummary, workerLoad: number, local: LoadedModel, localLoad: number, peer: { provider: string; fallbackReason?: string; loadMs: number }) {
  return {
    worker: { name: 'BERT Lens (worker)', provider: summary.provider, fallbackReason: summary.fallbackReason, loadMs: workerLoad },
    inProcess: { name: 'BERT Lens (in-process)', provider: local.plain.provider, fallbackReason: local.plain.fallbackReason, loadMs: localLoad },
    peer: { name: 'transformers.js', provider: peer.provider, fallbackReason: peer.fallbackReason, loadMs: peer.loadMs },
  };
}

async function benchEmbeddings(hf: HF, client: EngineClient, label: string, folder: string, o: Options, note: string): Promise<EmbedBench> {
  const spec = { model: folder, variant: 'fp32' as const, device: o.device };
  let t0 = performance.now();
  const summary = await client.loadModel(spec);
  const workerLoad = performance.now() - t0;
  t0 = performance.now();
  const local = await LoadedModel.load(`bench:${label}`, folder, 'fp32', o.device);
  const localLoad = performance.now() - t0;
  const peer = await peerPipeline(hf, 'feature-extraction', folder, o.device);

  // Keep every sentence within 8–40 tokens ([CLS]/[SEP] included): drop trailing words from the long ones.
  const sentences: string[] = [];
  const counts: number[] = [];
  for (let s of embeddingSentences(o.sentences)) {
    let n = (await local.tokenizer.encode(s)).ids.length;
    while (n > 40) {
      s = `${s.replace(/\.$/, '').split(' ').slice(0, -1).join(' ')}.`;
      n = (await local.tokenizer.encode(s)).ids.length;
    }
    sentences.push(s);
    counts.push(n);
  }
  const tokenRange: [number, number] = [Math.min(...counts), Math.max(...counts)];
  if (tokenRange[0] < 8 || tokenRange[1] > 40) throw new Error(`${label}: sentence lengths ${tokenRange.join('–')} tokens are outside 8–40`);
  const totalTokens = counts.reduce((a, b) => a + b, 0);

  const req = (text: string) => ({ text, layer: -1, pooling: 'mean' as const });
  const BATCH = 32;
  const oursWorker = async (s: string) => (await client.embed(spec, req(s))).pooled!;
  const oursLocal = async (s: string) => (await embed(local, req(s))).pooled!;
  const oursBatch = async (batch: string[]): Promise<number[][]> => (await client.embedBatch(spec, { texts: batch, layer: -1, pooling: 'mean', batchSize: BATCH })).pooled;
  const peerOne = async (s: string): Promise<number[]> => Array.from((await peer.pipe(s, { pooling: 'mean', normalize: false })).data as Float32Array);
  const peerBatch = async (batch: string[]): Promise<number[][]> => {
    const t = await peer.pipe(batch, { pooling: 'mean', normalize: false });
    const h = t.dims[t.dims.length - 1];
    const data = t.data as Float32Array;
    return batch.map((_, i) => Array.from(data.subarray(i * h, (i + 1) * h)));
  };

  // Agreement on every sentence.
  let maxAbsDiff = 0;
  let maxAbsDiffInProcess = 0;
  let maxAbsDiffBatched = 0;
  let hidden = 0;
  const batchedVectors: number[][] = [];
  for (let i = 0; i < sentences.length; i += BATCH) batchedVectors.push(...(await peerBatch(sentences.slice(i, i + BATCH))));
  for (let i = 0; i < sentences.length; i++) {
    const a = await oursWorker(sentences[i]);
    const b = await oursLocal(sentences[i]);
    const c = await peerOne(sentences[i]);
    hidden = c.length;
    if (a.length !== c.length || b.length !== c.length) throw new Error(`${label}: vector sizes differ (${a.length}, ${b.length}, ${c.length})`);
    for (let d = 0; d < c.length; d++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[d] - c[d]));
      maxAbsDiffInProcess = Math.max(maxAbsDiffInProcess, Math.abs(b[d] - c[d]));
      maxAbsDiffBatched = Math.max(maxAbsDiffBatched, Math.abs(a[d] - batchedVectors[i][d]));
    }
  }
  const oursBatchedVectors = await oursBatch(sentences);
  let maxAbsDiffOursBatched = 0;
  oursBatchedVectors.forEach((v, i) => v.forEach((x, d) => (maxAbsDiffOursBatched = Math.max(maxAbsDiffOursBatched, Math.abs(x - batchedVectors[i][d])))));
  const agreement = { maxAbsDiff, maxAbsDiffBatched, maxAbsDiffInProcess, ok: maxAbsDiff < 1e-4 && maxAbsDiffInProcess < 1e-4 && maxAbsDiffBatched < 1e-4 && maxAbsDiffOursBatched < 1e-4, hidden };
  if (!agreement.ok) console.warn(`!! ${label}: pooled vectors disagree`, JSON.stringify(agreement));

  // Throughput: whole passes over the sentences, interleaved and rotated across sides.
  const sides: [string, () => Promise<void>][] = [
    ['worker', async () => { for (const s of sentences) await oursWorker(s); }],
    ['inProcess', async () => { for (const s of sentences) await oursLocal(s); }],
    ['peer', async () => { for (const s of sentences) await peerOne(s); }],
    ['peerBatched', async () => { for (let i = 0; i < sentences.length; i += BATCH) await peerBatch(sentences.slice(i, i + BATCH)); }],
    ['oursBatched', async () => { await oursBatch(sentences); }],
  ];
  // Warm-up: a slice of the set per side.
  for (let i = 0; i < Math.min(o.warmup * 4, sentences.length); i++) {
    await oursWorker(sentences[i]);
    await oursLocal(sentences[i]);
    await peerOne(sentences[i]);
  }
  await peerBatch(sentences.slice(0, BATCH));
  await oursBatch(sentences.slice(0, BATCH));
  const passes: Record<string, number[]> = { worker: [], inProcess: [], peer: [], peerBatched: [], oursBatched: [] };
  for (let r = 0; r < o.passes; r++) {
    for (let k = 0; k < sides.length; k++) {
      const [name, fn] = sides[(r + k) % sides.length];
      passes[name].push(await time(fn));
    }
  }
  const rate = (ms: number[]) => sentences.length / (summarize(ms).p50 / 1000);
  await local.dispose();
  await peer.pipe.dispose?.();
  return {
    model: label,
    folder: path.relative(process.cwd(), folder) || folder,
    sentences: sentences.length,
    tokenRange,
    totalTokens,
    oursWorker: { sentencesPerSec: rate(passes.worker), passesMs: passes.worker },
    oursInProcess: { sentencesPerSec: rate(passes.inProcess), passesMs: passes.inProcess },
    peer: { sentencesPerSec: rate(passes.peer), passesMs: passes.peer },
    peerBatched: { sentencesPerSec: rate(passes.peerBatched), passesMs: passes.peerBatched, batchSize: BATCH },
    oursBatched: { sentencesPerSec: rate(passes.oursBatched), passesMs: passes.oursBatched, batchSize: BATCH, maxAbsDiff: maxAbsDiffOursBatched },
    agreement,
    providers: providersOf(summary, workerLoad, local, localLoad, peer),
    note,
  };
}

/** What transformers.js feature-extraction returns for a model: last_hidden_state or (for a *ForMaskedLM export)
 *  the vocabulary logits, which are not an embedding. */
async function peerFeatureOutput(hf: HF, folder: string): Promise<{ output: string; width: number }> {
  const peer = await peerPipeline(hf, 'feature-extraction', folder, 'cpu');
  const names: string[] = peer.pipe.model.sessions?.model?.outputNames ?? [];
  const t = await peer.pipe('a python list', { pooling: 'mean', normalize: false });
  await peer.pipe.dispose?.();
  const output = names.includes('last_hidden_state') ? 'last_hidden_state' : names.includes('logits') ? 'logits' : names.join(',') || 'unknown';
  return { output, width: t.dims[t.dims.length - 1] };
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const verdict = (ratio: number, lowerIsBetter: boolean) => {
  if (!Number.isFinite(ratio)) return 'n/a';
  const faster = lowerIsBetter ? ratio < 1 : ratio > 1;
  const factor = lowerIsBetter ? 1 / ratio : ratio;
  return faster ? `ours ${f2(factor)}× faster` : `ours ${f2(1 / factor)}× slower`;
};

function markdown(fm: FillMaskBench[], em: EmbedBench | undefined, env: ReturnType<typeof machine>, o: Options, providers: string): string {
  const lines: string[] = [];
  lines.push(`Machine: ${env.cpus} CPU cores (\`nproc\`), ${env.cpuModel}, ${env.memGiB} GiB RAM, ${env.platform}; Node ${env.node}; onnxruntime-node ${ortVersion()}; @huggingface/transformers ${hfVersion()}.`);
  lines.push(`Date: ${env.date}. Command: \`npm run bench${o.device !== 'cpu' ? ` -- --device ${o.device}` : ''}\` (device requested: ${o.device}; ${providers}).`);
  lines.push('');
  lines.push(`**Fill-mask latency** (one ~128-token sentence with one mask, top-5; ${o.warmup} warm-up runs then ${o.runs} timed runs per side, interleaved). Lower is better; ratio = ours / transformers.js p50.`);
  lines.push('');
  lines.push('| Model | Tokens | BERT Lens worker p50 / p95 (ms) | BERT Lens in-process p50 / p95 (ms) | transformers.js p50 / p95 (ms) | Ratio worker/peer (p50) | Ratio in-process/peer (p50) | Outputs agree |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of fm) {
    const rw = r.ours.worker.p50 / r.peer.p50;
    const rl = r.ours.inProcess.p50 / r.peer.p50;
    const agree = r.agreement.ok ? `yes (same top-5 ids, max \\|Δscore\\| ${exp(r.agreement.maxScoreDiff)})` : `**NO** (top-5 same: ${r.agreement.sameTop5Worker}/${r.agreement.sameTop5InProcess}, max \\|Δscore\\| ${exp(r.agreement.maxScoreDiff)})`;
    lines.push(`| ${r.model} (\`${r.folder}\`, fp32) | ${r.tokens} | ${f1(r.ours.worker.p50)} / ${f1(r.ours.worker.p95)} | ${f1(r.ours.inProcess.p50)} / ${f1(r.ours.inProcess.p95)} | ${f1(r.peer.p50)} / ${f1(r.peer.p95)} | **${f2(rw)}** (${verdict(rw, true)}) | ${f2(rl)} (${verdict(rl, true)}) | ${agree} |`);
  }
  if (em) {
    lines.push('');
    lines.push(`**Embeddings throughput** (${em.sentences} sentences of ${em.tokenRange[0]}–${em.tokenRange[1]} tokens, ${em.totalTokens} tokens in all; last layer, mean pooling over all tokens incl. [CLS]/[SEP], not normalised; median of ${o.passes} interleaved passes). Higher is better; ratio = ours / transformers.js sentences/s.`);
    lines.push('');
    lines.push('| Model | Side | Sentences/s | Ratio ours/peer (one by one) | Max \\|Δ\\| vs ours (worker) |');
    lines.push('|---|---|---:|---:|---:|');
    const m = `${em.model} (\`${em.folder}\`, fp32)`;
    const rw = em.oursWorker.sentencesPerSec / em.peer.sentencesPerSec;
    const rl = em.oursInProcess.sentencesPerSec / em.peer.sentencesPerSec;
    lines.push(`| ${m} | BERT Lens worker, one sentence per call (\`client.embed\`) | ${f1(em.oursWorker.sentencesPerSec)} | **${f2(rw)}** (${verdict(rw, false)}) | — |`);
    lines.push(`| ${m} | BERT Lens in-process, one per call (\`embed\`) | ${f1(em.oursInProcess.sentencesPerSec)} | ${f2(rl)} (${verdict(rl, false)}) | ${exp(em.agreement.maxAbsDiffInProcess)} vs peer |`);
    lines.push(`| ${m} | transformers.js, one sentence per call | ${f1(em.peer.sentencesPerSec)} | 1.00 | ${exp(em.agreement.maxAbsDiff)} |`);
    const rb = em.oursWorker.sentencesPerSec / em.peerBatched.sentencesPerSec;
    lines.push(`| ${m} | transformers.js, batches of ${em.peerBatched.batchSize} (padded) | ${f1(em.peerBatched.sentencesPerSec)} | ${f2(rb)} (ours worker vs this: ${verdict(rb, false)}) | ${exp(em.agreement.maxAbsDiffBatched)} |`);
    const rob = em.oursBatched.sentencesPerSec / em.peerBatched.sentencesPerSec;
    lines.push(`| ${m} | BERT Lens worker, batches of ${em.oursBatched.batchSize} (\`client.embedBatch\`, one call) | ${f1(em.oursBatched.sentencesPerSec)} | **${f2(rob)}** vs transformers.js batched (${verdict(rob, false)}) | ${exp(em.oursBatched.maxAbsDiff)} vs peer batched |`);
    lines.push('');
    lines.push(`Pooled vectors agree (max |Δ| < 1e-4): ${em.agreement.ok ? 'yes' : '**NO**'}. ${em.note}`);
  }
  return lines.join('\n');
}

function ortVersion(): string {
  try {
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
let hfLoaded: HF | undefined;
function hfVersion(): string {
  return hfLoaded?.env.version ?? 'unknown';
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';
const DOC_INTRO = `# Benchmarks

BERT Lens runs BERT-family ONNX models on onnxruntime-node. [transformers.js](https://github.com/huggingface/transformers.js)
(\`@huggingface/transformers\`) runs the same ONNX files on the same onnxruntime-node build, so it is the natural peer.
\`npm run bench\` (source: \`src/bench/bench.ts\`) loads the same fp32 files on both sides, checks that they give the same
answer (same top-5 token ids and scores within 1e-4 for fill-mask; pooled vectors within 1e-4 for embeddings), then
times them interleaved in one process on one machine. The table below is rewritten by each run; the raw numbers
(every sample) go to \`.bench/results.json\`.

"BERT Lens worker" is what the extension and the CLI use: \`EngineClient\`, every call posted to the engine's worker
thread and the result structured-cloned back. "In-process" calls the same task function on the main thread
(\`LoadedModel\` + \`fillMask\` / \`embed\`), so the difference between the two is the worker round trip.

`;

const SCALE_START = '<!-- bench-scale:start -->';
const SCALE_END = '<!-- bench-scale:end -->';

function writeDoc(file: string, table: string, notes: string, start = START, end = END): void {
  const block = `${start}\n${table}\n\n${notes}\n${end}`;
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : DOC_INTRO;
  const s = doc.indexOf(start);
  const e = doc.indexOf(end);
  if (s >= 0 && e > s) doc = doc.slice(0, s) + block + doc.slice(e + end.length);
  else doc = `${doc.replace(/\s*$/, '\n\n')}${block}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, doc);
}

// ---------------------------------------------------------------------------------------------------------------

/** Gradient cost (backward/forward, integrated gradients/forward) on the embedded model; its own doc block. */
async function runGradientBench(root: string, o: Options, env: ReturnType<typeof machine>): Promise<void> {
  console.log('gradients: mini-bert-uncased (embedded) …');
  const r = await benchGradients(path.join(root, 'models', 'mini-bert-uncased'), 'mini-bert-uncased (embedded)', (w) => maskedText(w, '[MASK]'), { runs: Math.min(o.runs, 30), warmup: o.warmup });
  const md = gradMarkdown(r, env.date, `${env.cpus} CPU cores (\`nproc\`), ${env.cpuModel}, Node ${env.node}`);
  console.log(`\n${md}\n`);
  fs.mkdirSync(path.join(root, '.bench'), { recursive: true });
  fs.writeFileSync(path.join(root, '.bench', 'gradients.json'), `${JSON.stringify({ machine: env, ...r }, null, 2)}\n`);
  if (!o.writeDoc) return;
  const file = path.join(root, 'docs', 'benchmarks.md');
  const [s, e] = ['<!-- bench-gradients:start -->', '<!-- bench-gradients:end -->'];
  let doc = fs.readFileSync(file, 'utf8');
  const block = `${s}\n${md}\n${e}`;
  const i = doc.indexOf(s);
  const j = doc.indexOf(e);
  doc = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + e.length) : `${doc.replace(/\s*$/, '\n\n')}## Gradients\n\n${block}\n`;
  fs.writeFileSync(file, doc);
  console.log('gradient table written to docs/benchmarks.md');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const root = path.resolve(__dirname, '..');
  if (o.model) o.model = path.resolve(o.model);
  if (o.baseline) o.baseline = path.resolve(o.baseline);
  process.chdir(root);
  if (o.model && o.child) return runChild(o.child as Parameters<typeof runChild>[0], { ...o, model: o.model }, loadTransformers);
  if (o.model) {
    const env = machine();
    console.log(`BERT Lens benchmark at scale — ${env.cpus} cores, ${env.cpuModel}, model ${o.model}, device ${o.device}`);
    const header = `Machine: ${env.cpus} CPU cores (\`nproc\`), ${env.cpuModel}, ${env.memGiB} GiB RAM, ${env.platform}; Node ${env.node}; onnxruntime-node ${ortVersion()}.\nDate: ${env.date}. Command: \`npm run bench -- --model ${path.relative(root, o.model)}${o.baseline ? ` --baseline ${path.relative(root, o.baseline)}` : ''}${o.device !== 'cpu' ? ` --device ${o.device}` : ''}\`.`;
    const table = o.fromResults ? renderScale(JSON.parse(fs.readFileSync(path.join(root, '.bench', 'scale-results.json'), 'utf8'))) : await runScale({ ...o, model: o.model }, loadTransformers, header);
    console.log(`\n${table}\n`);
    if (o.writeDoc) {
      writeDoc(path.join(root, 'docs', 'benchmarks.md'), table, '', SCALE_START, SCALE_END);
      console.log('table written to docs/benchmarks.md (at-scale block)');
    }
    return;
  }
  const started = performance.now();
  const env = machine();
  console.log(`BERT Lens benchmark — ${env.cpus} cores, ${env.cpuModel}, Node ${env.node}, device ${o.device}`);
  if (o.only === 'gradients') return runGradientBench(root, o, env);
  if (o.only !== undefined) throw new Error(`unknown --only ${o.only} (gradients)`);

  const hf = loadTransformers();
  hfLoaded = hf;
  hf.env.allowRemoteModels = false;
  console.log(`transformers.js ${hfVersion()} loaded (${sharpNote})`);

  const client = new EngineClient({ workerPath: path.join(__dirname, 'engineWorker.js') });
  const fm: FillMaskBench[] = [];
  let em: EmbedBench | undefined;
  try {
    for (const [label, folder] of [
      ['mini-bert-uncased (embedded)', path.join(root, 'models', 'mini-bert-uncased')],
      ['bert-mlm (fixture)', path.join(root, 'test', 'fixtures', 'bert-mlm')],
    ] as const) {
      console.log(`fill-mask: ${label} …`);
      const r = await benchFillMask(hf, client, label, folder, o);
      console.log(`  ${r.tokens} tokens; worker p50 ${f1(r.ours.worker.p50)} ms, in-process ${f1(r.ours.inProcess.p50)} ms, transformers.js ${f1(r.peer.p50)} ms; agree: ${r.agreement.ok}`);
      fm.push(r);
    }

    // Embeddings: the embedded model is BertForMaskedLM; transformers.js feature-extraction on it returns
    // whatever the graph outputs, which is the vocabulary logits, not a hidden state.
    const embedded = path.join(root, 'models', 'mini-bert-uncased');
    const probe = await peerFeatureOutput(hf, embedded);
    let embedFolder = embedded;
    let embedLabel = 'mini-bert-uncased (embedded)';
    let note = `transformers.js feature-extraction on the embedded model returns its \`${probe.output}\` (width ${probe.width}).`;
    if (probe.output !== 'last_hidden_state') {
      embedFolder = path.join(root, 'test', 'fixtures', 'bert-feature');
      embedLabel = 'bert-feature (fixture, BertModel)';
      note = `The embedded model is BertForMaskedLM and its ONNX graph outputs only \`${probe.output}\`; transformers.js feature-extraction on it returns those vocabulary logits (width ${probe.width}), not hidden states, so both sides use the BertModel fixture \`test/fixtures/bert-feature\` (output \`last_hidden_state\`) instead. Both sides are shown one sentence per call (like for like) and batched (\`client.embedBatch\` pads similar-length sentences into runs of 32 inside the worker; transformers.js pads batches of 32).`;
    }
    console.log(`embeddings: ${embedLabel} …`);
    em = await benchEmbeddings(hf, client, embedLabel, embedFolder, o, note);
    console.log(`  worker ${f1(em.oursWorker.sentencesPerSec)}/s, in-process ${f1(em.oursInProcess.sentencesPerSec)}/s, transformers.js ${f1(em.peer.sentencesPerSec)}/s (batched: ours ${f1(em.oursBatched.sentencesPerSec)}/s, transformers.js ${f1(em.peerBatched.sentencesPerSec)}/s); agree: ${em.agreement.ok}`);
  } finally {
    await client.dispose();
  }

  const all = [...fm.flatMap((r) => Object.values(r.providers)), ...(em ? Object.values(em.providers) : [])];
  const ran = [...new Set(all.map((p) => `${p.name}: ${p.provider}`))].join(', ');
  const short = (r: string) => /Failed to get a WebGPU adapter[^;.)]*/.exec(r)?.[0] ?? r.slice(0, 120);
  const fallbacks = [...new Set(all.filter((p) => p.fallbackReason).map((p) => `${p.name}: ${short(p.fallbackReason!)} → cpu`))];
  const providers = `providers that ran — ${ran}${fallbacks.length ? `; fallbacks — ${fallbacks.join('; ')}` : ''}`;
  const table = markdown(fm, em, env, o, providers);
  console.log(`\n${table}\n`);

  const results = { machine: env, options: o, versions: { onnxruntimeNode: ortVersion(), transformers: hfVersion() }, sharp: sharpNote, fillMask: fm, embeddings: em, totalSeconds: (performance.now() - started) / 1000 };
  fs.mkdirSync(path.join(root, '.bench'), { recursive: true });
  fs.writeFileSync(path.join(root, '.bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`raw results: .bench/results.json (${results.totalSeconds.toFixed(1)} s)`);
  if (o.writeDoc) {
    writeDoc(path.join(root, 'docs', 'benchmarks.md'), table, docNotes(fm, em, o));
    console.log('table written to docs/benchmarks.md');
  }
  await runGradientBench(root, o, env);
}

/** Notes written under the table. The analysis prose lives outside the markers (hand-written); these are the
 *  facts of this run that the reader needs next to the numbers. */
function docNotes(fm: FillMaskBench[], em: EmbedBench | undefined, o: Options): string {
  const n: string[] = [];
  const disagree = fm.filter((r) => !r.agreement.ok).map((r) => r.model);
  if (disagree.length) n.push(`- **Outputs disagreed** for ${disagree.join(', ')}: the timings of those rows compare different work.`);
  const slower = fm.filter((r) => r.ours.worker.p50 > r.peer.p50).map((r) => `${r.model} fill-mask (worker ${f1(r.ours.worker.p50)} ms vs ${f1(r.peer.p50)} ms)`);
  if (em && em.oursWorker.sentencesPerSec < em.peer.sentencesPerSec) slower.push(`embeddings one by one (${f1(em.oursWorker.sentencesPerSec)} vs ${f1(em.peer.sentencesPerSec)} sentences/s)`);
  if (em && em.oursBatched.sentencesPerSec < em.peerBatched.sentencesPerSec) slower.push(`batched embeddings against batched transformers.js (${f1(em.oursBatched.sentencesPerSec)} vs ${f1(em.peerBatched.sentencesPerSec)} sentences/s)`);
  n.push(slower.length ? `- BERT Lens (worker) was **slower** in this run on: ${slower.join('; ')}. See "Where BERT Lens is slower" below.` : '- BERT Lens (worker) was faster than transformers.js on every row of this run.');
  if (o.device === 'cpu') n.push('- Device: cpu. WebGPU (`npm run bench -- --device webgpu`) was not run on this machine: it has no GPU.');
  else {
    const ps = [...fm.flatMap((r) => Object.values(r.providers)), ...(em ? Object.values(em.providers) : [])];
    const fell = ps.filter((p) => p.provider !== o.device);
    n.push(fell.length ? `- Device ${o.device} was requested but did not start for ${[...new Set(fell.map((p) => p.name))].join(', ')}: those rows ran on ${[...new Set(fell.map((p) => p.provider))].join('/')} (see the provider list above).` : `- Device ${o.device} ran on every side.`);
  }
  return n.join('\n');
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
