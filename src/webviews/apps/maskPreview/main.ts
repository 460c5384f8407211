// The masking preview: BERT's pre-training corruption of the user's text (15 % chosen; of those 80 % [MASK],
// 10 % random, 10 % kept) and what the model predicts at every chosen position. "Resample" draws again.
import { mpReady, mpResample, mpState, type MaskPreviewState } from '../../protocol/walk';
import { h, injectStyle, vscodeApi } from '../../shared/dom';
import baseCss from '../../shared/base.css';
import css from './maskPreview.css';
import { l10n } from '../../shared/l10n';

injectStyle(baseCss + css);
const app = document.getElementById('app')!;
let state: MaskPreviewState | undefined;

window.addEventListener('message', (e: MessageEvent) => {
  if (!mpState.is(e.data)) return;
  state = e.data.params;
  vscodeApi.setState({ text: state.text, seed: state.seed });
  render();
});

const KIND_LABEL = {
  mask: () => l10n.t('masked'),
  random: () => l10n.t('random'),
  kept: () => l10n.t('kept'),
} as const;

function render(): void {
  app.replaceChildren();
  if (!state) return;
  const s = state;
  const seedInput = h('input', {
    type: 'number',
    id: 'seed',
    value: String(s.seed),
    'aria-label': l10n.t('Seed'),
    step: 1,
  }) as HTMLInputElement;
  app.append(
    h(
      'div',
      { class: 'toolbar' },
      h('button', { id: 'resample', onclick: () => vscodeApi.postMessage(mpResample.create({})) }, l10n.t('Resample')),
      h('label', { for: 'seed' }, l10n.t('seed')),
      seedInput,
      h(
        'button',
        {
          class: 'secondary',
          onclick: () => {
            const v = Number(seedInput.value);
            if (Number.isInteger(v)) vscodeApi.postMessage(mpResample.create({ seed: v }));
          },
        },
        l10n.t('Apply'),
      ),
      h('span', { class: 'muted' }, s.modelLabel),
    ),
    h(
      'p',
      { class: 'muted explain' },
      l10n.t(
        'BERT learns by repairing corrupted text: 15 % of the tokens are chosen; of those, 80 % become the mask token, 10 % a random token, and 10 % stay unchanged — so the model cannot tell which inputs to trust and must predict the original at every chosen position.',
      ),
    ),
  );
  if (s.busy) app.append(h('p', { class: 'muted', id: 'busy' }, h('progress', {}), ' ', l10n.t('Computing…')));
  if (s.error) app.append(h('p', { class: 'error' }, s.error));
  const r = s.result;
  if (!r) return;
  const byPos = new Map(r.chosen.map((c, k) => [c.position, k]));
  const line = h('div', { class: 'tokens', id: 'tokens' });
  r.tokens.forEach((t, i) => {
    const k = byPos.get(i);
    if (k === undefined) line.append(h('span', { class: 'tok' }, t));
    else {
      const c = r.chosen[k];
      line.append(
        h(
          'span',
          {
            class: `tok chosen ${c.kind}`,
            'data-position': i,
            title: l10n.t('{0}: the model reads "{1}"', KIND_LABEL[c.kind](), c.replacement),
          },
          c.kind === 'kept' ? t : `${t} → ${c.replacement}`,
        ),
      );
    }
  });
  const counts = { mask: 0, random: 0, kept: 0 };
  for (const c of r.chosen) counts[c.kind]++;
  app.append(
    h('h2', {}, l10n.t('Seed {0}: {1} of {2} tokens chosen', r.seed, r.chosen.length, r.tokens.length)),
    h(
      'p',
      { class: 'legend-kinds' },
      h('span', { class: 'tok chosen mask' }, l10n.t('masked {0}', counts.mask)),
      ' ',
      h('span', { class: 'tok chosen random' }, l10n.t('random {0}', counts.random)),
      ' ',
      h('span', { class: 'tok chosen kept' }, l10n.t('kept {0}', counts.kept)),
    ),
    line,
  );
  const table = h(
    'table',
    { id: 'predictions' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, '#'),
        h('th', {}, l10n.t('original')),
        h('th', {}, l10n.t('kind')),
        h('th', {}, l10n.t('model reads')),
        h('th', {}, l10n.t('predictions')),
        h('th', {}, l10n.t('original p (rank)')),
      ),
    ),
  );
  const body = h('tbody');
  r.predictions.forEach((p, k) => {
    const c = r.chosen[k];
    const preds = h('div', { class: 'preds' });
    for (const q of p.predictions) {
      const bar = h('span', { class: 'bar' });
      bar.style.setProperty('--w', `${Math.round(q.score * 100)}%`);
      preds.append(
        h(
          'div',
          { class: `pred${q.id === p.original.id ? ' hit' : ''}` },
          h('span', { class: 'ptok' }, q.token),
          bar,
          h('span', { class: 'pval' }, q.score.toFixed(3)),
        ),
      );
    }
    body.append(
      h(
        'tr',
        { 'data-position': p.position },
        h('td', {}, String(p.position)),
        h('td', {}, c.original),
        h('td', { class: `kind ${c.kind}` }, KIND_LABEL[c.kind]()),
        h('td', {}, c.replacement),
        h('td', {}, preds),
        h('td', { class: 'orig' }, `${p.original.score.toFixed(3)} (${p.original.rank})`),
      ),
    );
  });
  table.append(body);
  app.append(table);
}

vscodeApi.postMessage(mpReady.create({}));
