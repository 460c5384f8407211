// Fill-mask: top-k predictions at every mask (mask tokens in the text, or character spans masked piece by
// piece), optional target words, and whole-word candidates for masked spans. The vocabulary head runs for the
// masked rows only.
import type {
  FillMaskRequest,
  FillMaskResult,
  MaskResult,
  Offset,
  Prediction,
  SpanResult,
  WordCandidate,
} from '../api';
import { EngineError } from '../errors';
import { softmax, topK } from '../math';
import type { LoadedModel } from '../model';
import type { Encoded } from '../tokenizer';
import { type TaskContext, checkAborted, checkTopK, encodeFull, requireHead, requireText } from './common';

const overlaps = (o: Offset, s: Offset) => o[0] < s[1] && o[1] > s[0];

function applySpans(e: Encoded, spans: Offset[], maskId: number, maskToken: string): void {
  e.ids.forEach((_, i) => {
    if (e.specialTokensMask[i]) return;
    if (spans.some((s) => overlaps(e.offsets[i], s))) {
      e.ids[i] = maskId;
      e.tokens[i] = maskToken;
    }
  });
}

async function targetIds(m: LoadedModel, targets: string[]): Promise<{ word: string; id: number }[]> {
  const out: { word: string; id: number }[] = [];
  for (const word of targets) {
    const direct = [word, `Ġ${word}`, `▁${word}`].map((t) => m.tokenizer.tokenToId(t)).find((id) => id !== undefined);
    if (direct !== undefined) {
      out.push({ word, id: direct });
      continue;
    }
    const e = await m.tokenizer.encode(word, undefined, false);
    if (e.ids.length) out.push({ word, id: e.ids[0] }); // several pieces: scored by the first, as transformers does
  }
  return out;
}

export async function fillMask(m: LoadedModel, req: FillMaskRequest, ctx: TaskContext = {}): Promise<FillMaskResult> {
  requireHead(m, 'Fill-mask', ['masked-lm', 'pretraining']);
  const text = requireText(req.text);
  const topk = Math.max(1, Math.min(checkTopK(req.topK, 5), 100));
  const { maskId, maskToken } = m.tokenizer;
  if (maskId === undefined || maskToken === undefined) {
    throw new EngineError(
      'no-mask-token',
      `The tokenizer of ${m.id} has no mask token.`,
      'Use a masked-LM model whose tokenizer defines mask_token.',
    );
  }
  const spans = (req.spans ?? []).filter((s) => s[1] > s[0]);
  if (req.spans && spans.length === 0)
    throw new EngineError('empty-selection', 'The span to mask is empty.', 'Select a word, or put the cursor on one.');
  if (!spans.length && !text.includes(maskToken)) {
    throw new EngineError(
      'no-mask',
      `The text has no ${maskToken}.`,
      `Write ${maskToken} where a word should be predicted (or select a word to mask in the editor).`,
    );
  }

  const { full, windows, where } = await encodeFull(m, text);
  if (spans.length) {
    applySpans(full, spans, maskId, maskToken);
    for (const w of windows) if (w.encoded !== full) applySpans(w.encoded, spans, maskId, maskToken);
  }
  const maskPositions = full.ids.map((id, i) => (id === maskId ? i : -1)).filter((i) => i >= 0);
  if (!maskPositions.length)
    throw new EngineError(
      'no-mask',
      'No token falls inside the span to mask.',
      'Select a word rather than spaces or punctuation.',
    );

  const targets = req.targets?.length ? await targetIds(m, req.targets) : [];

  // Group masks by window and run the head once per window for its masks.
  const byWindow = new Map<number, number[]>();
  for (const p of maskPositions) {
    const w = where[p].w;
    byWindow.set(w, [...(byWindow.get(w) ?? []), p]);
  }
  const probs = new Map<number, Float64Array>();
  let done = 0;
  for (const [w, ps] of byWindow) {
    checkAborted(ctx);
    const logits = await m.maskedLogits(
      windows[w].encoded,
      ps.map((p) => where[p].i),
    );
    const v = logits.dims[1];
    ps.forEach((p, k) => probs.set(p, softmax(logits.data.subarray(k * v, (k + 1) * v))));
    ctx.onProgress?.({ done: ++done, total: byWindow.size });
  }

  const masks: MaskResult[] = maskPositions.map((p) => {
    const pr = probs.get(p)!;
    const predictions: Prediction[] = topK(pr, topk).map((id) => ({
      token: m.tokenizer.idToToken(id),
      id,
      score: pr[id],
    }));
    const r: MaskResult = { position: p, offset: full.offsets[p], predictions };
    if (targets.length) r.targets = targets.map((t) => ({ token: t.word, id: t.id, score: pr[t.id] }));
    return r;
  });

  let spanResults: SpanResult[] | undefined;
  if (spans.length) {
    spanResults = [];
    for (const s of spans) {
      const idx = masks.map((mk, k) => (overlaps(mk.offset, s) ? k : -1)).filter((k) => k >= 0);
      if (!idx.length) continue;
      const original = text.slice(s[0], s[1]);
      const origEnc = await m.tokenizer.encode(original, undefined, false);
      spanResults.push({
        offset: s,
        original,
        pieces: origEnc.tokens,
        masks: idx,
        candidates: await wholeWords(
          m,
          idx.map((k) => probs.get(masks[k].position)!),
          topk,
        ),
      });
    }
  }
  return { tokens: full.tokens, masks, spans: spanResults, maskToken };
}

/** Beam search over the pieces of a masked span: each candidate is one prediction per piece, scored by the
 *  product of their probabilities (BERT predicts pieces independently), decoded into a word. A word must start
 *  with a word-initial piece. */
async function wholeWords(m: LoadedModel, perPiece: Float64Array[], k: number): Promise<WordCandidate[]> {
  const width = Math.max(k * 3, 10);
  let beam: { ids: number[]; score: number }[] = [{ ids: [], score: 1 }];
  perPiece.forEach((pr, piece) => {
    const options = topK(pr, width, (id) => {
      const tok = m.tokenizer.idToToken(id);
      if (/^\[.*\]$|^<.*>$/.test(tok)) return true; // special tokens are not words
      return piece === 0 && tok.startsWith('##');
    });
    const next: { ids: number[]; score: number }[] = [];
    for (const b of beam) for (const id of options) next.push({ ids: [...b.ids, id], score: b.score * pr[id] });
    next.sort((a, b) => b.score - a.score);
    beam = next.slice(0, width);
  });
  const seen = new Map<string, WordCandidate>();
  for (const b of beam) {
    const word = (await m.tokenizer.decode(b.ids)).trim();
    if (!word) continue;
    const prev = seen.get(word);
    if (prev)
      prev.score += b.score; // two piece sequences spelling the same word
    else seen.set(word, { word, score: b.score, ids: b.ids, pieces: b.ids.map((id) => m.tokenizer.idToToken(id)) });
  }
  return [...seen.values()].sort((a, b) => b.score - a.score).slice(0, k);
}
