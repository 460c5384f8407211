// Extractive QA: the best answer spans across document-stride windows, with character offsets into the
// context.
import type { QaAnswer, QaResult } from '../api';
import { softmax } from '../math';
import type { LoadedModel } from '../model';
import { type TaskContext, checkAborted, checkTopK, requireHead, requireText, windowsFor } from './common';

const MAX_ANSWER_TOKENS = 30;

export async function questionAnswering(
  m: LoadedModel,
  req: { question: string; context: string; topK?: number },
  ctx: TaskContext = {},
): Promise<QaResult> {
  requireHead(m, 'Question answering', ['question-answering']);
  const question = requireText(req.question, 'question');
  const context = requireText(req.context, 'context');
  const k = Math.max(1, checkTopK(req.topK, 1));
  const windows = await windowsFor(m, context, question);
  const found = new Map<string, QaAnswer>();
  for (const [wi, w] of windows.entries()) {
    checkAborted(ctx);
    const e = w.encoded;
    const out = await m.run([e]);
    const names = m.plain.outputNames;
    const start = out[names.find((n) => n.includes('start')) ?? names[0]].data;
    const end = out[names.find((n) => n.includes('end')) ?? names[1]].data;
    const ctxTokens = e.ids.map((_, i) => i).filter((i) => e.sequenceIds[i] === 1 && !e.specialTokensMask[i]);
    const ps = softmax(ctxTokens.map((i) => start[i]));
    const pe = softmax(ctxTokens.map((i) => end[i]));
    for (let a = 0; a < ctxTokens.length; a++) {
      for (let b = a; b < Math.min(ctxTokens.length, a + MAX_ANSWER_TOKENS); b++) {
        const score = ps[a] * pe[b];
        const s = e.offsets[ctxTokens[a]][0];
        const t = e.offsets[ctxTokens[b]][1];
        const key = `${s}:${t}`;
        const prev = found.get(key);
        if (!prev || prev.score < score) found.set(key, { text: context.slice(s, t), start: s, end: t, score });
      }
    }
    ctx.onProgress?.({ done: wi + 1, total: windows.length });
  }
  const answers = [...found.values()].sort((a, b) => b.score - a.score).slice(0, k);
  return { answers };
}
