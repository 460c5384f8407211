import type { Offset, TokenizeResult } from '../../../engine/api';
import {
  fmAddModel,
  fmExplain,
  fmExport,
  fmReady,
  fmRemoveModel,
  fmSetSaliencyMethod,
  fmSetText,
  fmSetTopK,
  fmState,
  fmToggleMask,
  MAX_MODELS,
  SALIENCY_METHODS,
  type FillMaskState,
  type ModelColumn,
} from '../../protocol/fillMask';
import { h, injectStyle, vscodeApi } from '../../shared/dom';
import baseCss from '../../shared/base.css';
import css from './fillMask.css';
import { renderDirections } from './directions';
import { SALIENCY_METHOD_NAMES, shadeChip } from '../../shared/saliency';
import { l10n } from '../../shared/l10n';

injectStyle(baseCss + css);
const app = document.getElementById('app')!;
let state: FillMaskState | undefined;

window.addEventListener('message', (e: MessageEvent) => {
  if (!fmState.is(e.data)) return;
  state = e.data.params;
  // Keep only what a reload needs; results are recomputed.
  vscodeApi.setState({ text: state.text, masks: state.masks, models: state.models.map((m) => ({ model: m.model })) });
  render();
});

function post(msg: unknown): void {
  vscodeApi.postMessage(msg);
}

/** The whole word around a token (all pieces with the same word id), as a character span. */
function wordSpan(t: TokenizeResult, i: number): Offset {
  const w = t.wordIds[i];
  if (w === null) return t.offsets[i];
  const idx = t.wordIds.map((x, k) => (x === w ? k : -1)).filter((k) => k >= 0);
  return [Math.min(...idx.map((k) => t.offsets[k][0])), Math.max(...idx.map((k) => t.offsets[k][1]))];
}

function isMasked(span: Offset): boolean {
  return !!state?.masks.some(([s, e]) => s < span[1] && e > span[0]);
}

const METHOD_NAMES = SALIENCY_METHOD_NAMES;
/** Saliency shading of a chip (shared with the trainer's "Why this label?"). */
const shade = shadeChip;

function renderTokens(col: ModelColumn): HTMLElement {
  const t = col.tokenization;
  const row = h('div', { class: 'tokens', role: 'group', 'aria-label': l10n.t('Tokens for {0}', col.label) });
  if (!t) return row;
  const sal = col.saliency && col.saliency.scores.length === t.tokens.length ? col.saliency : undefined;
  const max = sal ? Math.max(0, ...sal.scores.map((x, i) => (t.specialTokensMask[i] ? 0 : Math.abs(x)))) : 0;
  t.tokens.forEach((tok, i) => {
    const special = t.specialTokensMask[i] === 1;
    const span = wordSpan(t, i);
    const masked = !special && isMasked(span);
    const why =
      sal && !special
        ? ' · ' + l10n.t('{0} {1} for “{2}”', METHOD_NAMES[sal.method], sal.scores[i].toPrecision(4), sal.token)
        : '';
    const chip = h(
      'button',
      {
        class: `token${special ? ' special' : ''}${masked ? ' masked' : ''}`,
        title: special
          ? l10n.t('{0} (special, id {1})', tok, t.ids[i])
          : masked
            ? l10n.t('{0} · id {1}{2} · click to unmask “{3}”', tok, t.ids[i], why, state!.text.slice(span[0], span[1]))
            : l10n.t('{0} · id {1}{2} · click to mask “{3}”', tok, t.ids[i], why, state!.text.slice(span[0], span[1])),
        disabled: special,
        'aria-pressed': masked ? 'true' : 'false',
        onclick: () => post(fmToggleMask.create({ span })),
      },
      tok,
    );
    if (sal && !special) shade(chip, sal.scores[i], max);
    row.append(chip);
  });
  if (sal)
    row.append(
      h(
        'div',
        { class: 'muted' },
        l10n.t(
          'Shaded by {0} for “{1}” (log p {2}, fp32 graph): blue raises it, orange lowers it.',
          METHOD_NAMES[sal.method],
          sal.token,
          sal.logprob.toFixed(3),
        ),
      ),
    );
  return row;
}

function explainButton(column: number, mask: number, what: string): HTMLElement {
  return h(
    'button',
    {
      class: 'secondary small',
      title: l10n.t('Explain Prediction: shade the tokens by their saliency for {0}', what),
      'aria-label': l10n.t('Why {0}?', what),
      onclick: () => post(fmExplain.create({ column, mask })),
    },
    l10n.t('Why?'),
  );
}

function bar(label: string, score: number): HTMLElement {
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${Math.max(1, score * 100).toFixed(1)}%`;
  return h(
    'div',
    { class: 'bar-row' },
    h('span', { class: 'bar-label' }, label),
    h('span', { class: 'bar' }, fill),
    h('span', { class: 'bar-score' }, `${(score * 100).toFixed(1)}%`),
  );
}

function renderPredictions(col: ModelColumn, column: number): HTMLElement {
  const box = h('div', { class: 'predictions' });
  const r = col.result;
  if (!r) return box;
  if (r.spans?.length) {
    for (const s of r.spans) {
      const first = s.masks[0];
      const top = r.masks[first]?.predictions[0]?.token ?? '';
      const group = h(
        'div',
        { class: 'mask-group' },
        h(
          'div',
          { class: 'mask-title' },
          s.pieces.length > 1
            ? l10n.t('“{0}” → {1} pieces', s.original, s.pieces.length)
            : l10n.t('“{0}” → {1} piece', s.original, s.pieces.length),
          ' ',
          explainButton(column, first, l10n.t('“{0}” at its first piece', top)),
        ),
      );
      for (const c of s.candidates) group.append(bar(c.word, c.score));
      box.append(group);
    }
  } else {
    r.masks.forEach((m, i) => {
      const group = h(
        'div',
        { class: 'mask-group' },
        h(
          'div',
          { class: 'mask-title' },
          `${r.maskToken} #${i + 1} `,
          explainButton(column, i, l10n.t('“{0}” at {1} #{2}', m.predictions[0]?.token ?? '', r.maskToken, i + 1)),
        ),
      );
      for (const p of m.predictions) group.append(bar(p.token, p.score));
      box.append(group);
    });
  }
  return box;
}

function renderColumn(col: ModelColumn, index: number): HTMLElement {
  const header = h(
    'div',
    { class: 'col-header' },
    h('strong', {}, col.label),
    col.millis !== undefined ? h('span', { class: 'muted' }, ` ${Math.round(col.millis)} ms`) : undefined,
    state!.models.length > 1
      ? h(
          'button',
          {
            class: 'secondary small',
            title: l10n.t('Remove this model'),
            'aria-label': l10n.t('Remove {0}', col.label),
            onclick: () => post(fmRemoveModel.create({ index })),
          },
          '×',
        )
      : undefined,
  );
  const body = col.error
    ? h('div', { class: 'error' }, col.error)
    : col.busy
      ? h('div', { class: 'muted' }, l10n.t('Running…'))
      : h(
          'div',
          {},
          renderTokens(col),
          col.tokenization
            ? h('div', { class: 'muted' }, l10n.t('{0} tokens', col.tokenization.tokens.length))
            : undefined,
          renderPredictions(col, index),
        );
  return h('section', { class: 'column', 'data-model': col.model }, header, body);
}

function render(): void {
  if (!state) return;
  const s = state;
  const textarea = h('textarea', { rows: 3, 'aria-label': l10n.t('Text') }) as HTMLTextAreaElement;
  textarea.value = s.text;
  const picker = h(
    'select',
    { 'aria-label': l10n.t('Add a model') },
    h('option', { value: '' }, l10n.t('Add model…')),
    ...s.choices.map((c) => h('option', { value: c.model || 'embedded' }, c.label)),
  );
  const custom = h('input', {
    type: 'text',
    placeholder: l10n.t('hub id or folder'),
    'aria-label': l10n.t('Hub id or folder'),
  }) as HTMLInputElement;
  const full = s.models.length >= MAX_MODELS;
  const topK = h(
    'select',
    { 'aria-label': l10n.t('Top k') },
    ...[3, 5, 10, 20].map((k) => h('option', { value: k, selected: k === s.topK }, l10n.t('top {0}', k))),
  ) as HTMLSelectElement;
  topK.addEventListener('change', () => post(fmSetTopK.create({ topK: Number(topK.value) })));
  const method = h(
    'select',
    { 'aria-label': l10n.t('Saliency method'), title: l10n.t('Saliency method of the Why? buttons') },
    ...SALIENCY_METHODS.map((m) =>
      h('option', { value: m, selected: m === (s.saliencyMethod ?? 'grad-input') }, METHOD_NAMES[m]),
    ),
  ) as HTMLSelectElement;
  method.addEventListener('change', () =>
    post(fmSetSaliencyMethod.create({ method: method.value as (typeof SALIENCY_METHODS)[number] })),
  );
  picker.addEventListener('change', () => {
    const v = (picker as HTMLSelectElement).value;
    if (v) post(fmAddModel.create({ model: v === 'embedded' ? '' : v }));
  });
  app.replaceChildren(
    h('div', { class: 'toolbar' }, textarea),
    h(
      'div',
      { class: 'toolbar' },
      h('button', { onclick: () => post(fmSetText.create({ text: textarea.value })) }, l10n.t('Use text')),
      topK,
      method,
      full ? h('span', { class: 'muted' }, l10n.t('{0} models at most', MAX_MODELS)) : picker,
      full ? undefined : custom,
      full
        ? undefined
        : h(
            'button',
            {
              class: 'secondary',
              onclick: () => custom.value.trim() && post(fmAddModel.create({ model: custom.value.trim() })),
            },
            l10n.t('Add'),
          ),
      h(
        'button',
        {
          class: 'secondary',
          title: l10n.t('Save the masks, predictions and scores of every model as JSON'),
          onclick: () => post(fmExport.create({ format: 'json' })),
        },
        l10n.t('Export JSON'),
      ),
      h(
        'button',
        {
          class: 'secondary',
          title: l10n.t('Save one row per model, mask and candidate as CSV'),
          onclick: () => post(fmExport.create({ format: 'csv' })),
        },
        l10n.t('Export CSV'),
      ),
    ),
    h(
      'p',
      { class: 'muted' },
      l10n.t('Click a token to mask or unmask its word. Each model tokenizes the same text its own way.'),
    ),
    h('div', { class: 'columns' }, ...s.models.map(renderColumn)),
    renderDirections(s, post),
  );
}

post(fmReady.create({}));
