// The candidates' names and their table lines: no engine code, so the CLI's main thread and the sidebar's
// webview can use them (the scores are computed in candidates.ts, in the worker).
import type { CandidateName, Candidates, Recommendation } from './types';

/** Cheapest first: on a tie the cheaper model is recommended. */
export const CANDIDATE_ORDER: CandidateName[] = ['tfidf', 'frozen', 'hybrid', 'fine_tuned'];

export const CANDIDATE_TITLES: Record<CandidateName, string> = {
  tfidf: 'TF-IDF + LR',
  frozen: 'frozen encoder + head',
  hybrid: 'hybrid (frozen + TF-IDF)',
  fine_tuned: 'fine-tuned',
};

/** The candidates as table lines for the CLI (validation and test, the recommended one starred), then the
 *  recommendation's line. */
export function candidateLines(c: Candidates, r?: Recommendation): string[] {
  const p = (x?: number) => (x === undefined ? '     –' : `${(100 * x).toFixed(1)}%`.padStart(6));
  const out = ['', `candidates (same split)     val acc  val F1  test acc  test F1`];
  for (const n of CANDIDATE_ORDER) {
    const s = c[n];
    if (!s) continue;
    const name = `${CANDIDATE_TITLES[n]}${r?.candidate === n ? ' ★' : ''}`;
    out.push(
      `${name.padEnd(26)}  ${p(s.val?.accuracy)}  ${p(s.val?.macro_f1)}  ${p(s.test.accuracy)}    ${p(s.test.macro_f1)}`,
    );
  }
  out.push(
    r
      ? `Recommended (on validation): ${r.reason}.`
      : 'No validation split: no recommendation (the test split is not used to choose).',
  );
  return out;
}
