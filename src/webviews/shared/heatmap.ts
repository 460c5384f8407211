// Pure attention-view logic shared by the webview and the unit tests: which tokens to show, colour scale,
// and SVG documents for export (matrix and BertViz-like lines). No DOM here.

const SPECIAL = /^(\[CLS\]|\[SEP\]|\[PAD\]|<s>|<\/s>|<pad>|\[MASK\]|<mask>)$/;
const PUNCT = /^[\p{P}\p{S}]+$/u;

/** Indexes of tokens to show: all, or without special tokens and punctuation. */
export function visibleTokens(tokens: string[], hideSpecial: boolean): number[] {
  const out: number[] = [];
  tokens.forEach((t, i) => {
    const bare = t.replace(/^(##|Ġ|▁)/, '');
    if (hideSpecial && (SPECIAL.test(t) || PUNCT.test(bare))) return;
    out.push(i);
  });
  return out;
}

/** The sub-matrix for the visible tokens; with `renormalize`, each row sums to 1 again. */
export function subMatrix(m: number[][], idx: number[], renormalize = false): number[][] {
  return idx.map((i) => {
    const row = idx.map((j) => m[i][j]);
    if (!renormalize) return row;
    const s = row.reduce((a, b) => a + b, 0);
    return s > 0 ? row.map((v) => v / s) : row;
  });
}

/** 0..1 → an opacity for the theme's accent colour; sqrt so small weights stay visible. */
export function intensity(v: number, max = 1): number {
  if (!(max > 0)) return 0;
  return Math.max(0, Math.min(1, Math.sqrt(v / max)));
}

export function matrixMax(m: number[][]): number {
  let max = 0;
  for (const row of m) for (const v of row) if (v > max) max = v;
  return max;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface SvgColours {
  fg: string;
  bg: string;
  accent: string;
}

/** A standalone SVG of one attention matrix with token labels (rows attend to columns). */
export function matrixSvg(m: number[][], labels: string[], title: string, c: SvgColours, cell = 18): string {
  const n = labels.length;
  const pad = 8 + Math.max(0, ...labels.map((l) => l.length)) * 7;
  const size = pad + n * cell + 8;
  const max = matrixMax(m);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + 20}" viewBox="0 0 ${size} ${size + 20}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="${c.bg}"/>`);
  parts.push(`<text x="4" y="14" fill="${c.fg}" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<g transform="translate(0,20)">`);
  labels.forEach((l, i) => {
    parts.push(
      `<text class="row-label" data-i="${i}" x="${pad - 4}" y="${pad + i * cell + cell * 0.7}" text-anchor="end" fill="${c.fg}">${esc(l)}</text>`,
    );
    const x = pad + i * cell + cell * 0.7;
    parts.push(
      `<text class="col-label" data-j="${i}" transform="translate(${x},${pad - 4}) rotate(-90)" fill="${c.fg}">${esc(l)}</text>`,
    );
  });
  m.forEach((row, i) =>
    row.forEach((v, j) => {
      parts.push(
        `<rect class="cell" data-i="${i}" data-j="${j}" x="${pad + j * cell}" y="${pad + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${c.accent}" fill-opacity="${intensity(v, max).toFixed(3)}"><title>${esc(labels[i])} → ${esc(labels[j])}: ${v.toFixed(4)}</title></rect>`,
      );
    }),
  );
  parts.push('</g></svg>');
  return parts.join('');
}

/** BertViz-like head view: tokens in two columns, a line from each token to the tokens it attends to,
 *  opacity by weight (lines under `threshold` of the row's max are left out). */
export function linesSvg(
  m: number[][],
  labels: string[],
  title: string,
  c: SvgColours,
  threshold = 0.05,
  rowH = 20,
  focus?: number,
): string {
  const n = labels.length;
  const colW = 12 + Math.max(4, ...labels.map((l) => l.length)) * 7;
  const gap = 140;
  const width = colW * 2 + gap;
  const height = 24 + n * rowH + 8;
  const max = matrixMax(m);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="${c.bg}"/>`);
  parts.push(`<text x="4" y="14" fill="${c.fg}" font-weight="bold">${esc(title)}</text>`);
  m.forEach((row, i) =>
    row.forEach((v, j) => {
      if (focus !== undefined && focus !== i) return;
      if (v < threshold * max) return;
      const y1 = 24 + i * rowH + rowH / 2;
      const y2 = 24 + j * rowH + rowH / 2;
      parts.push(
        `<line class="link" x1="${colW}" y1="${y1}" x2="${colW + gap}" y2="${y2}" stroke="${c.accent}" stroke-width="2" stroke-opacity="${intensity(v, max).toFixed(3)}"/>`,
      );
    }),
  );
  labels.forEach((l, i) => {
    const y = 24 + i * rowH + rowH * 0.7;
    parts.push(
      `<text class="from" data-index="${i}" x="${colW - 6}" y="${y}" text-anchor="end" fill="${c.fg}">${esc(l)}</text>`,
    );
    parts.push(`<text class="to" data-index="${i}" x="${colW + gap + 6}" y="${y}" fill="${c.fg}">${esc(l)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
