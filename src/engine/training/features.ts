/** Feature rows for the heads: dense (pooled embeddings) or sparse (TF-IDF). */
export type DenseRow = Float32Array;
export interface SparseRow {
  idx: Int32Array;
  val: Float32Array;
}
export type Row = DenseRow | SparseRow;

export function isSparse(r: Row): r is SparseRow {
  return !(r instanceof Float32Array);
}

/** out[c] += sum_j row[j] * w[j * cols + c] for a row-major [dim, cols] weight. */
export function rowTimesMatrix(r: Row, w: Float32Array | Float64Array, cols: number, out: Float64Array): void {
  if (isSparse(r)) {
    for (let t = 0; t < r.idx.length; t++) {
      const v = r.val[t];
      const base = r.idx[t] * cols;
      for (let c = 0; c < cols; c++) out[c] += v * w[base + c];
    }
  } else {
    for (let j = 0; j < r.length; j++) {
      const v = r[j];
      if (v === 0) continue;
      const base = j * cols;
      for (let c = 0; c < cols; c++) out[c] += v * w[base + c];
    }
  }
}

/** g[j * cols + c] += row[j] * delta[c]. */
export function addOuter(r: Row, delta: Float64Array, cols: number, g: Float64Array): void {
  if (isSparse(r)) {
    for (let t = 0; t < r.idx.length; t++) {
      const v = r.val[t];
      const base = r.idx[t] * cols;
      for (let c = 0; c < cols; c++) g[base + c] += v * delta[c];
    }
  } else {
    for (let j = 0; j < r.length; j++) {
      const v = r[j];
      if (v === 0) continue;
      const base = j * cols;
      for (let c = 0; c < cols; c++) g[base + c] += v * delta[c];
    }
  }
}

/** Per-dimension mean and 1 / standard deviation over the training rows. */
export function standardizer(rows: Float32Array[]): { mean: Float32Array; scale: Float32Array } {
  const d = rows[0].length;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j];
  for (let j = 0; j < d; j++) mean[j] /= rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) sq[j] += (r[j] - mean[j]) ** 2;
  // Floor each std at a tenth of the average one: a dimension (nearly) constant in training must not blow up
  // when a new text does move it.
  const std = Array.from(sq, (v) => Math.sqrt(v / rows.length));
  const floor = Math.max(0.1 * (std.reduce((a, b) => a + b, 0) / d), 1e-6);
  const scale = new Float32Array(d);
  for (let j = 0; j < d; j++) scale[j] = 1 / Math.max(std[j], floor);
  return { mean: Float32Array.from(mean), scale };
}

/** (x - mean) * scale, in float32 like the exported graph's Sub/Mul nodes. */
export function standardize(r: Float32Array, mean: Float32Array, scale: Float32Array): Float32Array {
  const out = new Float32Array(r.length);
  for (let j = 0; j < r.length; j++) out[j] = Math.fround(Math.fround(r[j] - mean[j]) * scale[j]);
  return out;
}
