// Attention as flat typed arrays: what crosses the worker boundary (transferred, not cloned) and reaches the
// attention webview (ArrayBuffers in postMessage; the webview nests them with its protocol's copy of
// `nestAttention`). Pure functions.
import type { AttentionResult, AttentionTensors } from '../api';

/** Mean over heads: [layers, heads, n, n] → [layers, n, n]. */
export function headMeanOf(att: Float32Array, layers: number, heads: number, n: number): Float32Array {
  const nn = n * n;
  const out = new Float32Array(layers * nn);
  const acc = new Float64Array(nn);
  for (let l = 0; l < layers; l++) {
    acc.fill(0);
    for (let h = 0; h < heads; h++) {
      const base = (l * heads + h) * nn;
      for (let k = 0; k < nn; k++) acc[k] += att[base + k];
    }
    for (let k = 0; k < nn; k++) out[l * nn + k] = acc[k] / heads;
  }
  return out;
}

/** Attention rollout (Abnar & Zuidema, 2020) from head means [layers, n, n]: per layer, 0.5·A + 0.5·I with rows
 *  renormalised, multiplied from the first layer up (acc ← Â · acc). Computed in float64. */
export function rolloutOf(headMean: Float32Array, layers: number, n: number): Float32Array {
  const nn = n * n;
  let acc = new Float64Array(nn);
  for (let i = 0; i < n; i++) acc[i * n + i] = 1;
  let next = new Float64Array(nn);
  const aug = new Float64Array(nn);
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const x = 0.5 * headMean[l * nn + i * n + j] + (i === j ? 0.5 : 0);
        aug[i * n + j] = x;
        sum += x;
      }
      for (let j = 0; j < n; j++) aug[i * n + j] /= sum;
    }
    next.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * n;
      for (let k = 0; k < n; k++) {
        const a = aug[row + k];
        if (a === 0) continue;
        const src = k * n;
        for (let j = 0; j < n; j++) next[row + j] += a * acc[src + j];
      }
    }
    [acc, next] = [next, acc];
  }
  return Float32Array.from(acc);
}

/** `attentions` as [layer][head][from] arrays of row views into the tensor (no copy): what `attention --json`
 *  streams (its writer prints a Float32Array as an array of numbers, the same text as the nested arrays). */
export function attentionRows(t: Pick<AttentionTensors, 'attentions' | 'layers' | 'heads' | 'n'>): Float32Array[][][] {
  const { layers, heads, n } = t;
  const row = (base: number) => Array.from({ length: n }, (_, i) => t.attentions.subarray(base + i * n, base + (i + 1) * n));
  return Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, h) => row((l * heads + h) * n * n)));
}

/** Nested arrays ([layer][head][from][to], [layer][from][to], [from][to]) — the shape of `AttentionResult`. */
export function nestAttention(t: AttentionTensors): AttentionResult {
  const { layers, heads, n } = t;
  const nn = n * n;
  const matrix = (data: Float32Array, base: number) => Array.from({ length: n }, (_, i) => Array.from(data.subarray(base + i * n, base + (i + 1) * n)));
  return {
    tokens: t.tokens,
    offsets: t.offsets,
    attentions: Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, h) => matrix(t.attentions, (l * heads + h) * nn))),
    headMean: Array.from({ length: layers }, (_, l) => matrix(t.headMean, l * nn)),
    rollout: matrix(t.rollout, 0),
  };
}
