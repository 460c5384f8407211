// Masking preview: BERT's pre-training corruption applied to the user's text (masking.ts), and what the model
// predicts at every chosen position — the [MASK]ed ones, and the random and kept ones, where it still has to
// recover the original token.
import type { MaskPreviewRequest, MaskPreviewResult, Prediction } from '../api';
import { EngineError } from '../errors';
import { maskTokens } from '../masking';
import { softmax, topK } from '../math';
import type { LoadedModel } from '../model';
import { type TaskContext, checkAborted, requireHead, requireText } from './common';

const SPECIAL_LIKE = /^\[.*\]$|^<.*>$/;
const excludedCache = new WeakMap<LoadedModel, Set<number>>();

/** Ids a random replacement never takes: special tokens and [unused…]-style entries. */
export function excludedIds(m: LoadedModel): Set<number> {
  let s = excludedCache.get(m);
  if (!s) {
    s = new Set<number>();
    const n = m.tokenizer.vocabSize();
    for (let id = 0; id < n; id++) if (SPECIAL_LIKE.test(m.tokenizer.idToToken(id))) s.add(id);
    excludedCache.set(m, s);
  }
  return s;
}

export async function maskPreview(
  m: LoadedModel,
  req: MaskPreviewRequest,
  ctx: TaskContext = {},
): Promise<MaskPreviewResult> {
  requireHead(m, 'The masking preview', ['masked-lm', 'pretraining']);
  const text = requireText(req.text);
  const { maskId, maskToken } = m.tokenizer;
  if (maskId === undefined || maskToken === undefined) {
    throw new EngineError(
      'no-mask-token',
      `The tokenizer of ${m.id} has no mask token.`,
      'Use a masked-LM model whose tokenizer defines mask_token.',
    );
  }
  const seed = req.seed ?? 0;
  if (!Number.isInteger(seed))
    throw new EngineError(
      'bad-seed',
      `The seed must be an integer (got ${String(req.seed)}).`,
      'Pass --seed with a whole number.',
    );
  const topk = Math.max(1, Math.min(req.topK ?? 5, 50));
  const enc = await m.tokenizer.encode(text);
  if (enc.ids.length > m.folder.maxLength) {
    throw new EngineError(
      'too-long',
      `The masking preview works on one window: the text has ${enc.ids.length} tokens, ${m.id} takes ${m.folder.maxLength}.`,
      'Select a sentence or a paragraph.',
    );
  }
  const r = maskTokens(enc.ids, enc.specialTokensMask, {
    seed,
    maskId,
    vocabSize: m.tokenizer.vocabSize(),
    excludeIds: excludedIds(m),
  });
  if (!r.chosen.length) throw new EngineError('empty-text', 'The text has no token to mask.', 'Write a sentence.');
  const corrupted = {
    ...enc,
    ids: r.ids,
    tokens: r.ids.map((id, i) => (id === enc.ids[i] ? enc.tokens[i] : m.tokenizer.idToToken(id))),
  };
  checkAborted(ctx);
  const positions = r.chosen.map((c) => c.position);
  const logits = await m.maskedLogits(corrupted, positions);
  const v = logits.dims[1];
  const predictions = r.chosen.map((c, k) => {
    const pr = softmax(logits.data.subarray(k * v, (k + 1) * v));
    const top: Prediction[] = topK(pr, topk).map((id) => ({ token: m.tokenizer.idToToken(id), id, score: pr[id] }));
    let rank = 1;
    for (let id = 0; id < pr.length; id++) if (pr[id] > pr[c.original]) rank++;
    return {
      position: c.position,
      predictions: top,
      original: { token: enc.tokens[c.position], id: c.original, score: pr[c.original], rank },
    };
  });
  return {
    tokens: enc.tokens,
    corrupted: corrupted.tokens,
    offsets: enc.offsets,
    seed,
    maskToken,
    chosen: r.chosen.map((c) => ({
      position: c.position,
      original: enc.tokens[c.position],
      replacement: corrupted.tokens[c.position],
      kind: c.kind,
    })),
    predictions,
  };
}
