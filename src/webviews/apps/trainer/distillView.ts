// Pure view logic of the Distill mode (no DOM): the teacher-vs-student rows and the one-line summary. Tested in
// plain Node.
import type { DistillSide } from '../../../engine/training/distill';
import { pct } from './view';
import { l10n } from '../../shared/l10n';

export interface DistillRow {
  metric: string;
  teacher: string;
  student: string;
  /** Student / teacher, as shown in the last column ('' when not meaningful). */
  ratio: string;
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
const millions = (n: number) => `${(n / 1e6).toFixed(2)} M`;
const ratio = (s: number, t: number) => (t > 0 ? `${(s / t).toFixed(2)}×` : '');

/** The side-by-side table: accuracy, macro-F1, parameters, size, ms/example, layers. */
export function distillRows(t: DistillSide, s: DistillSide): DistillRow[] {
  return [
    {
      metric: l10n.t('Accuracy'),
      teacher: pct(t.accuracy),
      student: pct(s.accuracy),
      ratio: ratio(s.accuracy, t.accuracy),
    },
    {
      metric: l10n.t('Macro-F1'),
      teacher: pct(t.macro_f1),
      student: pct(s.macro_f1),
      ratio: ratio(s.macro_f1, t.macro_f1),
    },
    {
      metric: l10n.t('Parameters'),
      teacher: millions(t.parameters),
      student: millions(s.parameters),
      ratio: ratio(s.parameters, t.parameters),
    },
    {
      metric: l10n.t('Size'),
      teacher: mb(t.size_bytes),
      student: mb(s.size_bytes),
      ratio: ratio(s.size_bytes, t.size_bytes),
    },
    {
      metric: l10n.t('ms / example'),
      teacher: t.ms_per_example.toFixed(2),
      student: s.ms_per_example.toFixed(2),
      ratio: ratio(s.ms_per_example, t.ms_per_example),
    },
    { metric: l10n.t('Layers'), teacher: String(t.layers), student: String(s.layers), ratio: '' },
  ];
}

/** "The student keeps 97.9 % of the teacher's accuracy with 0.71× its parameters at 0.55× its time per example." */
export function distillSummary(t: DistillSide, s: DistillSide): string {
  const kept = t.accuracy > 0 ? s.accuracy / t.accuracy : 0;
  return l10n.t(
    "The student keeps {0} of the teacher's accuracy with {1} its parameters, at {2} its time per example.",
    pct(kept),
    ratio(s.parameters, t.parameters),
    ratio(s.ms_per_example, t.ms_per_example),
  );
}
