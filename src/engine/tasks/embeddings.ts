// Contextual embeddings: per-token vectors of any layer, pooled sentence vectors, and the similarity of one
// word's occurrences in different contexts (the "bank" / "bank" lesson).
import type {
  EmbedBatchRequest,
  EmbedBatchResult,
  EmbedRequest,
  EmbedResult,
  Occurrence,
  SimilarityRequest,
  SimilarityResult,
} from '../api';
import { EngineError } from '../errors';
import { cosine, meanRows, norm } from '../math';
import type { LoadedModel } from '../model';
import type { Encoded } from '../tokenizer';
import { type TaskContext, checkAborted, encodeFull, requireText } from './common';

export function resolveLayer(m: LoadedModel, layer = -1): number {
  const L = m.folder.numLayers;
  const l = layer < 0 ? L + 1 + layer : layer;
  if (!Number.isInteger(l) || l < 0 || l > L) {
    throw new EngineError(
      'bad-layer',
      `Layer ${layer} does not exist: ${m.id} has layers 0 (embeddings) to ${L}.`,
      `Pass a layer from 0 to ${L}, or -1 for the last.`,
    );
  }
  return l;
}

/** Per-token vectors of the whole text at `layer`, merged across windows. */
export async function tokenVectors(
  m: LoadedModel,
  text: string,
  layer: number,
  ctx: TaskContext = {},
): Promise<{ full: Encoded; vectors: Float32Array[] }> {
  const { full, windows, where } = await encodeFull(m, text);
  const states: { data: Float32Array; h: number }[] = [];
  for (const w of windows) {
    checkAborted(ctx);
    const [t] = await m.hiddenStates([w.encoded], [layer]);
    states.push({ data: t.data, h: t.dims[2] });
    ctx.onProgress?.({ done: states.length, total: windows.length });
  }
  const vectors = where.map(({ w, i }) => states[w].data.slice(i * states[w].h, (i + 1) * states[w].h));
  return { full, vectors };
}

export async function embed(m: LoadedModel, req: EmbedRequest, ctx: TaskContext = {}): Promise<EmbedResult> {
  const text = requireText(req.text);
  const layer = resolveLayer(m, req.layer ?? -1);
  const pooling = req.pooling ?? 'none';
  if (!['none', 'cls', 'mean', 'max'].includes(pooling))
    throw new EngineError('bad-pooling', `Unknown pooling "${pooling}".`, 'Use none, cls, mean or max.');
  const { full, vectors } = await tokenVectors(m, text, layer, ctx);
  const result: EmbedResult = { tokens: full.tokens, offsets: full.offsets, layer };
  if (pooling === 'none') result.vectors = vectors.map((v) => Array.from(v));
  else result.pooled = pool(vectors, pooling);
  return result;
}

function pool(vectors: ArrayLike<number>[], pooling: 'cls' | 'mean' | 'max'): number[] {
  if (pooling === 'cls') return Array.from(vectors[0]);
  if (pooling === 'mean') return meanRows(vectors);
  return Array.from(vectors[0]).map((_, d) => Math.max(...vectors.map((v) => v[d])));
}

/** Pooled vectors for many texts: texts that fit are padded into batches (one ONNX run per batch, pooling over
 *  each text's own tokens); a longer text goes through the windowed path on its own. */
export async function embedBatch(
  m: LoadedModel,
  req: EmbedBatchRequest,
  ctx: TaskContext = {},
): Promise<EmbedBatchResult> {
  if (!Array.isArray(req.texts) || req.texts.length === 0)
    throw new EngineError('empty-text', 'No texts to embed.', 'Pass at least one text.');
  const layer = resolveLayer(m, req.layer ?? -1);
  const pooling = req.pooling ?? 'mean';
  if (!['cls', 'mean', 'max'].includes(pooling))
    throw new EngineError('bad-pooling', `Unknown pooling "${pooling}".`, 'Use cls, mean or max.');
  const size = Math.max(1, Math.min(req.batchSize ?? 32, 256));
  const pooled: number[][] = new Array(req.texts.length);
  const encoded = await Promise.all(req.texts.map((t, i) => m.tokenizer.encode(requireText(t, `text ${i + 1}`))));
  const fits = encoded.map((e, i) => (e.ids.length <= m.folder.maxLength ? i : -1)).filter((i) => i >= 0);
  // Similar lengths together, so that padding stays small.
  fits.sort((a, b) => encoded[a].ids.length - encoded[b].ids.length);
  for (let b = 0; b < fits.length; b += size) {
    checkAborted(ctx);
    const idx = fits.slice(b, b + size);
    const [t] = await m.hiddenStates(
      idx.map((i) => encoded[i]),
      [layer],
    );
    const [, seq, h] = t.dims;
    idx.forEach((i, k) => {
      const rows = Array.from({ length: encoded[i].ids.length }, (_, r) =>
        t.data.subarray((k * seq + r) * h, (k * seq + r + 1) * h),
      );
      pooled[i] = pool(rows, pooling);
    });
    ctx.onProgress?.({ done: Math.min(b + size, fits.length), total: req.texts.length });
  }
  for (let i = 0; i < req.texts.length; i++) {
    if (pooled[i]) continue;
    pooled[i] = pool((await tokenVectors(m, req.texts[i], layer, ctx)).vectors, pooling);
  }
  return { layer, pooled };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Mean vector of the tokens overlapping [start, end). */
function spanVector(
  full: Encoded,
  vectors: Float32Array[],
  start: number,
  end: number,
): { vector: number[]; tokens: number[] } | undefined {
  const tokens = full.offsets
    .map((o, i) => (!full.specialTokensMask[i] && o[0] < end && o[1] > start ? i : -1))
    .filter((i) => i >= 0);
  if (!tokens.length) return undefined;
  return { vector: meanRows(tokens.map((i) => vectors[i])), tokens };
}

export async function similarity(
  m: LoadedModel,
  req: SimilarityRequest,
  ctx: TaskContext = {},
): Promise<SimilarityResult> {
  const text = requireText(req.text);
  const [s, e] = req.span;
  const word = text.slice(s, e);
  if (!word.trim())
    throw new EngineError('empty-selection', 'There is no word at that position.', 'Put the cursor on a word.');
  const layer = resolveLayer(m, req.layer ?? -1);
  const { full, vectors } = await tokenVectors(m, text, layer, ctx);
  const target = spanVector(full, vectors, s, e);
  if (!target) throw new EngineError('empty-selection', `"${word}" has no tokens.`, 'Put the cursor on a word.');
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(word)}(?![\\p{L}\\p{N}_])`, 'giu');
  const occurrences: Occurrence[] = [];
  for (const mt of text.matchAll(re)) {
    const start = mt.index!;
    if (start === s) continue;
    const v = spanVector(full, vectors, start, start + mt[0].length);
    if (v)
      occurrences.push({ start, end: start + mt[0].length, text: mt[0], similarity: cosine(target.vector, v.vector) });
  }
  occurrences.sort((a, b) => b.similarity - a.similarity);
  return {
    word,
    layer,
    occurrences,
    vector: target.vector,
    norm: norm(target.vector),
    pieces: target.tokens.map((i) => full.tokens[i]),
    ids: target.tokens.map((i) => full.ids[i]),
  };
}
