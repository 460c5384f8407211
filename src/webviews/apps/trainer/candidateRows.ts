// Pure row logic of the trainer's candidates table (no DOM), tested in plain Node.
import type { CandidateName, Candidates, Recommendation } from '../../../engine/training/types';
import { l10n } from '../../shared/l10n';

/** Cheapest first, as the engine ranks ties (src/engine/training/candidateView.ts). */
const ORDER: CandidateName[] = ['tfidf', 'frozen', 'hybrid', 'fine_tuned'];
const TITLES: Record<CandidateName, () => string> = {
  tfidf: () => l10n.t('TF-IDF + LR'),
  frozen: () => l10n.t('Frozen + head'),
  hybrid: () => l10n.t('Hybrid (frozen + TF-IDF)'),
  fine_tuned: () => l10n.t('Fine-tuned'),
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
    title: TITLES[n]() + (r?.candidate === n ? ' ★' : ''),
    valAccuracy: pct(c[n]!.val?.accuracy),
    testAccuracy: pct(c[n]!.test.accuracy),
    testMacroF1: pct(c[n]!.test.macro_f1),
    recommended: r?.candidate === n,
  }));
}

/** The "Train" choices for an encoder of n layers: all, the top K layers plus the head (K < n), the head only. */
export function trainLayerOptions(n: number): [string, string][] {
  return [
    ['all', l10n.t('all layers')],
    ...Array.from({ length: Math.max(0, n - 1) }, (_, i): [string, string] => [
      `top-${i + 1}`,
      l10n.t('top {0} + head', i + 1),
    ]),
    ['head', l10n.t('head only')],
  ];
}

export type TaskChoice = 'sequence' | 'pair' | 'token' | 'qa';

/** The tasks the previewed data fits (as taskPreview.ts detects them): token for CoNLL / token JSONL, qa for SQuAD,
 *  otherwise sequence, and pair when a pair column is chosen. */
export function taskOptions(p: { task?: TaskChoice; pairColumn?: string } | undefined): [TaskChoice, string][] {
  const names: Record<TaskChoice, string> = {
    sequence: l10n.t('sequence classification'),
    pair: l10n.t('sentence-pair classification'),
    token: l10n.t('token classification (entities)'),
    qa: l10n.t('extractive QA'),
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
  const header = task === 'token' ? [l10n.t('entity P'), l10n.t('R'), 'F1'] : [l10n.t('exact match'), 'F1'];
  const p = (x?: number) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
  const row = (name: string, m: Record<string, number>) => [name, ...keys.map((k) => p(m[k]))];
  const rows = [row(l10n.t('Fine-tuned (fp32)'), tm.metrics)];
  if (tm.quantized) rows.push(row(l10n.t('Fine-tuned (int8)'), tm.quantized));
  for (const [name, m] of Object.entries(tm.baselines))
    rows.push(row(name === 'majority_tag' ? l10n.t('Majority tag per word') : name, m));
  return { header, rows };
}
