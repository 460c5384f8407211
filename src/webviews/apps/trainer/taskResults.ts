// Results of a token-classification or QA fine-tuning run in the trainer: entity P/R/F1 (seqeval, strict IOB2) or
// SQuAD exact match / F1 on the test split, fp32 and int8, beside the task's baselines; then Save.
import { h } from '../../shared/dom';
import { type TrainerState, trSave } from '../../protocol/trainer';
import { taskMetricRows } from './candidateRows';

/** "(resumed after epoch N)" for a run that Resume continued from a checkpoint, else nothing. */
export function resumedNote(head: { resumed_from?: number }): string {
  return head.resumed_from !== undefined ? ` (resumed after epoch ${head.resumed_from})` : '';
}

export function taskResultsSection(s: TrainerState, post: (m: unknown) => void): HTMLElement | undefined {
  const rep = s.result?.report;
  if (!rep?.task_metrics || (rep.task !== 'token' && rep.task !== 'qa')) return undefined;
  const { header, rows } = taskMetricRows(rep.task, rep.task_metrics);
  return h(
    'section',
    { 'aria-labelledby': 'res-h' },
    h('h2', { id: 'res-h' }, `Test results (${rep.split.test} ${rep.task === 'qa' ? 'questions' : 'sentences'})`),
    h(
      'table',
      { id: 'task-comparison', 'aria-label': 'Fine-tuned model against baselines' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), ...header.map((x) => h('th', { class: 'num' }, x)))),
      h(
        'tbody',
        {},
        ...rows.map((r) => h('tr', {}, h('td', {}, r[0]), ...r.slice(1).map((v) => h('td', { class: 'num' }, v)))),
      ),
    ),
    rep.task === 'qa' ? h('div', { class: 'muted' }, 'QA has no baseline here.') : '',
    h(
      'div',
      { id: 'fine-tuned-note', class: 'muted' },
      `Encoder fine-tuned (${rep.encoder.model}, ${rep.encoder.max_length} tokens, lr ${rep.head.learning_rate ?? '?'}, ${rep.head.train_layers ?? 'all'} layers); best epoch ${rep.head.best_epoch} of ${rep.head.epochs_run}${resumedNote(rep.head)}; split ${rep.split.train}/${rep.split.validation}/${rep.split.test}; ${rep.seconds.total.toFixed(1)} s.`,
    ),
    h(
      'div',
      { class: 'toolbar' },
      h('button', { id: 'save', onclick: () => post(trSave.create({})), disabled: !!s.busy }, 'Save as model folder…'),
    ),
    s.savedTo ? h('p', { class: 'muted', role: 'status' }, `Saved to ${s.savedTo}`) : '',
  );
}
