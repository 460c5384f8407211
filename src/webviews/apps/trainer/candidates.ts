// The trainer's candidates table (frozen, fine-tuned, hybrid, TF-IDF on the run's split) and the recommendation
// line; the scores and the pick come from the engine, the rows from candidateRows.ts.
import type { Candidates, Recommendation } from '../../../engine/training/types';
import { h } from '../../shared/dom';
import { candidateRows } from './candidateRows';

/** The table and the one-line recommendation, or nothing for a run without candidates. */
export function candidatesBlock(c: Candidates | undefined, r: Recommendation | undefined): HTMLElement | undefined {
  if (!c) return undefined;
  const rows = candidateRows(c, r);
  return h(
    'div',
    { id: 'candidates-block' },
    h('h2', {}, 'Candidates (same split)'),
    h(
      'table',
      { id: 'candidates', 'aria-label': 'Frozen, fine-tuned, hybrid and TF-IDF on the same split' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, ''),
          h('th', { class: 'num', title: 'validation accuracy: what the recommendation reads' }, 'val acc'),
          h('th', { class: 'num' }, 'test acc'),
          h('th', { class: 'num' }, 'test F1'),
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
        ? `Recommended: ${r.reason}.`
        : 'No validation split, so no recommendation: the test split is never used to choose.',
    ),
    c.hybrid
      ? h('div', { class: 'muted' }, 'The hybrid is scored here only; Save exports the trained classifier above.')
      : '',
  );
}
