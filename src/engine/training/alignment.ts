// From words and characters to word pieces: token-classification labels per piece, and extractive-QA features
// (question + a window of the context, with the answer's start/end piece). Pure functions over the tokenizer's
// offsets, so any family's tokenizer (WordPiece, byte-level BPE, Unigram) aligns the same way.
import type { Offset } from '../api';

export const IGNORE_INDEX = -100;

export interface PieceEncoding {
  offsets: Offset[];
  specialTokensMask: number[];
  /** For pairs: 0 or 1 per piece, null for special tokens. */
  sequenceIds?: (number | null)[];
}

/** Index of the word each piece falls in (by character offsets), or -1 for special tokens and pieces outside
 *  every word (such as a separate space piece). */
export function pieceWords(enc: PieceEncoding, spans: [number, number][]): number[] {
  const out: number[] = [];
  let w = 0;
  for (let i = 0; i < enc.offsets.length; i++) {
    const [s, e] = enc.offsets[i];
    if (enc.specialTokensMask[i] || e <= s) {
      out.push(-1);
      continue;
    }
    while (w < spans.length && spans[w][1] <= s) w++;
    out.push(w < spans.length && spans[w][0] < e ? w : -1);
  }
  return out;
}

/** Labels per piece: the word's label on its first piece and IGNORE_INDEX on the others (HF's default), or on
 *  every piece with `allPieces`; IGNORE_INDEX on special tokens. */
export function alignLabels(
  enc: PieceEncoding,
  spans: [number, number][],
  wordLabels: number[],
  allPieces = false,
): number[] {
  const words = pieceWords(enc, spans);
  const out: number[] = [];
  let prev = -1;
  for (const w of words) {
    if (w < 0) out.push(IGNORE_INDEX);
    else out.push(w !== prev || allPieces ? wordLabels[w] : IGNORE_INDEX);
    if (w >= 0) prev = w;
    else prev = -1;
  }
  return out;
}

/** Word-level predictions from per-piece class scores: each word takes its first piece's argmax. Words with no
 *  piece (cut by the length limit) get `fallback`. */
export function wordPredictions(words: number[], pieceClass: number[], nWords: number, fallback: number): number[] {
  const out = new Array<number>(nWords).fill(-1);
  for (let i = 0; i < words.length; i++) if (words[i] >= 0 && out[words[i]] < 0) out[words[i]] = pieceClass[i];
  return out.map((c) => (c < 0 ? fallback : c));
}

/** Start and end piece of a character span [start, end) in the context part of a QA window, or [0, 0] (the CLS
 *  position, SQuAD 2's "no answer") when the span is not wholly inside the window. */
export function answerPositions(enc: PieceEncoding, contextSeq: number, start: number, end: number): [number, number] {
  let first = -1;
  let last = -1;
  for (let i = 0; i < enc.offsets.length; i++) {
    if (enc.specialTokensMask[i] || (enc.sequenceIds?.[i] ?? contextSeq) !== contextSeq) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0 || enc.offsets[first][0] > start || enc.offsets[last][1] < end) return [0, 0];
  let s = first;
  while (s <= last && enc.offsets[s][1] <= start) s++;
  let e = last;
  while (e >= first && enc.offsets[e][0] >= end) e--;
  if (s > e) return [0, 0];
  return [s, e];
}

/** Best answer span of one window: max start_logit + end_logit over context pieces with start ≤ end and at most
 *  maxAnswerPieces long; returns the character span, or undefined when the window holds no context. */
export function bestSpan(
  enc: PieceEncoding,
  contextSeq: number,
  startLogits: ArrayLike<number>,
  endLogits: ArrayLike<number>,
  maxAnswerPieces = 30,
): { start: number; end: number; score: number } | undefined {
  const ctx: number[] = [];
  for (let i = 0; i < enc.offsets.length; i++)
    if (
      !enc.specialTokensMask[i] &&
      (enc.sequenceIds?.[i] ?? contextSeq) === contextSeq &&
      enc.offsets[i][1] > enc.offsets[i][0]
    )
      ctx.push(i);
  let best: { start: number; end: number; score: number } | undefined;
  for (let a = 0; a < ctx.length; a++) {
    for (let b = a; b < ctx.length && ctx[b] - ctx[a] < maxAnswerPieces; b++) {
      const score = startLogits[ctx[a]] + endLogits[ctx[b]];
      if (!best || score > best.score) best = { start: enc.offsets[ctx[a]][0], end: enc.offsets[ctx[b]][1], score };
    }
  }
  return best;
}
