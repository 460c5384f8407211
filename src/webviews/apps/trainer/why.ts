// "Why this label?" in the Classifier Trainer's results: a button per test example and, for the example asked
// about, its tokens as chips shaded by saliency through the trained network (computed in the worker). Nothing
// in the user's files changes.
import type { TrainerState } from '../../protocol/trainer';
import { trWhy } from '../../protocol/trainer';
import { h, injectStyle } from '../../shared/dom';
import { SALIENCY_METHOD_NAMES, shadeChip } from '../../shared/saliency';
import css from './why.css';
import { whyCaption, whyChips } from './whyView';
import { l10n } from '../../shared/l10n';

injectStyle(css);

export function whyButton(
  example: number,
  predicted: string,
  post: (m: unknown) => void,
  disabled = false,
): HTMLElement {
  return h(
    'button',
    {
      class: 'why secondary',
      id: `why-${example}`,
      title: l10n.t("Shade this example's tokens by how much they drove the label “{0}”", predicted),
      'aria-label': l10n.t('Why {0}?', predicted),
      disabled,
      onclick: () => post(trWhy.create({ example })),
    },
    l10n.t('Why this label?'),
  );
}

/** What the panel showed last (example and phase): a change scrolls the panel into view, since it sits below
 *  the example list in a narrow sidebar. */
let shown = '';

export function whyPanel(s: TrainerState): HTMLElement | undefined {
  const w = s.why;
  const r = s.result;
  if (!w || !r) {
    shown = '';
    return undefined;
  }
  const e = r.examples[w.example];
  const box = h(
    'div',
    { class: 'why-panel', id: 'why-panel', role: 'region', 'aria-label': l10n.t('Why this label?') },
    h(
      'h3',
      {},
      l10n.t(
        'Why this label? — {0}',
        e ? `${e.file.split(/[\\/]/).pop()}:${e.line}` : l10n.t('example {0}', w.example),
      ),
    ),
  );
  if (w.busy)
    box.append(h('div', { class: 'muted', role: 'status' }, l10n.t('Computing saliency through the trained network…')));
  if (w.error) box.append(h('p', { class: 'error', role: 'alert' }, w.error));
  const res = w.result;
  if (res) {
    const { chips, max } = whyChips(res);
    const row = h('div', { class: 'why-tokens', role: 'group', 'aria-label': l10n.t('Tokens shaded by saliency') });
    for (const c of chips) {
      const chip = h(
        'span',
        {
          class: `why-token${c.special ? ' special' : ''}`,
          title: c.special
            ? l10n.t('{0} (special)', c.token)
            : `${c.token} · ${SALIENCY_METHOD_NAMES[res.method]} ${c.score.toPrecision(4)}`,
        },
        c.token,
      );
      if (!c.special) shadeChip(chip, c.score, max);
      row.append(chip);
    }
    box.append(
      row,
      h('div', { class: 'muted', id: 'why-caption' }, whyCaption(res, SALIENCY_METHOD_NAMES[res.method] ?? res.method)),
    );
  }
  const now = `${r.runId}:${w.example}:${w.busy ? 'busy' : w.error ? 'error' : 'result'}`;
  if (now !== shown) {
    shown = now;
    setTimeout(() => box.scrollIntoView({ block: 'nearest' }), 0);
  }
  return box;
}
