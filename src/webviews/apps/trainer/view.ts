// Pure view logic of the trainer app (no DOM): chart geometry and the comparison rows. Tested in plain Node.
import type { EpochProgress, MetricsSummary } from '../../../engine/training/types';
import { l10n } from '../../shared/l10n';

export interface ChartPaths {
  loss: string;
  accuracy: string;
  maxLoss: number;
}

/** SVG path data for loss (scaled to its max) and validation accuracy (0..1) over epochs in a w×h box. */
export function chartPaths(history: EpochProgress[], w: number, h: number): ChartPaths {
  if (!history.length) return { loss: '', accuracy: '', maxLoss: 0 };
  const maxLoss = Math.max(...history.map((p) => p.loss), 1e-9);
  const n = Math.max(history.length - 1, 1);
  const x = (i: number) => ((i / n) * w).toFixed(1);
  const y = (v: number) => (h - v * h).toFixed(1);
  const line = (vals: number[]) =>
    vals.map((v, i) => `${i ? 'L' : 'M'}${x(i)},${y(Math.min(Math.max(v, 0), 1))}`).join(' ');
  return {
    loss: line(history.map((p) => p.loss / maxLoss)),
    accuracy: line(history.map((p) => p.valAccuracy)),
    maxLoss,
  };
}

export interface ComparisonRow {
  name: string;
  accuracy: string;
  macroF1: string;
  best: boolean;
}

export const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Model vs majority vs TF-IDF rows; `best` marks the highest macro-F1 (ties: all of them). */
export function comparisonRows(
  model: MetricsSummary,
  majority: MetricsSummary,
  tfidf: MetricsSummary,
): ComparisonRow[] {
  const all: [string, MetricsSummary][] = [
    [l10n.t('This classifier'), model],
    [l10n.t('Majority class'), majority],
    [l10n.t('TF-IDF + LR'), tfidf],
  ];
  const best = Math.max(...all.map(([, m]) => m.macro_f1));
  return all.map(([name, m]) => ({
    name,
    accuracy: pct(m.accuracy),
    macroF1: pct(m.macro_f1),
    best: Math.abs(m.macro_f1 - best) < 1e-12,
  }));
}

/** Background alpha for a confusion cell: share of its row. */
export function cellShade(count: number, rowTotal: number): number {
  return rowTotal ? Math.round((count / rowTotal) * 100) / 100 : 0;
}
