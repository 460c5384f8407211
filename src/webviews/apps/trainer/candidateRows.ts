// Pure row logic of the trainer's candidates table (no DOM), tested in plain Node.
import type { CandidateName, Candidates, Recommendation } from '../../../engine/training/types';

/** Cheapest first, as the engine ranks ties (src/engine/training/candidateView.ts). */
const ORDER: CandidateName[] = ['tfidf', 'frozen', 'hybrid', 'fine_tuned'];
const TITLES: Record<CandidateName, string> = {
  tfidf: 'TF-IDF + LR',
  frozen: 'Frozen + head',
  hybrid: 'Hybrid (frozen + TF-IDF)',
  fine_tuned: 'Fine-tuned',
};

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

/** The "Train" choices for an encoder of n layers: all, the top K layers plus the head (K < n), the head only. */
export function trainLayerOptions(n: number): [string, string][] {
  return [
    ['all', 'all layers'],
    ...Array.from({ length: Math.max(0, n - 1) }, (_, i): [string, string] => [`top-${i + 1}`, `top ${i + 1} + head`]),
    ['head', 'head only'],
  ];
}

export type TaskChoice = 'sequence' | 'pair' | 'token' | 'qa';

/** The tasks the previewed data fits (as taskPreview.ts detects them): token for CoNLL / token JSONL, qa for SQuAD,
 *  otherwise sequence, and pair when a pair column is chosen. */
export function taskOptions(p: { task?: TaskChoice; pairColumn?: string } | undefined): [TaskChoice, string][] {
  const names: Record<TaskChoice, string> = {
    sequence: 'sequence classification',
    pair: 'sentence-pair classification',
    token: 'token classification (entities)',
    qa: 'extractive QA',
  };
  const fit: TaskChoice[] =
    p?.task === 'token' || p?.task === 'qa' ? [p.task] : p?.pairColumn ? ['pair', 'sequence'] : ['sequence'];
  return fit.map((t) => [t, names[t]]);
}

/** Test-metric rows of a token or QA run: the fine-tuned model (fp32, int8) beside the task's baselines. */
export function taskMetricRows(
  task: 'token' | 'qa',
  tm: {
    metrics: Record<string, number>;
    quantized?: Record<string, number>;
    baselines: Record<string, Record<string, number>>;
  },
): { header: string[]; rows: string[][] } {
  const keys = task === 'token' ? ['precision', 'recall', 'f1'] : ['exact', 'f1'];
  const header = task === 'token' ? ['entity P', 'R', 'F1'] : ['exact match', 'F1'];
  const p = (x?: number) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
  const row = (name: string, m: Record<string, number>) => [name, ...keys.map((k) => p(m[k]))];
  const rows = [row('Fine-tuned (fp32)', tm.metrics)];
  if (tm.quantized) rows.push(row('Fine-tuned (int8)', tm.quantized));
  for (const [name, m] of Object.entries(tm.baselines))
    rows.push(row(name === 'majority_tag' ? 'Majority tag per word' : name, m));
  return { header, rows };
}
