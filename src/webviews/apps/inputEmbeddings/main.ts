// Input embeddings: per token, the norms of the word, position and segment vectors the embedding block adds
// (stacked bars), the segment id (it flips after the first [SEP] of a pair), and the cosine similarity of the
// position vectors as a position × position heatmap with its colour scale.
import type { InputEmbeddingsResult } from '../../../engine/api';
import { ieReady, ieState, type InputEmbeddingsState } from '../../protocol/walk';
import { colourLegend, h, injectStyle, onThemeChange, themeColour, vscodeApi } from '../../shared/dom';
import baseCss from '../../shared/base.css';
import css from './inputEmbeddings.css';

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
      title: `token ${fmt(x.token_norm)} · position ${fmt(x.position_norm)} · segment ${fmt(x.segment_norm)} · |sum| ${fmt(x.sum_norm)} · cos with sum: ${fmt(x.cos_token)} / ${fmt(x.cos_position)} / ${fmt(x.cos_segment)} · |output| ${fmt(x.output_norm)}`,
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
          { class: `seg seg${x.segment}`, title: flip ? 'the segment id flips here' : `segment ${x.segment}` },
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
    'aria-label': `cosine similarity of the ${n} position vectors`,
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
      canvas.title = `position ${i} (${r.tokens[i]}) · position ${j} (${r.tokens[j]}): cos ${fmt(m[i][j])}`;
  });
  return h(
    'div',
    { class: 'heat' },
    canvas,
    h('div', {}, colourLegend('0', '1', pos, 'cosine'), colourLegend('0', '−1', neg, 'negative')),
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
      `${s.modelLabel} — the input to layer 1 is token + position + segment vectors, added, then normalised (LayerNorm).`,
    ),
  );
  if (s.busy) app.append(h('p', { class: 'muted' }, h('progress', {}), ' Computing…'));
  if (s.error) app.append(h('p', { class: 'error' }, s.error));
  const r = s.result;
  if (!r) return;
  app.append(
    h(
      'div',
      { class: 'legend-parts' },
      h('span', { class: 'key tokpart' }),
      'token',
      h('span', { class: 'key pospart' }),
      'position',
      h('span', { class: 'key segpart' }),
      `segment (${r.segment_source})`,
    ),
    h(
      'div',
      { class: 'row head' },
      h('span', { class: 'tname' }, 'token'),
      h('span', { class: 'seg' }, 'seg'),
      h('span', { class: 'stackhead' }, 'norms, stacked'),
      h('span', { class: 'num' }, '|sum|'),
      h('span', { class: 'num' }, '|output|'),
    ),
    bars(r),
  );
  if (r.note) app.append(h('p', { class: 'muted', id: 'note' }, r.note));
  app.append(h('h2', {}, 'Position × position similarity'), heatmap(r));
}

vscodeApi.postMessage(ieReady.create({}));
