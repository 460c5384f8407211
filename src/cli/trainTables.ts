// The CLI's tables after a training run: test-split metrics beside the baselines, for the frozen mode (train.ts)
// and for fine-tuning (commands/train.ts).
import { formatPercent } from '../engine/math';
import { candidateLines } from '../engine/training/candidateView';
import type { FineTuneJsonResult } from '../engine/training/fineTuneCommand';
import type { TaskMetrics } from '../engine/training/fineTune';
import type { TrainJsonResult } from './train';

const pct = (x: number) => formatPercent(x).padStart(6);

/** The frozen mode's comparison table. */
export function frozenTable(r: TrainJsonResult): string[] {
  const lines = [
    '',
    `                      accuracy  macro-F1   (test split: ${r.test_size} examples; trained on ${r.train_size})`,
    `classifier              ${pct(r.metrics.accuracy)}    ${pct(r.metrics.macro_f1)}`,
    `majority class          ${pct(r.baselines.majority.accuracy)}    ${pct(r.baselines.majority.macro_f1)}`,
    `TF-IDF + logistic reg.  ${pct(r.baselines.tfidf_lr.accuracy)}    ${pct(r.baselines.tfidf_lr.macro_f1)}`,
  ];
  if (r.baselines.tfidf_lr.macro_f1 >= r.metrics.macro_f1)
    lines.push('The TF-IDF baseline matches or beats the classifier on macro-F1 here.');
  if (r.candidates) lines.push(...candidateLines(r.candidates, r.recommendation));
  lines.push(`Saved to ${r.output} (${r.seconds} s)`);
  return lines;
}

function metricLine(m: TaskMetrics): string {
  const p = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6);
  if ('accuracy' in m) return `accuracy ${p(m.accuracy)}  macro-F1 ${p(m.macro_f1)}`;
  if ('precision' in m) return `entity P ${p(m.precision)}  R ${p(m.recall)}  F1 ${p(m.f1)}`;
  return `exact ${p(m.exact)}  F1 ${p(m.f1)}`;
}

/** The fine-tuning run's table: the fine-tuned model (fp32 and int8) beside the task's baselines. */
export function fineTuneTable(r: FineTuneJsonResult): string[] {
  const lines = [
    '',
    `test split (${r.test_size} examples; trained on ${r.train_size}):`,
    `fine-tuned (fp32)   ${metricLine(r.metrics)}`,
  ];
  if (r.quantized_metrics) lines.push(`fine-tuned (int8)   ${metricLine(r.quantized_metrics)}`);
  for (const [name, m] of Object.entries(r.baselines))
    lines.push(
      `${(name === 'tfidf_lr' ? 'TF-IDF + log. reg.' : name === 'majority_tag' ? 'majority tag/word' : 'majority class').padEnd(20)}${metricLine(m)}`,
    );
  if (r.candidates) lines.push(...candidateLines(r.candidates, r.recommendation));
  lines.push(`Saved to ${r.output} (${r.seconds} s)`);
  return lines;
}
