// The masking preview: BERT's pre-training corruption of the user's text (15 % chosen; of those 80 % [MASK],
// 10 % random, 10 % kept) and what the model predicts at every chosen position. "Resample" draws again.
import { mpReady, mpResample, mpState, type MaskPreviewState } from '../../protocol/walk';
import { h, injectStyle, vscodeApi } from '../../shared/dom';
import baseCss from '../../shared/base.css';
import css from './maskPreview.css';

injectStyle(baseCss + css);
const app = document.getElementById('app')!;
let state: MaskPreviewState | undefined;

window.addEventListener('message', (e: MessageEvent) => {
  if (!mpState.is(e.data)) return;
  state = e.data.params;
  vscodeApi.setState({ text: state.text, seed: state.seed });
  render();
});

const KIND_LABEL = { mask: 'masked', random: 'random', kept: 'kept' } as const;

function render(): void {
  app.replaceChildren();
  if (!state) return;
  const s = state;
  const seedInput = h('input', {
    type: 'number',
    id: 'seed',
    value: String(s.seed),
    'aria-label': 'Seed',
    step: 1,
  }) as HTMLInputElement;
  app.append(
    h(
      'div',
      { class: 'toolbar' },
      h('button', { id: 'resample', onclick: () => vscodeApi.postMessage(mpResample.create({})) }, 'Resample'),
      h('label', { for: 'seed' }, 'seed'),
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
        'Apply',
      ),
      h('span', { class: 'muted' }, s.modelLabel),
    ),
    h(
      'p',
      { class: 'muted explain' },
      'BERT learns by repairing corrupted text: 15 % of the tokens are chosen; of those, 80 % become the mask token, 10 % a random token, and 10 % stay unchanged — so the model cannot tell which inputs to trust and must predict the original at every chosen position.',
    ),
  );
  if (s.busy) app.append(h('p', { class: 'muted', id: 'busy' }, h('progress', {}), ' Computing…'));
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
            title: `${KIND_LABEL[c.kind]}: the model reads "${c.replacement}"`,
          },
          c.kind === 'kept' ? t : `${t} → ${c.replacement}`,
        ),
      );
    }
  });
  const counts = { mask: 0, random: 0, kept: 0 };
  for (const c of r.chosen) counts[c.kind]++;
  app.append(
    h('h2', {}, `Seed ${r.seed}: ${r.chosen.length} of ${r.tokens.length} tokens chosen`),
    h(
      'p',
      { class: 'legend-kinds' },
      h('span', { class: 'tok chosen mask' }, `masked ${counts.mask}`),
      ' ',
      h('span', { class: 'tok chosen random' }, `random ${counts.random}`),
      ' ',
      h('span', { class: 'tok chosen kept' }, `kept ${counts.kept}`),
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
        h('th', {}, 'original'),
        h('th', {}, 'kind'),
        h('th', {}, 'model reads'),
        h('th', {}, 'predictions'),
        h('th', {}, 'original p (rank)'),
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
        h('td', { class: `kind ${c.kind}` }, KIND_LABEL[c.kind]),
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
