// Pure row logic of the trainer's candidates table (no DOM), tested in plain Node.
import type { CandidateName, Candidates, Recommendation } from '../../../engine/training/types';

/** Cheapest first, as the engine ranks ties (src/engine/training/candidateView.ts). */
const ORDER: CandidateName[] = ['tfidf', 'frozen', 'hybrid', 'fine_tuned'];
const TITLES: Record<CandidateName, string> = { tfidf: 'TF-IDF + LR', frozen: 'Frozen + head', hybrid: 'Hybrid (frozen + TF-IDF)', fine_tuned: 'Fine-tuned' };

export interface CandidateRow {
  name: CandidateName;
  title: string;
  valAccuracy: string;
  testAccuracy: string;
  testMacroF1: string;
  recommended: boolean;
}

const pct = (x?: number): string => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);

export function candidateRows(c: Candidates, r?: Recommendation): CandidateRow[] {
  return ORDER.filter((n) => c[n]).map((n) => ({
    name: n,
    title: TITLES[n] + (r?.candidate === n ? ' ★' : ''),
    valAccuracy: pct(c[n]!.val?.accuracy),
    testAccuracy: pct(c[n]!.test.accuracy),
    testMacroF1: pct(c[n]!.test.macro_f1),
    recommended: r?.candidate === n,
  }));
}
