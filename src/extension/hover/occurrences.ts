// Pure: compares one occurrence's contextual vector with the other occurrences of the word in other
// paragraphs, from per-paragraph token vectors.
import type { EmbedResult, Offset } from '../../engine/api';
import { findOccurrences } from '../core/text';
import { cosine, meanVector, tokensInSpan } from '../core/tokens';

export interface ParagraphOccurrence {
  start: number; // document offset
  end: number;
  similarity: number;
}

/** Paragraphs (other than `exclude`) holding the word, nearest to `near` first, at most `limit`. */
export function paragraphsWithWord(
  text: string,
  paras: Offset[],
  word: string,
  exclude: Offset,
  near: number,
  limit = 4,
): Offset[] {
  const hits = findOccurrences(text, word).filter(([s]) => s < exclude[0] || s >= exclude[1]);
  const chosen = paras.filter(
    ([ps, pe]) => hits.some(([s]) => s >= ps && s < pe) && (pe <= exclude[0] || ps >= exclude[1]),
  );
  return chosen.sort((a, b) => Math.abs(a[0] - near) - Math.abs(b[0] - near)).slice(0, limit);
}

/** Occurrences of `word` inside one paragraph's embedding (offsets relative to the paragraph at `base`). */
export function compareInParagraph(
  emb: EmbedResult,
  paraText: string,
  base: number,
  word: string,
  vector: number[],
): ParagraphOccurrence[] {
  if (!emb.vectors) return [];
  const out: ParagraphOccurrence[] = [];
  for (const span of findOccurrences(paraText, word)) {
    const v = meanVector(emb.vectors, tokensInSpan(emb.offsets, span));
    if (v) out.push({ start: span[0] + base, end: span[1] + base, similarity: cosine(vector, v) });
  }
  return out;
}
