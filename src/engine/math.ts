// Small numeric helpers shared by the engine and the extension: the one copy of each (softmax, argmax, cosine,
// norm, percentages). Plain loops over typed arrays: the vectors are short.

export function softmax(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  const out = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += out[i] = Math.exp(row[i] - max);
  for (let i = 0; i < row.length; i++) out[i] /= sum;
  return out;
}

/** Index of the largest value (the first one on ties); 0 for an empty row. */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

/** A probability or ratio as a percentage: 0.4567 → "45.7%". */
export function formatPercent(x: number, digits = 1): string {
  return `${(100 * x).toFixed(digits)}%`;
}

/** A duration for progress lines: "42s", "4m07s", "1h05m" (rounded once, so never "2m60s"). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Indexes of the k largest values, largest first (ties: lower index first). */
export function topK(values: ArrayLike<number>, k: number, skip?: (i: number) => boolean): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (skip?.(i)) continue;
    const v = values[i];
    if (best.length === k && v <= values[best[k - 1]]) continue;
    let j = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push(i);
    while (j > 0 && values[best[j - 1]] < v) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Row `r` of a [rows, width] matrix stored flat. */
export function row(data: Float32Array, r: number, width: number): Float32Array {
  return data.subarray(r * width, (r + 1) * width);
}

export function meanRows(rows: ArrayLike<number>[]): number[] {
  const out = new Array<number>(rows[0].length).fill(0);
  for (const r of rows) for (let i = 0; i < out.length; i++) out[i] += r[i];
  return out.map((x) => x / rows.length);
}

export function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
