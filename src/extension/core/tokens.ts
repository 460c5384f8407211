// Span ↔ token mapping over the engine's character offsets (UTF-16 indexes into the text sent).
import type { Offset } from '../../engine/api';

/** Indexes of tokens whose offsets overlap [start, end). Special tokens have empty offsets and never match. */
export function tokensInSpan(offsets: Offset[], [start, end]: Offset): number[] {
  const out: number[] = [];
  offsets.forEach(([s, e], i) => {
    if (e > s && s < end && e > start) out.push(i);
  });
  return out;
}

/** The character span covered by a run of tokens. */
export function spanOfTokens(offsets: Offset[], indexes: number[]): Offset | undefined {
  const real = indexes.map((i) => offsets[i]).filter((o) => o && o[1] > o[0]);
  if (!real.length) return undefined;
  return [Math.min(...real.map((o) => o[0])), Math.max(...real.map((o) => o[1]))];
}

/** Groups word pieces into words: consecutive tokens whose offsets touch (no gap) belong to one word. Returns
 *  word spans with their token indexes; special tokens (empty offsets) are left out. */
export function wordsFromTokens(offsets: Offset[], text: string): { span: Offset; tokens: number[] }[] {
  const words: { span: Offset; tokens: number[] }[] = [];
  offsets.forEach(([s, e], i) => {
    if (e <= s) return;
    const last = words[words.length - 1];
    const isPunct = /^[^\p{L}\p{N}]+$/u.test(text.slice(s, e));
    const lastPunct = last ? /^[^\p{L}\p{N}]+$/u.test(text.slice(last.span[0], last.span[1])) : false;
    if (last && last.span[1] === s && !isPunct && !lastPunct) {
      last.span = [last.span[0], e];
      last.tokens.push(i);
    } else words.push({ span: [s, e], tokens: [i] });
  });
  return words;
}

/** Shifts offsets computed on a window of the document back to document offsets. */
export function shiftOffsets<T extends { start: number; end: number }>(items: T[], base: number): T[] {
  return items.map((it) => ({ ...it, start: it.start + base, end: it.end + base }));
}

/** Mean of the vectors of the given tokens (a word's contextual vector from its pieces). */
export function meanVector(vectors: number[][], indexes: number[]): number[] | undefined {
  if (!indexes.length) return undefined;
  const out = new Array<number>(vectors[indexes[0]].length).fill(0);
  for (const i of indexes) vectors[i].forEach((v, k) => (out[k] += v));
  return out.map((v) => v / indexes.length);
}

export { cosine, norm } from '../../engine/math';
