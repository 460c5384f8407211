// Sequence classification (single text or pair, e.g. NLI) and next-sentence prediction.
import type { ClassifyResult, NextSentenceResult } from '../api';
import { softmax } from '../math';
import type { LoadedModel } from '../model';
import { type TaskContext, checkAborted, requireHead, requireText, windowsFor } from './common';

/** Mean of the logits over the windows of a long text (a pair is encoded whole, or by windows of the first text
 *  with the second kept whole). */
async function pooledLogits(
  m: LoadedModel,
  output: string | undefined,
  text: string,
  pair: string | undefined,
  ctx: TaskContext,
): Promise<number[]> {
  const windows = pair === undefined ? await windowsFor(m, text) : [{ encoded: await m.tokenizer.encode(text, pair) }];
  let sum: number[] | undefined;
  for (const w of windows) {
    checkAborted(ctx);
    const out = await m.run([w.encoded]);
    const t = out[output ?? m.plain.outputNames[0]];
    const logits = Array.from(t.data.subarray(0, t.dims[t.dims.length - 1]));
    sum = sum ? sum.map((x, i) => x + logits[i]) : logits;
  }
  return sum!.map((x) => x / windows.length);
}

export async function classify(
  m: LoadedModel,
  req: { text: string; pair?: string },
  ctx: TaskContext = {},
): Promise<ClassifyResult> {
  if (m.folder.head === 'pretraining' || m.folder.head === 'next-sentence') {
    const r = await nextSentence(m, { a: req.text, b: requireText(req.pair, 'second text (--pair)') }, ctx);
    return {
      labels: [
        { label: 'is_next', score: r.is_next },
        { label: 'not_next', score: 1 - r.is_next },
      ].sort((a, b) => b.score - a.score),
      logits: r.logits,
    };
  }
  requireHead(m, 'Classification', ['sequence-classification']);
  const text = requireText(req.text);
  const logits = await pooledLogits(
    m,
    m.plain.outputNames.includes('logits') ? 'logits' : undefined,
    text,
    req.pair,
    ctx,
  );
  const p = softmax(logits);
  const names = m.folder.labels ?? [];
  const labels = logits
    .map((_, i) => ({ label: names[i] ?? `LABEL_${i}`, score: p[i] }))
    .sort((a, b) => b.score - a.score);
  return { labels, logits };
}

export async function nextSentence(
  m: LoadedModel,
  req: { a: string; b: string },
  ctx: TaskContext = {},
): Promise<NextSentenceResult> {
  requireHead(m, 'Next-sentence prediction', ['pretraining', 'next-sentence']);
  const a = requireText(req.a, 'first sentence');
  const b = requireText(req.b, 'second sentence');
  checkAborted(ctx);
  const out =
    m.plain.outputNames.find((n) => n.includes('seq_relationship')) ??
    m.plain.outputNames.find((n) => n === 'logits') ??
    m.plain.outputNames[0];
  const r = await m.run([await m.tokenizer.encode(a, b)], [out]);
  const logits = Array.from(r[out].data.subarray(0, 2));
  return { is_next: softmax(logits)[0], logits };
}
