// The peer: transformers.js (`@huggingface/transformers`) on the same ONNX files and onnxruntime-node build.
// transformers.js, loaded defensively: it imports `sharp` (an optional native dependency for images) at load time.
// If sharp cannot load on this machine, stub it (text pipelines never touch it) and record that we did.
import * as path from 'node:path';
import type { Device, ModelSummary } from '../engine/api';
import type { LoadedModel } from '../engine/model';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type HF = typeof import('@huggingface/transformers');
let sharpNoteText = 'sharp loaded normally';
/** How `sharp` loaded (transformers.js imports it at load time). */
export const sharpNote = (): string => sharpNoteText;

export function loadTransformers(): HF {
  try {
    return require('@huggingface/transformers') as HF;
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (!/sharp/i.test(msg)) throw err;
    sharpNoteText = `sharp failed to load (${msg.split('\n')[0]}); stubbed for the benchmark (text pipelines do not use it)`;
    const Module = require('node:module') as { _load: (req: string, ...rest: unknown[]) => unknown };
    const original = Module._load;
    Module._load = function (req: string, ...rest: unknown[]) {
      if (req === 'sharp') return undefined;
      return original.call(this, req, ...rest);
    };
    for (const k of Object.keys(require.cache))
      if (k.includes(`${path.sep}@huggingface${path.sep}transformers${path.sep}`)) delete require.cache[k];
    return require('@huggingface/transformers') as HF;
  }
}

let hfLoaded: HF | undefined;
/** Records the loaded transformers.js, for its version in the report. */
export function rememberTransformers(hf: HF): void {
  hfLoaded = hf;
}
export function hfVersion(): string {
  return hfLoaded?.env.version ?? 'unknown';
}

// Peer pipelines

export interface PeerLoad<P> {
  pipe: P;
  provider: string;
  fallbackReason?: string;
  loadMs: number;
}

export async function peerPipeline(
  hf: HF,
  task: 'fill-mask' | 'feature-extraction',
  folder: string,
  device: Device,
): Promise<PeerLoad<any>> {
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

export interface Impl {
  name: string;
  provider?: string;
  fallbackReason?: string;
  loadMs?: number;
}

/** Which provider each side actually ran on, and how long it took to load. */
export function providersOf(
  summary: ModelSummary,
  workerLoad: number,
  local: LoadedModel,
  localLoad: number,
  peer: { provider: string; fallbackReason?: string; loadMs: number },
) {
  return {
    worker: {
      name: 'BERT Lens (worker)',
      provider: summary.provider,
      fallbackReason: summary.fallbackReason,
      loadMs: workerLoad,
    },
    inProcess: {
      name: 'BERT Lens (in-process)',
      provider: local.plain.provider,
      fallbackReason: local.plain.fallbackReason,
      loadMs: localLoad,
    },
    peer: {
      name: 'transformers.js',
      provider: peer.provider,
      fallbackReason: peer.fallbackReason,
      loadMs: peer.loadMs,
    },
  };
}
