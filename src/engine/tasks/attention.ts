// Attention probabilities of every layer and head, their mean over heads, and attention rollout.
import type { AttentionResult } from '../api';
import { EngineError } from '../errors';
import type { LoadedModel } from '../model';
import { type TaskContext, checkAborted, requireText } from './common';

/** Attention rollout (Abnar & Zuidema, 2020): per layer, the head mean plus the identity for the residual
 *  stream, rows renormalised, multiplied from the first layer up. */
export function rollout(headMean: number[][][]): number[][] {
  const n = headMean[0].length;
  let acc: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (const a of headMean) {
    const aug = a.map((r, i) => {
      const row = r.map((x, j) => 0.5 * x + (i === j ? 0.5 : 0));
      const sum = row.reduce((p, q) => p + q, 0);
      return row.map((x) => x / sum);
    });
    acc = aug.map((r) => acc[0].map((_, j) => r.reduce((s, x, k) => s + x * acc[k][j], 0)));
  }
  return acc;
}

export async function attention(m: LoadedModel, req: { text: string; pair?: string }, ctx: TaskContext = {}): Promise<AttentionResult> {
  const text = requireText(req.text);
  const enc = await m.tokenizer.encode(text, req.pair);
  if (enc.ids.length > m.folder.maxLength) {
    throw new EngineError('too-long', `The text is ${enc.ids.length} tokens; attention is shown for at most ${m.folder.maxLength} (the model's maximum length).`, 'Select a sentence or a paragraph, not the whole document.');
  }
  checkAborted(ctx);
  const maps = await m.attentions([enc]);
  const [, heads, n] = maps[0].dims;
  const attentions = maps.map((t) =>
    Array.from({ length: heads }, (_, h) => Array.from({ length: n }, (_, i) => Array.from(t.data.subarray((h * n + i) * n, (h * n + i + 1) * n)))),
  );
  const headMean = attentions.map((layer) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => layer.reduce((s, head) => s + head[i][j], 0) / heads)));
  return { tokens: enc.tokens, offsets: enc.offsets, attentions, headMean, rollout: rollout(headMean) };
}
