// Results of a token-classification or QA fine-tuning run in the trainer: entity P/R/F1 (seqeval, strict IOB2) or
// SQuAD exact match / F1 on the test split, fp32 and int8, beside the task's baselines; then Save.
import { h } from '../../shared/dom';
import { type TrainerState, trSave } from '../../protocol/trainer';
import { taskMetricRows } from './candidateRows';
import { l10n } from '../../shared/l10n';

/** "(resumed after epoch N)" for a run that Resume continued from a checkpoint, else nothing. */
export function resumedNote(head: { resumed_from?: number }): string {
  return head.resumed_from !== undefined ? ' ' + l10n.t('(resumed after epoch {0})', head.resumed_from) : '';
}

export function taskResultsSection(s: TrainerState, post: (m: unknown) => void): HTMLElement | undefined {
  const rep = s.result?.report;
  if (!rep?.task_metrics || (rep.task !== 'token' && rep.task !== 'qa')) return undefined;
  const { header, rows } = taskMetricRows(rep.task, rep.task_metrics);
  return h(
    'section',
    { 'aria-labelledby': 'res-h' },
    h(
      'h2',
      { id: 'res-h' },
      rep.task === 'qa'
        ? l10n.t('Test results ({0} questions)', rep.split.test)
        : l10n.t('Test results ({0} sentences)', rep.split.test),
    ),
    h(
      'table',
      { id: 'task-comparison', 'aria-label': l10n.t('Fine-tuned model against baselines') },
      h('thead', {}, h('tr', {}, h('th', {}, ''), ...header.map((x) => h('th', { class: 'num' }, x)))),
      h(
        'tbody',
        {},
        ...rows.map((r) => h('tr', {}, h('td', {}, r[0]), ...r.slice(1).map((v) => h('td', { class: 'num' }, v)))),
      ),
    ),
    rep.task === 'qa' ? h('div', { class: 'muted' }, l10n.t('QA has no baseline here.')) : '',
    h(
      'div',
      { id: 'fine-tuned-note', class: 'muted' },
      l10n.t(
        'Encoder fine-tuned ({0}, {1} tokens, lr {2}, {3} layers); best epoch {4} of {5}{6}; split {7}/{8}/{9}; {10} s.',
        rep.encoder.model,
        rep.encoder.max_length,
        rep.head.learning_rate ?? '?',
        rep.head.train_layers ?? l10n.t('all'),
        rep.head.best_epoch,
        rep.head.epochs_run,
        resumedNote(rep.head),
        rep.split.train,
        rep.split.validation,
        rep.split.test,
        rep.seconds.total.toFixed(1),
      ),
    ),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'button',
        { id: 'save', onclick: () => post(trSave.create({})), disabled: !!s.busy },
        l10n.t('Save as model folder…'),
      ),
    ),
    s.savedTo ? h('p', { class: 'muted', role: 'status' }, l10n.t('Saved to {0}', s.savedTo)) : '',
  );
}
