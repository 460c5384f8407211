// The trainer's candidates table (frozen, fine-tuned, hybrid, TF-IDF on the run's split) and the recommendation
// line; the scores and the pick come from the engine, the rows from candidateRows.ts.
import type { Candidates, Recommendation } from '../../../engine/training/types';
import { h } from '../../shared/dom';
import { candidateRows } from './candidateRows';
import { l10n } from '../../shared/l10n';

/** The table and the one-line recommendation, or nothing for a run without candidates. */
export function candidatesBlock(c: Candidates | undefined, r: Recommendation | undefined): HTMLElement | undefined {
  if (!c) return undefined;
  const rows = candidateRows(c, r);
  return h(
    'div',
    { id: 'candidates-block' },
    h('h2', {}, l10n.t('Candidates (same split)')),
    h(
      'table',
      { id: 'candidates', 'aria-label': l10n.t('Frozen, fine-tuned, hybrid and TF-IDF on the same split') },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, ''),
          h(
            'th',
            { class: 'num', title: l10n.t('validation accuracy: what the recommendation reads') },
            l10n.t('val acc'),
          ),
          h('th', { class: 'num' }, l10n.t('test acc')),
          h('th', { class: 'num' }, l10n.t('test F1')),
        ),
      ),
      h(
        'tbody',
        {},
        ...rows.map((row) =>
          h(
            'tr',
            { class: row.recommended ? 'best' : '', 'data-candidate': row.name },
            h('td', {}, row.title),
            h('td', { class: 'num' }, row.valAccuracy),
            h('td', { class: 'num' }, row.testAccuracy),
            h('td', { class: 'num' }, row.testMacroF1),
          ),
        ),
      ),
    ),
    h(
      'p',
      { id: 'recommendation', role: 'note' },
      r
        ? l10n.t('Recommended: {0}.', r.reason)
        : l10n.t('No validation split, so no recommendation: the test split is never used to choose.'),
    ),
    c.hybrid
      ? h(
          'div',
          { class: 'muted' },
          l10n.t('The hybrid is scored here only; Save exports the trained classifier above.'),
        )
      : '',
  );
}
