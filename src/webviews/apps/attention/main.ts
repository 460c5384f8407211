import type { AttentionResult } from '../../../engine/api';
import {
  atExport,
  atExportFailed,
  atReady,
  atState,
  nestAttention,
  type AttentionState,
  type ExportFormat,
} from '../../protocol/attention';
import { colourLegend, h, injectStyle, onThemeChange, themeColour, vscodeApi } from '../../shared/dom';
import {
  intensity,
  linesSvg,
  matrixMax,
  matrixSvg,
  subMatrix,
  visibleTokens,
  type SvgColours,
} from '../../shared/heatmap';
import baseCss from '../../shared/base.css';
import css from './attention.css';
import { l10n } from '../../shared/l10n';

injectStyle(baseCss + css);
const app = document.getElementById('app')!;

type Selection = { kind: 'head'; layer: number; head: number } | { kind: 'mean'; layer: number } | { kind: 'rollout' };
let state: AttentionState | undefined;
let selection: Selection = { kind: 'head', layer: 0, head: 0 };
let hideSpecial = false;
let view: 'matrix' | 'lines' = 'matrix';
let focusToken: number | undefined;

window.addEventListener('message', (e: MessageEvent) => {
  if (!atState.is(e.data)) return;
  state = e.data.params;
  if (state.tensors && !state.result) state = { ...state, result: nestAttention(state.tensors), tensors: undefined };
  vscodeApi.setState({ text: state.text, model: state.model });
  render();
});

function colours(): SvgColours {
  return {
    fg: themeColour('--vscode-foreground', '#333'),
    bg: themeColour('--vscode-editor-background', '#fff'),
    accent: themeColour('--vscode-charts-blue', themeColour('--vscode-focusBorder', '#0078d4')),
  };
}

function matrixFor(r: AttentionResult, sel: Selection): number[][] {
  if (sel.kind === 'head') return r.attentions[sel.layer][sel.head];
  if (sel.kind === 'mean') return r.headMean[sel.layer];
  return r.rollout;
}

function titleFor(sel: Selection): string {
  if (sel.kind === 'head') return l10n.t('Layer {0}, head {1}', sel.layer + 1, sel.head + 1);
  if (sel.kind === 'mean') return l10n.t('Layer {0}, mean of heads', sel.layer + 1);
  return l10n.t('Attention rollout (all layers)');
}

function sameSelection(a: Selection, b: Selection): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A small canvas heatmap; a button so the grid is keyboard accessible. */
function thumb(
  r: AttentionResult,
  sel: Selection,
  idx: number[],
  label: string,
  cls: string,
  data: Record<string, number | string>,
): HTMLElement {
  const m = subMatrix(matrixFor(r, sel), idx, hideSpecial);
  const n = m.length;
  const px = Math.max(2, Math.floor(64 / Math.max(1, n)));
  const canvas = h('canvas', { width: n * px, height: n * px, 'aria-hidden': 'true' }) as HTMLCanvasElement;
  const ctx = canvas.getContext('2d');
  if (ctx) {
    ctx.fillStyle = colours().bg;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = colours().accent;
    const max = matrixMax(m);
    m.forEach((row, i) =>
      row.forEach((v, j) => {
        ctx.globalAlpha = intensity(v, max);
        ctx.fillRect(j * px, i * px, px, px);
      }),
    );
  }
  const attrs: Record<string, string | number | boolean | ((e: Event) => void)> = {
    class: `heatmap ${cls}${sameSelection(sel, selection) ? ' selected' : ''}`,
    title: titleFor(sel),
    'aria-label': titleFor(sel),
    onclick: () => {
      selection = sel;
      render();
    },
  };
  for (const [k, v] of Object.entries(data)) attrs[`data-${k}`] = v;
  return h('button', attrs, canvas, h('span', { class: 'thumb-label' }, label));
}

function renderGrid(r: AttentionResult, idx: number[]): HTMLElement {
  const layers = r.attentions.length;
  const heads = r.attentions[0]?.length ?? 0;
  const grid = h('div', { class: 'grid', role: 'grid', 'aria-label': l10n.t('{0} layers × {1} heads', layers, heads) });
  grid.style.gridTemplateColumns = `auto repeat(${heads + 1}, auto)`;
  grid.append(
    h('span', {}),
    ...Array.from({ length: heads }, (_, k) => h('span', { class: 'axis' }, l10n.t('head {0}', k + 1))),
    h('span', { class: 'axis' }, l10n.t('mean')),
  );
  for (let l = 0; l < layers; l++) {
    grid.append(h('span', { class: 'axis' }, l10n.t('layer {0}', l + 1)));
    for (let k = 0; k < heads; k++)
      grid.append(thumb(r, { kind: 'head', layer: l, head: k }, idx, '', 'head', { layer: l, head: k }));
    grid.append(thumb(r, { kind: 'mean', layer: l }, idx, '', 'mean', { layer: l }));
  }
  return grid;
}

function renderDetail(r: AttentionResult, idx: number[]): HTMLElement {
  const m = subMatrix(matrixFor(r, selection), idx, hideSpecial);
  const labels = idx.map((i) => r.tokens[i]);
  const title = titleFor(selection);
  const svg =
    view === 'matrix'
      ? matrixSvg(m, labels, title, colours())
      : linesSvg(m, labels, title, colours(), 0.05, 20, focusToken);
  const holder = h('div', { class: `detail ${view}` });
  // The SVG is built by our own code from escaped token strings, never from HTML input.
  holder.innerHTML = svg;
  holder.addEventListener('mouseover', (e) => highlight(holder, e.target as Element));
  holder.addEventListener('mouseleave', () => highlight(holder, undefined));
  if (view === 'lines') {
    holder.addEventListener('click', (e) => {
      const t = e.target as Element;
      if (t.classList.contains('from')) {
        const i = Number(t.getAttribute('data-index'));
        focusToken = focusToken === i ? undefined : i;
        render();
      }
    });
  }
  return holder;
}

/** Hovering a token (or a cell) highlights its row and column. */
function highlight(holder: HTMLElement, target: Element | undefined): void {
  holder.querySelectorAll('.hl').forEach((el) => el.classList.remove('hl'));
  if (!target) return;
  const i = target.getAttribute('data-i');
  const j = target.getAttribute('data-j');
  if (i !== null) holder.querySelectorAll(`[data-i="${i}"]`).forEach((el) => el.classList.add('hl'));
  if (j !== null) holder.querySelectorAll(`[data-j="${j}"]`).forEach((el) => el.classList.add('hl'));
  // A label stands for its token both as a row and a column.
  if (i !== null && j === null) holder.querySelectorAll(`[data-j="${i}"]`).forEach((el) => el.classList.add('hl'));
  if (j !== null && i === null) holder.querySelectorAll(`[data-i="${j}"]`).forEach((el) => el.classList.add('hl'));
}

async function exportAs(format: ExportFormat): Promise<void> {
  const r = state?.result;
  if (!r) {
    vscodeApi.postMessage(atExportFailed.create({ reason: l10n.t('there is no attention to export yet') }));
    return;
  }
  const idx = visibleTokens(r.tokens, hideSpecial);
  const m = subMatrix(matrixFor(r, selection), idx, hideSpecial);
  const labels = idx.map((i) => r.tokens[i]);
  const name = `attention-${selection.kind}${'layer' in selection ? `-l${selection.layer + 1}` : ''}${selection.kind === 'head' ? `-h${selection.head + 1}` : ''}`;
  try {
    if (format === 'json') {
      vscodeApi.postMessage(
        atExport.create({ format, name, data: JSON.stringify({ text: state!.text, model: state!.modelLabel, ...r }) }),
      );
      return;
    }
    const svg =
      view === 'matrix'
        ? matrixSvg(m, labels, titleFor(selection), colours())
        : linesSvg(m, labels, titleFor(selection), colours(), 0.05, 20, focusToken);
    if (format === 'svg') {
      vscodeApi.postMessage(atExport.create({ format, name, data: svg }));
      return;
    }
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    await img.decode();
    const canvas = h('canvas', { width: img.naturalWidth * 2, height: img.naturalHeight * 2 }) as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    ctx.scale(2, 2);
    ctx.drawImage(img, 0, 0);
    vscodeApi.postMessage(atExport.create({ format, name, data: canvas.toDataURL('image/png') }));
  } catch (err) {
    vscodeApi.postMessage(atExportFailed.create({ reason: err instanceof Error ? err.message : String(err) }));
  }
}

function render(): void {
  if (!state) return;
  const s = state;
  const header = h(
    'div',
    { class: 'toolbar' },
    h('strong', {}, s.modelLabel),
    h('span', { class: 'muted text' }, `“${s.text.length > 160 ? `${s.text.slice(0, 160)}…` : s.text}”`),
  );
  if (s.busy) return void app.replaceChildren(header, h('p', { class: 'muted' }, l10n.t('Computing attention…')));
  if (s.error || !s.result)
    return void app.replaceChildren(header, h('p', { class: 'error' }, s.error ?? l10n.t('No attention yet.')));
  const r = s.result;
  const idx = visibleTokens(r.tokens, hideSpecial);
  const toggle = h('input', { type: 'checkbox', id: 'hide', checked: hideSpecial }) as HTMLInputElement;
  toggle.addEventListener('change', () => {
    hideSpecial = toggle.checked;
    focusToken = undefined;
    render();
  });
  const tools = h(
    'div',
    { class: 'toolbar' },
    h('label', { for: 'hide' }, toggle, ' ', l10n.t('Hide [CLS]/[SEP]/punctuation')),
    h(
      'button',
      {
        class: view === 'matrix' ? '' : 'secondary',
        'aria-pressed': view === 'matrix' ? 'true' : 'false',
        onclick: () => ((view = 'matrix'), render()),
      },
      l10n.t('Matrix'),
    ),
    h(
      'button',
      {
        class: view === 'lines' ? '' : 'secondary',
        'aria-pressed': view === 'lines' ? 'true' : 'false',
        onclick: () => ((view = 'lines'), render()),
      },
      l10n.t('Lines'),
    ),
    h('button', { class: 'secondary', onclick: () => void exportAs('svg') }, l10n.t('Export SVG')),
    h('button', { class: 'secondary', onclick: () => void exportAs('png') }, l10n.t('Export PNG')),
    h('button', { class: 'secondary', onclick: () => void exportAs('json') }, l10n.t('Export JSON')),
  );
  const rollout = thumb(r, { kind: 'rollout' }, idx, l10n.t('rollout'), 'rollout', {});
  const legend = h(
    'div',
    { id: 'attention-legend' },
    colourLegend('0', l10n.t('max of each map'), colours().accent, l10n.t('attention weight')),
  );
  app.replaceChildren(
    header,
    tools,
    legend,
    h(
      'div',
      { class: 'layout' },
      h('div', {}, renderGrid(r, idx), h('div', { class: 'rollout-row' }, rollout)),
      h('div', { class: 'detail-box' }, renderDetail(r, idx)),
    ),
  );
}

// A theme switch changes the --vscode-* colours the canvases and the detail SVG were painted with: repaint.
onThemeChange(() => render());

post();
function post(): void {
  const saved = vscodeApi.getState() as { text?: string } | undefined;
  if (saved?.text) app.replaceChildren(h('p', { class: 'muted' }, l10n.t('Restoring…')));
  vscodeApi.postMessage(atReady.create({}));
}
