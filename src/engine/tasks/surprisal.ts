// Surprisal of every token of a text (GLTR-style: its log-probability and its rank under the model).
// Causal model: log p(t_i | t_<i) from one pass (windows that overlap by half the context for long texts); the
// first token has no prediction. Masked model: pseudo-log-likelihood (Salazar et al., 2020): each token masked
// in turn (or every piece of its word together, `wholeWord`), the masked copies run in batches.
import type { Offset, Prediction, SurprisalRequest, SurprisalResult } from '../api';
import { causalLogits, encodeCausal } from '../causal';
import { EngineError } from '../errors';
import { topK } from '../math';
import type { LoadedModel } from '../model';
import type { Encoded } from '../tokenizer';
import { type TaskContext, checkAborted, encodeFull, requireHead, requireText } from './common';

/** log-softmax value, rank (1 = best) and the top-k of one logits row, for the token `target`. */
function scoreRow(
  m: LoadedModel,
  row: ArrayLike<number>,
  target: number,
  k: number,
): { logprob: number; rank: number; top: Prediction[] } {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  let rank = 1;
  const t = row[target];
  for (let i = 0; i < row.length; i++) if (row[i] > t) rank++;
  const top = topK(row, k).map((id) => ({ token: m.tokenizer.idToToken(id), id, score: Math.exp(row[id] - lse) }));
  return { logprob: t - lse, rank, top };
}

function perplexity(logprobs: (number | null)[]): number {
  const xs = logprobs.filter((x): x is number => x !== null);
  return xs.length ? Math.exp(-xs.reduce((a, b) => a + b, 0) / xs.length) : NaN;
}

export async function surprisal(
  m: LoadedModel,
  req: SurprisalRequest,
  ctx: TaskContext = {},
): Promise<SurprisalResult> {
  const text = requireText(req.text);
  if (m.folder.head === 'causal-lm') return causalSurprisal(m, text, req, ctx);
  requireHead(m, 'Surprisal', ['masked-lm', 'pretraining']);
  return pseudoLikelihood(m, text, req, ctx);
}

async function causalSurprisal(
  m: LoadedModel,
  text: string,
  req: SurprisalRequest,
  ctx: TaskContext,
): Promise<SurprisalResult> {
  const k = Math.max(1, Math.min(req.topK ?? 5, 50));
  const enc = await encodeCausal(m, text);
  const n = enc.ids.length;
  const logprobs: (number | null)[] = new Array(n).fill(null);
  const ranks: (number | null)[] = new Array(n).fill(null);
  const top: (Prediction[] | null)[] = new Array(n).fill(null);
  const L = m.folder.maxLength;
  // Window [s, s + L): predicts tokens s+1 … s+L-1; each next window starts half a context back, so every token
  // after the first keeps at least L/2 tokens of left context.
  let done = 1; // tokens [0, done) already scored (token 0 has no prediction)
  let s = 0;
  while (done < n) {
    checkAborted(ctx);
    const e = Math.min(n, s + L);
    const { data, vocab } = await causalLogits(m, enc.ids.slice(s, e));
    for (let j = Math.max(done, s + 1); j < e; j++) {
      const r = scoreRow(m, data.subarray((j - 1 - s) * vocab, (j - s) * vocab), enc.ids[j], k);
      logprobs[j] = r.logprob;
      ranks[j] = r.rank;
      top[j] = r.top;
    }
    done = e;
    ctx.onProgress?.({ done, total: n });
    if (e >= n) break;
    s = e - Math.floor(L / 2);
  }
  return {
    method: 'causal',
    tokens: enc.tokens,
    offsets: enc.offsets,
    logprobs,
    ranks,
    top,
    perplexity: perplexity(logprobs),
  };
}

async function pseudoLikelihood(
  m: LoadedModel,
  text: string,
  req: SurprisalRequest,
  ctx: TaskContext,
): Promise<SurprisalResult> {
  const k = Math.max(1, Math.min(req.topK ?? 5, 50));
  const batchSize = Math.max(1, Math.min(req.batchSize ?? 16, 128));
  const { maskId } = m.tokenizer;
  if (maskId === undefined)
    throw new EngineError(
      'no-mask-token',
      `The tokenizer of ${m.id} has no mask token, so pseudo-likelihood cannot be computed.`,
      'Use a masked-LM model whose tokenizer defines mask_token.',
    );
  const { full, windows, where } = await encodeFull(m, text);
  const scored = full.ids.map((_, i) => i).filter((i) => !full.specialTokensMask[i]);
  if (!scored.length) throw new EngineError('empty-text', 'The text has no tokens to score.', 'Give some words.');
  // Groups of tokens masked together: one token each, or the pieces of one word (same word id, same window).
  const groups: number[][] = [];
  for (const i of scored) {
    const last = groups[groups.length - 1];
    const j = last?.[last.length - 1];
    if (
      req.wholeWord &&
      j !== undefined &&
      full.wordIds[i] !== null &&
      full.wordIds[i] === full.wordIds[j] &&
      where[i].w === where[j].w
    )
      last.push(i);
    else groups.push([i]);
  }
  // One masked copy of its window per group; a run takes a batch of copies from the same window, all with the
  // same length, and the head runs only at the masked rows.
  const logprobs = new Map<number, { logprob: number; rank: number; top: Prediction[] }>();
  const byWindow = new Map<number, number[][]>();
  for (const g of groups) byWindow.set(where[g[0]].w, [...(byWindow.get(where[g[0]].w) ?? []), g]);
  let done = 0;
  for (const [w, gs] of byWindow) {
    const base = windows[w].encoded;
    for (let b = 0; b < gs.length; b += batchSize) {
      checkAborted(ctx);
      const chunk = gs.slice(b, b + batchSize);
      const batch: Encoded[] = chunk.map((g) => {
        const ids = base.ids.slice();
        for (const i of g) ids[where[i].i] = maskId;
        return { ...base, ids };
      });
      // Every masked row of the chunk, gathered in each copy; copy c reads its own rows.
      const rows = chunk.flatMap((g) => g.map((i) => where[i].i));
      const logits = await m.maskedLogitsBatch(batch, rows);
      const [, kk, v] = logits.dims;
      let r = 0;
      chunk.forEach((g, c) => {
        for (const i of g) {
          const row = logits.data.subarray((c * kk + r) * v, (c * kk + r + 1) * v);
          logprobs.set(i, scoreRow(m, row, full.ids[i], k));
          r++;
        }
      });
      done += chunk.length;
      ctx.onProgress?.({ done, total: groups.length });
    }
  }
  const tokens = scored.map((i) => full.tokens[i]);
  const offsets: Offset[] = scored.map((i) => full.offsets[i]);
  const lp = scored.map((i) => logprobs.get(i)!.logprob);
  return {
    method: 'pseudo-likelihood',
    tokens,
    offsets,
    logprobs: lp,
    ranks: scored.map((i) => logprobs.get(i)!.rank),
    top: scored.map((i) => logprobs.get(i)!.top),
    perplexity: perplexity(lp),
    wholeWord: req.wholeWord === true,
  };
}
