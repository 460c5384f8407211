// Input embeddings: per token, the norms of the word, position and segment vectors the embedding block adds
// (stacked bars), the segment id (it flips after the first [SEP] of a pair), and the cosine similarity of the
// position vectors as a position × position heatmap with its colour scale.
import type { InputEmbeddingsResult } from '../../../engine/api';
import { ieReady, ieState, type InputEmbeddingsState } from '../../protocol/walk';
import { colourLegend, h, injectStyle, onThemeChange, themeColour, vscodeApi } from '../../shared/dom';
import baseCss from '../../shared/base.css';
import css from './inputEmbeddings.css';
import { l10n } from '../../shared/l10n';

injectStyle(baseCss + css);
const app = document.getElementById('app')!;
let state: InputEmbeddingsState | undefined;

window.addEventListener('message', (e: MessageEvent) => {
  if (!ieState.is(e.data)) return;
  state = e.data.params;
  vscodeApi.setState({ text: state.text, pair: state.pair });
  render();
});
onThemeChange(() => render());

const fmt = (x: number) => x.toFixed(3);

function bars(r: InputEmbeddingsResult): HTMLElement {
  const max = Math.max(...r.rows.map((x) => x.token_norm + x.position_norm + x.segment_norm), 1e-9);
  const list = h('div', { class: 'rows', id: 'bars' });
  r.rows.forEach((x, i) => {
    const flip = i > 0 && r.rows[i - 1].segment !== x.segment;
    const stack = h('span', {
      class: 'stack',
      title: l10n.t(
        'token {0} · position {1} · segment {2} · |sum| {3} · cos with sum: {4} / {5} / {6} · |output| {7}',
        fmt(x.token_norm),
        fmt(x.position_norm),
        fmt(x.segment_norm),
        fmt(x.sum_norm),
        fmt(x.cos_token),
        fmt(x.cos_position),
        fmt(x.cos_segment),
        fmt(x.output_norm),
      ),
    });
    for (const [cls, v] of [
      ['tokpart', x.token_norm],
      ['pospart', x.position_norm],
      ['segpart', x.segment_norm],
    ] as const) {
      const part = h('span', { class: `part ${cls}` });
      part.style.setProperty('--w', `${((v / max) * 100).toFixed(2)}%`);
      stack.append(part);
    }
    list.append(
      h(
        'div',
        { class: `row${flip ? ' flip' : ''}`, 'data-position': i },
        h('span', { class: 'tname' }, x.token),
        h(
          'span',
          {
            class: `seg seg${x.segment}`,
            title: flip ? l10n.t('the segment id flips here') : l10n.t('segment {0}', x.segment),
          },
          `${x.segment}`,
        ),
        stack,
        h('span', { class: 'num' }, fmt(x.sum_norm)),
        h('span', { class: 'num' }, fmt(x.output_norm)),
      ),
    );
  });
  return list;
}

function heatmap(r: InputEmbeddingsResult): HTMLElement {
  const m = r.position_similarity;
  const n = m.length;
  const px = Math.max(4, Math.min(16, Math.floor(320 / Math.max(1, n))));
  const canvas = h('canvas', {
    id: 'positionHeatmap',
    width: n * px,
    height: n * px,
    role: 'img',
    'aria-label': l10n.t('cosine similarity of the {0} position vectors', n),
  }) as HTMLCanvasElement;
  const ctx = canvas.getContext('2d');
  const pos = themeColour('--vscode-charts-blue', '#0078d4');
  const neg = themeColour('--vscode-charts-red', '#d13438');
  if (ctx) {
    ctx.fillStyle = themeColour('--vscode-editor-background', '#fff');
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    m.forEach((row, i) =>
      row.forEach((v, j) => {
        ctx.globalAlpha = Math.min(1, Math.sqrt(Math.abs(v)));
        ctx.fillStyle = v >= 0 ? pos : neg;
        ctx.fillRect(j * px, i * px, px, px);
      }),
    );
    ctx.globalAlpha = 1;
  }
  canvas.addEventListener('mousemove', (e) => {
    const j = Math.floor(e.offsetX / px);
    const i = Math.floor(e.offsetY / px);
    if (i >= 0 && j >= 0 && i < n && j < n)
      canvas.title = l10n.t(
        'position {0} ({1}) · position {2} ({3}): cos {4}',
        i,
        r.tokens[i],
        j,
        r.tokens[j],
        fmt(m[i][j]),
      );
  });
  return h(
    'div',
    { class: 'heat' },
    canvas,
    h('div', {}, colourLegend('0', '1', pos, l10n.t('cosine')), colourLegend('0', '−1', neg, l10n.t('negative'))),
  );
}

function render(): void {
  app.replaceChildren();
  if (!state) return;
  const s = state;
  app.append(
    h(
      'p',
      { class: 'muted' },
      l10n.t(
        '{0} — the input to layer 1 is token + position + segment vectors, added, then normalised (LayerNorm).',
        s.modelLabel,
      ),
    ),
  );
  if (s.busy) app.append(h('p', { class: 'muted' }, h('progress', {}), ' ', l10n.t('Computing…')));
  if (s.error) app.append(h('p', { class: 'error' }, s.error));
  const r = s.result;
  if (!r) return;
  app.append(
    h(
      'div',
      { class: 'legend-parts' },
      h('span', { class: 'key tokpart' }),
      l10n.t('token'),
      h('span', { class: 'key pospart' }),
      l10n.t('position'),
      h('span', { class: 'key segpart' }),
      l10n.t('segment ({0})', r.segment_source),
    ),
    h(
      'div',
      { class: 'row head' },
      h('span', { class: 'tname' }, l10n.t('token')),
      h('span', { class: 'seg' }, l10n.t('seg')),
      h('span', { class: 'stackhead' }, l10n.t('norms, stacked')),
      h('span', { class: 'num' }, '|sum|'),
      h('span', { class: 'num' }, '|output|'),
    ),
    bars(r),
  );
  if (r.note) app.append(h('p', { class: 'muted', id: 'note' }, r.note));
  app.append(h('h2', {}, l10n.t('Position × position similarity')), heatmap(r));
}

vscodeApi.postMessage(ieReady.create({}));
