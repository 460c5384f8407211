// The Fill-Mask panel's Directions view: the masked word predicted from both sides (BERT), from the left side
// only and the right side only (the same BERT with the text cut), and by a causal model from the left — side by
// side, with a short explanation of GPT vs ELMo vs BERT.
import type { WordCandidate } from '../../../engine/api';
import { fmDirections, type FillMaskState } from '../../protocol/fillMask';
import { h } from '../../shared/dom';
import { l10n } from '../../shared/l10n';

const directionsExplanation = () =>
  l10n.t(
    'GPT reads left to right: each word is predicted from the words before it only, so it never sees what follows. ELMo trains one left-to-right and one right-to-left language model and concatenates their states: both sides are present, but each direction is computed without the other (shallow bidirectionality). BERT masks the word and conditions on both sides at once, in every layer. The "left side only" and "right side only" columns are the same BERT with the text cut after or before the word — what a one-directional reader could know — not models trained in one direction.',
  );

/** `direction`: the column's English name, for data-direction (stable in every language). */
function column(
  direction: string,
  title: string,
  note: string,
  list: WordCandidate[] | null,
  original: number | null,
  word: string,
): HTMLElement {
  const rows = list
    ? list.map((c) => {
        const fill = h('span', { class: 'fill' });
        fill.style.width = `${Math.max(1, c.score * 100).toFixed(1)}%`;
        return h(
          'div',
          { class: `bar-row${c.word.toLowerCase() === word.toLowerCase() ? ' original' : ''}` },
          h('span', { class: 'bar-label' }, c.word),
          h('span', { class: 'bar' }, fill),
          h('span', { class: 'bar-score' }, `${(c.score * 100).toFixed(1)}%`),
        );
      })
    : [h('div', { class: 'muted' }, l10n.t('Set bertLens.causalModel (a GPT-2 export) to add this column.'))];
  return h(
    'section',
    { class: 'direction', 'data-direction': direction },
    h('div', { class: 'mask-title' }, title),
    h('div', { class: 'muted' }, note),
    ...rows,
    original !== null
      ? h(
          'div',
          { class: 'muted' },
          `p(“${word}”) = ${original < 1e-4 ? original.toExponential(2) : original.toFixed(4)}`, // l10n: a formula
        )
      : undefined,
  );
}

export function renderDirections(s: FillMaskState, post: (msg: unknown) => void): HTMLElement {
  const d = s.directions;
  const enabled = !!d?.enabled;
  const toggle = h(
    'button',
    {
      class: 'secondary',
      'aria-pressed': enabled ? 'true' : 'false',
      onclick: () => post(fmDirections.create({ enabled: !enabled })),
    },
    enabled ? l10n.t('Hide Directions') : l10n.t('Directions'),
  );
  const box = h(
    'div',
    { class: 'directions' },
    h(
      'div',
      { class: 'toolbar' },
      toggle,
      h('span', { class: 'muted' }, l10n.t('Left-to-right vs bidirectional, for the first masked word.')),
    ),
  );
  if (!enabled || !d) return box;
  if (d.busy) box.append(h('div', { class: 'muted' }, l10n.t('Running…')));
  else if (d.error) box.append(h('div', { class: 'error' }, d.error));
  else if (d.result) {
    const r = d.result;
    box.append(
      h(
        'div',
        { class: 'columns' },
        column(
          'Bidirectional',
          l10n.t('Bidirectional'),
          r.labels.bidirectional,
          r.bidirectional,
          r.original.bidirectional,
          r.word,
        ),
        column(
          'Left side only',
          l10n.t('Left side only'),
          r.labels.left_only,
          r.left_only,
          r.original.left_only,
          r.word,
        ),
        column(
          'Right side only',
          l10n.t('Right side only'),
          r.labels.right_only,
          r.right_only,
          r.original.right_only,
          r.word,
        ),
        column(
          `Causal${d.causalLabel ? ` (${d.causalLabel})` : ''}`, // l10n: data-direction, stable
          d.causalLabel ? l10n.t('Causal ({0})', d.causalLabel) : l10n.t('Causal'),
          r.labels.causal ?? l10n.t('no causal model configured'),
          r.causal,
          r.original.causal,
          r.word,
        ),
      ),
    );
  }
  box.append(h('p', { class: 'explanation' }, directionsExplanation()));
  return box;
}
