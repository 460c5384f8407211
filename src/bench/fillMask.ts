// Fill-mask latency: BERT Lens (worker and in-process) against transformers.js, interleaved.
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FillMaskResult, ModelSummary } from '../engine/api';
import type { EngineClient } from '../engine/client';
import { LoadedModel } from '../engine/model';
import { fillMask } from '../engine/tasks/fillMask';
import { maskedText } from './corpus';
import type { Options } from './options';
import { type HF, type Impl, peerPipeline, providersOf } from './peer';
import { summarize, time } from './stats';
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface FillMaskBench {
  model: string;
  folder: string;
  tokens: number;
  text: string;
  ours: { worker: ReturnType<typeof summarize>; inProcess: ReturnType<typeof summarize> };
  peer: ReturnType<typeof summarize>;
  agreement: {
    sameTop5Worker: boolean;
    sameTop5InProcess: boolean;
    maxScoreDiff: number;
    ok: boolean;
    top5: { id: number; token: string; ours: number; peer: number }[];
  };
  providers: { worker: Impl; inProcess: Impl; peer: Impl };
  samples: { worker: number[]; inProcess: number[]; peer: number[] };
}

export async function benchFillMask(
  hf: HF,
  client: EngineClient,
  label: string,
  folder: string,
  o: Options,
): Promise<FillMaskBench> {
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
    throw new Error(
      `${label}: the two tokenizers disagree on the benchmark sentence (${ourIds.length} vs ${peerIds.length} tokens)`,
    );
  }
  if (ourIds.filter((id) => id === local.tokenizer.maskId).length !== 1)
    throw new Error(`${label}: expected exactly one mask`);

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
  const maxScoreDiff = Math.max(
    ...wp.map((x, i) => Math.abs(x.score - p[i].score)),
    ...lp.map((x, i) => Math.abs(x.score - p[i].score)),
  );
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
