// Embedding throughput: BERT Lens (worker, in-process, batched) against transformers.js, interleaved.
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EngineClient } from '../engine/client';
import { LoadedModel } from '../engine/model';
import { embed } from '../engine/tasks/embeddings';
import { embeddingSentences } from './corpus';
import type { Options } from './options';
import { type HF, type Impl, peerPipeline, providersOf } from './peer';
import { summarize, time } from './stats';
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface EmbedBench {
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
  agreement: {
    maxAbsDiff: number;
    maxAbsDiffBatched: number;
    maxAbsDiffInProcess: number;
    ok: boolean;
    hidden: number;
  };
  providers: { worker: Impl; inProcess: Impl; peer: Impl };
  note: string;
}

// Embedding throughput

export async function benchEmbeddings(
  hf: HF,
  client: EngineClient,
  label: string,
  folder: string,
  o: Options,
  note: string,
): Promise<EmbedBench> {
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
  if (tokenRange[0] < 8 || tokenRange[1] > 40)
    throw new Error(`${label}: sentence lengths ${tokenRange.join('–')} tokens are outside 8–40`);
  const totalTokens = counts.reduce((a, b) => a + b, 0);

  const req = (text: string) => ({ text, layer: -1, pooling: 'mean' as const });
  const BATCH = 32;
  const oursWorker = async (s: string) => (await client.embed(spec, req(s))).pooled!;
  const oursLocal = async (s: string) => (await embed(local, req(s))).pooled!;
  const oursBatch = async (batch: string[]): Promise<number[][]> =>
    (await client.embedBatch(spec, { texts: batch, layer: -1, pooling: 'mean', batchSize: BATCH })).pooled;
  const peerOne = async (s: string): Promise<number[]> =>
    Array.from((await peer.pipe(s, { pooling: 'mean', normalize: false })).data as Float32Array);
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
  for (let i = 0; i < sentences.length; i += BATCH)
    batchedVectors.push(...(await peerBatch(sentences.slice(i, i + BATCH))));
  for (let i = 0; i < sentences.length; i++) {
    const a = await oursWorker(sentences[i]);
    const b = await oursLocal(sentences[i]);
    const c = await peerOne(sentences[i]);
    hidden = c.length;
    if (a.length !== c.length || b.length !== c.length)
      throw new Error(`${label}: vector sizes differ (${a.length}, ${b.length}, ${c.length})`);
    for (let d = 0; d < c.length; d++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[d] - c[d]));
      maxAbsDiffInProcess = Math.max(maxAbsDiffInProcess, Math.abs(b[d] - c[d]));
      maxAbsDiffBatched = Math.max(maxAbsDiffBatched, Math.abs(a[d] - batchedVectors[i][d]));
    }
  }
  const oursBatchedVectors = await oursBatch(sentences);
  let maxAbsDiffOursBatched = 0;
  oursBatchedVectors.forEach((v, i) =>
    v.forEach((x, d) => (maxAbsDiffOursBatched = Math.max(maxAbsDiffOursBatched, Math.abs(x - batchedVectors[i][d])))),
  );
  const agreement = {
    maxAbsDiff,
    maxAbsDiffBatched,
    maxAbsDiffInProcess,
    ok: maxAbsDiff < 1e-4 && maxAbsDiffInProcess < 1e-4 && maxAbsDiffBatched < 1e-4 && maxAbsDiffOursBatched < 1e-4,
    hidden,
  };
  if (!agreement.ok) console.warn(`!! ${label}: pooled vectors disagree`, JSON.stringify(agreement));

  // Throughput: whole passes over the sentences, interleaved and rotated across sides.
  const sides: [string, () => Promise<void>][] = [
    [
      'worker',
      async () => {
        for (const s of sentences) await oursWorker(s);
      },
    ],
    [
      'inProcess',
      async () => {
        for (const s of sentences) await oursLocal(s);
      },
    ],
    [
      'peer',
      async () => {
        for (const s of sentences) await peerOne(s);
      },
    ],
    [
      'peerBatched',
      async () => {
        for (let i = 0; i < sentences.length; i += BATCH) await peerBatch(sentences.slice(i, i + BATCH));
      },
    ],
    [
      'oursBatched',
      async () => {
        await oursBatch(sentences);
      },
    ],
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
    oursBatched: {
      sentencesPerSec: rate(passes.oursBatched),
      passesMs: passes.oursBatched,
      batchSize: BATCH,
      maxAbsDiff: maxAbsDiffOursBatched,
    },
    agreement,
    providers: providersOf(summary, workerLoad, local, localLoad, peer),
    note,
  };
}

/** What transformers.js feature-extraction returns for a model: last_hidden_state or (for a *ForMaskedLM export)
 *  the vocabulary logits, which are not an embedding. */
export async function peerFeatureOutput(hf: HF, folder: string): Promise<{ output: string; width: number }> {
  const peer = await peerPipeline(hf, 'feature-extraction', folder, 'cpu');
  const names: string[] = peer.pipe.model.sessions?.model?.outputNames ?? [];
  const t = await peer.pipe('a python list', { pooling: 'mean', normalize: false });
  await peer.pipe.dispose?.();
  const output = names.includes('last_hidden_state')
    ? 'last_hidden_state'
    : names.includes('logits')
      ? 'logits'
      : names.join(',') || 'unknown';
  return { output, width: t.dims[t.dims.length - 1] };
}
