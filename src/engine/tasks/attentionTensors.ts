// Attention as flat typed arrays: what crosses the worker boundary (transferred, not cloned) and reaches the
// attention webview (ArrayBuffers in postMessage; the client and the webview nest them with the one
// `nestAttention`, src/shared/attention.ts). Pure functions.

import type { AttentionTensors } from '../api';

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

export { nestAttention } from '../../shared/attention';

/** `attentions` as [layer][head][from] arrays of row views into the tensor (no copy): what `attention --json`
 *  streams (its writer prints a Float32Array as an array of numbers, the same text as the nested arrays). */
export function attentionRows(t: Pick<AttentionTensors, 'attentions' | 'layers' | 'heads' | 'n'>): Float32Array[][][] {
  const { layers, heads, n } = t;
  const row = (base: number) =>
    Array.from({ length: n }, (_, i) => t.attentions.subarray(base + i * n, base + (i + 1) * n));
  return Array.from({ length: layers }, (_, l) =>
    Array.from({ length: heads }, (_, h) => row((l * heads + h) * n * n)),
  );
}
