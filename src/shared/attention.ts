// Pure code shared by the engine and the webviews (src/shared may import nothing but types from the engine, so
// that both sides may import it: the engine may not import a front end, and a webview may import only types
// from the engine).
import type { AttentionResult, AttentionTensors } from '../engine/api';

/** Nested arrays ([layer][head][from][to], [layer][from][to], [from][to]) — the shape of `AttentionResult` — from
 *  the flat float32 tensors that cross the worker and webview boundaries. */
export function nestAttention(t: AttentionTensors): AttentionResult {
  const { layers, heads, n } = t;
  const nn = n * n;
  const matrix = (data: Float32Array, base: number) =>
    Array.from({ length: n }, (_, i) => Array.from(data.subarray(base + i * n, base + (i + 1) * n)));
  return {
    tokens: t.tokens,
    offsets: t.offsets,
    attentions: Array.from({ length: layers }, (_, l) =>
      Array.from({ length: heads }, (_, h) => matrix(t.attentions, (l * heads + h) * nn)),
    ),
    headMean: Array.from({ length: layers }, (_, l) => matrix(t.headMean, l * nn)),
    rollout: matrix(t.rollout, 0),
  };
}
