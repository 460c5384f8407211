// What Predict Masked Token lists: whole-word candidates with their own pieces, the original word marked
// "(current)" rather than offered as a change, and punctuation / single characters hidden unless asked for.

export interface Candidate {
  word: string;
  score: number;
  pieces?: string[];
}
export interface ListedCandidate {
  word: string;
  score: number;
  pieces: string[];
  /** The word already in the text (picking it changes nothing). */
  current: boolean;
}

const PUNCT_OR_SYMBOL = /^[\p{P}\p{S}]+$/u;

/** True for candidates that crowd out words: punctuation/symbols, and single characters (unless a digit). */
export function isNoise(word: string): boolean {
  const w = word.trim();
  return PUNCT_OR_SYMBOL.test(w) || ([...w].length === 1 && !/\p{N}/u.test(w));
}

/** The list in score order; `best` is the index of the best candidate that is not the current word. */
export function listCandidates(
  original: string,
  candidates: Candidate[],
  showPunctuation = false,
): { items: ListedCandidate[]; best: number } {
  const orig = original.trim().toLowerCase();
  const keepNoise = showPunctuation || isNoise(original);
  const items = candidates
    .filter((c) => keepNoise || !isNoise(c.word) || c.word.trim().toLowerCase() === orig)
    .map((c) => ({
      word: c.word,
      score: c.score,
      pieces: c.pieces?.length ? c.pieces : [c.word],
      current: c.word.trim().toLowerCase() === orig,
    }));
  return { items, best: items.findIndex((c) => !c.current) };
}
