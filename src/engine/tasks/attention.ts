// Attention probabilities of every layer and head, their mean over heads, and attention rollout — computed once,
// in the worker, as flat float32 tensors (see attentionTensors.ts); `attention` nests them for callers that want
// arrays of arrays.
import type { AttentionResult, AttentionTensors } from '../api';
import { EngineError } from '../errors';
import type { LoadedModel } from '../model';
import { type TaskContext, checkAborted, requireText } from './common';
import { headMeanOf, nestAttention, rolloutOf } from './attentionTensors';
import { rolloutInOnnx } from './rolloutGraph';

export async function attentionTensors(
  m: LoadedModel,
  req: { text: string; pair?: string },
  ctx: TaskContext = {},
): Promise<AttentionTensors> {
  const text = requireText(req.text);
  const enc = await m.tokenizer.encode(text, req.pair);
  if (enc.ids.length > m.folder.maxLength) {
    throw new EngineError(
      'too-long',
      `The text is ${enc.ids.length} tokens; attention is shown for at most ${m.folder.maxLength} (the model's maximum length).`,
      'Select a sentence or a paragraph, not the whole document.',
    );
  }
  checkAborted(ctx);
  const maps = await m.attentions([enc]);
  const [, heads, n] = maps[0].dims;
  const layers = maps.length;
  // One contiguous [layers, heads, n, n] buffer owned by JS (transferable), batch 1.
  const attentions = new Float32Array(layers * heads * n * n);
  maps.forEach((t, l) => attentions.set(t.data.subarray(0, heads * n * n), l * heads * n * n));
  checkAborted(ctx);
  const headMean = headMeanOf(attentions, layers, heads, n);
  // The rollout's 12 products of n × n take ~18 ms in JavaScript at BERT-base size, ~1 ms in ORT (rolloutGraph.ts).
  const rollout = await rolloutInOnnx(headMean, layers, n).catch(() => rolloutOf(headMean, layers, n));
  return {
    tokens: enc.tokens,
    offsets: enc.offsets,
    layers,
    heads,
    n,
    attentions,
    headMean,
    rollout,
  };
}

export async function attention(
  m: LoadedModel,
  req: { text: string; pair?: string },
  ctx: TaskContext = {},
): Promise<AttentionResult> {
  return nestAttention(await attentionTensors(m, req, ctx));
}
