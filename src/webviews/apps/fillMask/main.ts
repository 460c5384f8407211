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
  const row = h('div', { class: 'tokens', role: 'group', 'aria-label': `Tokens for ${col.label}` });
  if (!t) return row;
  const sal = col.saliency && col.saliency.scores.length === t.tokens.length ? col.saliency : undefined;
  const max = sal ? Math.max(0, ...sal.scores.map((x, i) => (t.specialTokensMask[i] ? 0 : Math.abs(x)))) : 0;
  t.tokens.forEach((tok, i) => {
    const special = t.specialTokensMask[i] === 1;
    const span = wordSpan(t, i);
    const masked = !special && isMasked(span);
    const why =
      sal && !special ? ` · ${METHOD_NAMES[sal.method]} ${sal.scores[i].toPrecision(4)} for “${sal.token}”` : '';
    const chip = h(
      'button',
      {
        class: `token${special ? ' special' : ''}${masked ? ' masked' : ''}`,
        title: special
          ? `${tok} (special, id ${t.ids[i]})`
          : `${tok} · id ${t.ids[i]}${why} · click to ${masked ? 'unmask' : 'mask'} “${state!.text.slice(span[0], span[1])}”`,
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
        `Shaded by ${METHOD_NAMES[sal.method]} for “${sal.token}” (log p ${sal.logprob.toFixed(3)}, fp32 graph): blue raises it, orange lowers it.`,
      ),
    );
  return row;
}

function explainButton(column: number, mask: number, what: string): HTMLElement {
  return h(
    'button',
    {
      class: 'secondary small',
      title: `Explain Prediction: shade the tokens by their saliency for ${what}`,
      'aria-label': `Why ${what}?`,
      onclick: () => post(fmExplain.create({ column, mask })),
    },
    'Why?',
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
          `“${s.original}” → ${s.pieces.length} piece${s.pieces.length > 1 ? 's' : ''} `,
          explainButton(column, first, `“${top}” at its first piece`),
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
          explainButton(column, i, `“${m.predictions[0]?.token ?? ''}” at ${r.maskToken} #${i + 1}`),
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
            title: 'Remove this model',
            'aria-label': `Remove ${col.label}`,
            onclick: () => post(fmRemoveModel.create({ index })),
          },
          '×',
        )
      : undefined,
  );
  const body = col.error
    ? h('div', { class: 'error' }, col.error)
    : col.busy
      ? h('div', { class: 'muted' }, 'Running…')
      : h(
          'div',
          {},
          renderTokens(col),
          col.tokenization ? h('div', { class: 'muted' }, `${col.tokenization.tokens.length} tokens`) : undefined,
          renderPredictions(col, index),
        );
  return h('section', { class: 'column', 'data-model': col.model }, header, body);
}

function render(): void {
  if (!state) return;
  const s = state;
  const textarea = h('textarea', { rows: 3, 'aria-label': 'Text' }) as HTMLTextAreaElement;
  textarea.value = s.text;
  const picker = h(
    'select',
    { 'aria-label': 'Add a model' },
    h('option', { value: '' }, 'Add model…'),
    ...s.choices.map((c) => h('option', { value: c.model || 'embedded' }, c.label)),
  );
  const custom = h('input', {
    type: 'text',
    placeholder: 'hub id or folder',
    'aria-label': 'Hub id or folder',
  }) as HTMLInputElement;
  const full = s.models.length >= MAX_MODELS;
  const topK = h(
    'select',
    { 'aria-label': 'Top k' },
    ...[3, 5, 10, 20].map((k) => h('option', { value: k, selected: k === s.topK }, `top ${k}`)),
  ) as HTMLSelectElement;
  topK.addEventListener('change', () => post(fmSetTopK.create({ topK: Number(topK.value) })));
  const method = h(
    'select',
    { 'aria-label': 'Saliency method', title: 'Saliency method of the Why? buttons' },
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
      h('button', { onclick: () => post(fmSetText.create({ text: textarea.value })) }, 'Use text'),
      topK,
      method,
      full ? h('span', { class: 'muted' }, `${MAX_MODELS} models at most`) : picker,
      full ? undefined : custom,
      full
        ? undefined
        : h(
            'button',
            {
              class: 'secondary',
              onclick: () => custom.value.trim() && post(fmAddModel.create({ model: custom.value.trim() })),
            },
            'Add',
          ),
      h(
        'button',
        {
          class: 'secondary',
          title: 'Save the masks, predictions and scores of every model as JSON',
          onclick: () => post(fmExport.create({ format: 'json' })),
        },
        'Export JSON',
      ),
      h(
        'button',
        {
          class: 'secondary',
          title: 'Save one row per model, mask and candidate as CSV',
          onclick: () => post(fmExport.create({ format: 'csv' })),
        },
        'Export CSV',
      ),
    ),
    h(
      'p',
      { class: 'muted' },
      'Click a token to mask or unmask its word. Each model tokenizes the same text its own way.',
    ),
    h('div', { class: 'columns' }, ...s.models.map(renderColumn)),
    renderDirections(s, post),
  );
}

post(fmReady.create({}));
