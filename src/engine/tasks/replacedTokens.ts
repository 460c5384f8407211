// Replaced-token detection (ELECTRA discriminator): per token, the probability that it was replaced.
import type { ReplacedTokensResult } from '../api';
import { sigmoid } from '../math';
import type { LoadedModel } from '../model';
import { type TaskContext, checkAborted, encodeFull, requireHead, requireText } from './common';

export async function replacedTokens(
  m: LoadedModel,
  req: { text: string },
  ctx: TaskContext = {},
): Promise<ReplacedTokensResult> {
  requireHead(m, 'Replaced-token detection', ['replaced-token-detection']);
  const text = requireText(req.text);
  const { full, windows, where } = await encodeFull(m, text);
  const logits: Float32Array[] = [];
  for (const w of windows) {
    checkAborted(ctx);
    logits.push((await m.run([w.encoded]))[m.plain.outputNames[0]].data);
  }
  return { tokens: full.tokens, offsets: full.offsets, replaced: where.map(({ w, i }) => sigmoid(logits[w][i])) };
}
