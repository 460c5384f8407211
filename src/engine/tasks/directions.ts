// "What if BERT saw only one side": the word at a span predicted by BERT with the full context (bidirectional),
// by the same BERT with the text cut after the word (left side only) or before it (right side only), and by a
// causal model from the left context. The one-sided columns are BERT with a side removed, not models trained
// in one direction, and say so.
import type { DirectionsRequest, DirectionsResult, FillMaskResult, Offset, WordCandidate } from '../api';
import { bosId, causalLogits, encodeCausal } from '../causal';
import { EngineError } from '../errors';
import { softmax, topK } from '../math';
import type { LoadedModel } from '../model';
import { type TaskContext, checkAborted, requireHead, requireText } from './common';
import { fillMask } from './fillMask';

export const DIRECTION_LABELS = {
  bidirectional: 'BERT, whole sentence (both sides)',
  left_only: 'BERT with the text after the word removed (left side only)',
  right_only: 'BERT with the text before the word removed (right side only)',
  causal: 'causal LM, left context only (as it was trained)',
};

/** The whole-word candidates of a fill-mask run on a masked span, and the probability of the original pieces
 *  (product over the masks, as the candidates are scored). */
function column(r: FillMaskResult, originalIds: number[]): { candidates: WordCandidate[]; original: number } {
  const span = r.spans?.[0];
  if (!span) throw new EngineError('no-word', 'The span covers no word.', 'Select a word (or put the cursor on one).');
  const original = span.masks.reduce(
    (p, mk, j) => p * (r.masks[mk].targets?.find((t) => t.id === originalIds[j])?.score ?? 0),
    1,
  );
  return { candidates: span.candidates, original };
}

async function bertColumn(
  m: LoadedModel,
  text: string,
  span: Offset,
  topk: number,
): Promise<{ candidates: WordCandidate[]; original: number }> {
  const enc = await m.tokenizer.encode(text);
  const pieces = enc.ids.filter(
    (_, i) => !enc.specialTokensMask[i] && enc.offsets[i][0] < span[1] && enc.offsets[i][1] > span[0],
  );
  const r = await fillMask(m, {
    text,
    spans: [span],
    topK: topk,
    targets: pieces.map((id) => m.tokenizer.idToToken(id)),
  });
  return column(r, pieces);
}

export async function directions(
  m: LoadedModel,
  causal: LoadedModel | undefined,
  req: DirectionsRequest,
  ctx: TaskContext = {},
): Promise<DirectionsResult> {
  requireHead(m, 'Directions', ['masked-lm', 'pretraining']);
  if (causal) requireHead(causal, 'The causal column of directions', ['causal-lm']);
  const text = requireText(req.text);
  const topk = Math.max(1, Math.min(req.topK ?? 5, 50));
  let [s, e] = req.span;
  if (!(Number.isInteger(s) && Number.isInteger(e) && 0 <= s && s < e && e <= text.length)) {
    throw new EngineError(
      'bad-span',
      `The span ${s}:${e} is outside the text (0:${text.length}).`,
      'Pass --span START:END within the text.',
    );
  }
  // Trim spaces and punctuation at the edges; what is left must be a word.
  while (s < e && /[\s\p{P}]/u.test(text[s])) s++;
  while (e > s && /[\s\p{P}]/u.test(text[e - 1])) e--;
  const word = text.slice(s, e);
  if (!/[\p{L}\p{N}]/u.test(word))
    throw new EngineError(
      'no-word',
      `The span ${req.span[0]}:${req.span[1]} covers no word ("${text.slice(req.span[0], req.span[1])}").`,
      'Select a word, or pass --span START:END around one.',
    );

  const leftText = text.slice(0, e);
  const rightText = text.slice(s);
  checkAborted(ctx);
  const both = await bertColumn(m, text, [s, e], topk);
  checkAborted(ctx);
  const left = await bertColumn(m, leftText, [s, e], topk);
  checkAborted(ctx);
  const right = await bertColumn(m, rightText, [0, e - s], topk);

  let causalCol: WordCandidate[] | null = null;
  let causalOriginal: number | null = null;
  let causalText: string | null = null;
  if (causal) {
    checkAborted(ctx);
    const c = await causalColumn(causal, text.slice(0, s), word, topk);
    causalCol = c.candidates;
    causalOriginal = c.original;
    causalText = text.slice(0, s);
  }
  return {
    word,
    bidirectional: both.candidates,
    left_only: left.candidates,
    right_only: right.candidates,
    causal: causalCol,
    original: {
      bidirectional: both.original,
      left_only: left.original,
      right_only: right.original,
      causal: causalOriginal,
    },
    labels: { ...DIRECTION_LABELS, causal: causal ? DIRECTION_LABELS.causal : null },
    texts: { bidirectional: text, left_only: leftText, right_only: rightText, causal: causalText },
  };
}

/** The causal model at the word: its next-token distribution after the left context gives the candidates
 *  (words that start with a word-initial token), and the product of p(piece | left, previous pieces) gives the
 *  original word's probability. */
async function causalColumn(
  m: LoadedModel,
  left: string,
  word: string,
  topk: number,
): Promise<{ candidates: WordCandidate[]; original: number }> {
  // Byte-level BPE keeps the space before a word inside the word's first token ("Ġdog"): the context ends
  // before that space, and the word is scored with it.
  const trimmed = left.replace(/\s+$/, '');
  const space = left.slice(trimmed.length);
  const ctxIds = trimmed ? (await encodeCausal(m, trimmed)).ids : [];
  const whole = (await encodeCausal(m, trimmed + (space ? ' ' : '') + word)).ids;
  // The word's pieces: what encoding the context plus the word adds after the context's own tokens. With no
  // context (or a merge across the boundary), the sequence starts from BOS.
  let cut = 0;
  while (cut < ctxIds.length && cut < whole.length && whole[cut] === ctxIds[cut]) cut++;
  const bos = bosId(m);
  if (cut === 0 && bos === undefined)
    throw new EngineError(
      'no-context',
      'The causal model needs some text before the word (it has no BOS token to start from).',
      'Pick a word that is not the first one.',
    );
  let ids = cut === 0 ? [bos!, ...whole] : whole;
  let start = cut === 0 ? 1 : cut; // index of the word's first piece
  const pieces = ids.slice(start);
  if (ids.length > m.folder.maxLength) {
    const drop = ids.length - m.folder.maxLength;
    ids = ids.slice(drop);
    start -= drop;
    if (start < 1)
      throw new EngineError(
        'too-long',
        `The word is longer than the causal model's context (${m.folder.maxLength} tokens).`,
        'Select a shorter word.',
      );
  }
  const { data, vocab } = await causalLogits(m, ids);
  let original = 1;
  for (let j = 0; j < pieces.length; j++) {
    const p = softmax(data.subarray((start + j - 1) * vocab, (start + j) * vocab));
    original *= p[pieces[j]];
  }
  const p = softmax(data.subarray((start - 1) * vocab, start * vocab));
  const candidates: WordCandidate[] = [];
  const seen = new Set<string>();
  for (const id of topK(p, topk * 4)) {
    const t = await m.tokenizer.decode([id]);
    const w = t.trim();
    if (!w || (space && !/^\s/.test(t)) || !/[\p{L}\p{N}]/u.test(w) || seen.has(w)) continue;
    seen.add(w);
    candidates.push({ word: w, score: p[id], ids: [id] });
    if (candidates.length === topk) break;
  }
  return { candidates, original };
}
