// What every task shares: input checks, head checks, and merging per-window results back onto the tokens
// of the whole text.
import type { Head, Offset, PreparingProgress, WindowProgress } from '../api';
import { EngineError } from '../errors';
import type { LoadedModel } from '../model';
import type { Encoded, Window } from '../tokenizer';
import { encodeWindows } from '../tokenizer';

export interface TaskContext {
  signal?: AbortSignal;
  onProgress?: (p: WindowProgress) => void;
  /** A session this task needs is being opened for the first time (see LoadedModel.gradientSession). */
  onPreparing?: (p: PreparingProgress) => void;
}

const HEAD_HINTS: Partial<Record<Head, string>> = {
  'masked-lm': 'a masked-LM model (the embedded model, or e.g. Xenova/bert-base-uncased)',
  'token-classification': 'a token-classification (NER) model, e.g. Xenova/bert-base-NER',
  'question-answering': 'a question-answering model, e.g. Xenova/distilbert-base-cased-distilled-squad',
  'sequence-classification':
    'a sequence-classification model, e.g. Xenova/distilbert-base-uncased-finetuned-sst-2-english, or one trained with `bert-lens train`',
  'next-sentence': 'a BertForPreTraining or BertForNextSentencePrediction export',
  'replaced-token-detection': 'an ELECTRA discriminator, e.g. Xenova/electra-small-discriminator',
  'causal-lm': 'a causal (GPT-style) language model, e.g. --model Xenova/gpt2 or Xenova/distilgpt2',
};

export function requireHead(m: LoadedModel, task: string, heads: Head[]): void {
  if (heads.includes(m.folder.head)) return;
  const arch = m.folder.config.architectures?.[0] ?? m.folder.head;
  if (m.folder.head === 'causal-lm' && heads.includes('masked-lm')) {
    throw new EngineError(
      'wrong-head',
      `${task} needs a masked-LM model, but ${m.id} is a causal language model (${arch}): it has no mask token and only predicts the next token from the left.`,
      `Use \`next-token\` or \`generate\` with it, or \`directions --causal-model ${m.id}\` to compare it with BERT.`,
    );
  }
  throw new EngineError(
    'wrong-head',
    `${task} needs a model with a ${heads[0]} head, but ${m.id} is ${arch} (${m.folder.head}).`,
    `Choose ${HEAD_HINTS[heads[0]] ?? `a ${heads[0]} model`}.`,
  );
}

/** `topK` from any front end (the API takes plain JSON): a whole number, else one clear error. */
export function checkTopK(topK: unknown, fallback: number): number {
  if (topK === undefined || topK === null) return fallback;
  if (typeof topK !== 'number' || !Number.isInteger(topK)) {
    throw new EngineError(
      'bad-top-k',
      `topK must be a whole number (got ${typeof topK === 'number' ? String(topK) : (JSON.stringify(topK) ?? String(topK))}).`,
      'Pass for example topK: 5 (--top-k 5).',
    );
  }
  return topK;
}

export function requireText(text: string | undefined, what = 'text'): string {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new EngineError(
      'empty-text',
      `The ${what} is empty.`,
      `Give some ${what} (select it in the editor, or pass it as an argument).`,
    );
  }
  return text;
}

export function stride(m: LoadedModel): number {
  return Math.max(1, Math.floor(m.folder.maxLength / 4));
}

export function windowsFor(m: LoadedModel, text: string, first?: string): Promise<Window[]> {
  return encodeWindows(m.tokenizer, text, m.folder.maxLength, stride(m), first);
}

/** The whole text's tokens, the windows that cover them (the whole encoding itself when it fits: encoded once),
 *  and where each token is read. */
export async function encodeFull(
  m: LoadedModel,
  text: string,
): Promise<{ full: Encoded; windows: Window[]; where: { w: number; i: number }[] }> {
  const full = await m.tokenizer.encode(text);
  const windows = await encodeWindows(m.tokenizer, text, m.folder.maxLength, stride(m), undefined, full);
  return { full, windows, where: assignTokens(full, windows) };
}

const key = (o: Offset) => `${o[0]}:${o[1]}`;

/** For each token of `full` that a window covers, the window and index where it sits most centrally. Special
 *  tokens of `full` map to the first window (start) or the last (end). */
export function assignTokens(full: Encoded, windows: Window[], sequence = 0): { w: number; i: number }[] {
  if (windows.length === 1 && windows[0].encoded === full) return full.ids.map((_, i) => ({ w: 0, i }));
  const best = new Map<string, { w: number; i: number; d: number }>();
  windows.forEach((win, w) => {
    const e = win.encoded;
    const inner = e.ids.map((_, i) => i).filter((i) => !e.specialTokensMask[i] && (e.sequenceIds[i] ?? 0) === sequence);
    inner.forEach((i, k) => {
      const d = Math.min(k, inner.length - 1 - k);
      const kk = key(e.offsets[i]);
      const prev = best.get(kk);
      if (!prev || d > prev.d) best.set(kk, { w, i, d });
    });
  });
  const first = windows[0].encoded;
  const last = windows[windows.length - 1].encoded;
  return full.ids.map((_, j) => {
    if (full.specialTokensMask[j] || (full.sequenceIds[j] ?? 0) !== sequence) {
      const atStart = j < full.ids.length / 2;
      const e = atStart ? first : last;
      // the same special token position within its window
      const idx = atStart ? j : e.ids.length - (full.ids.length - j);
      return { w: atStart ? 0 : windows.length - 1, i: Math.max(0, Math.min(e.ids.length - 1, idx)) };
    }
    const hit = best.get(key(full.offsets[j]));
    if (hit) return { w: hit.w, i: hit.i };
    // A slice can tokenize its first word differently; take the window token that overlaps this one.
    const [s, t] = full.offsets[j];
    for (let w = 0; w < windows.length; w++) {
      const e = windows[w].encoded;
      const i = e.offsets.findIndex(
        (o, k) => !e.specialTokensMask[k] && (e.sequenceIds[k] ?? 0) === sequence && o[0] < t && o[1] > s,
      );
      if (i >= 0) return { w, i };
    }
    throw new EngineError('internal', `window merge lost token ${j} (${full.tokens[j]})`);
  });
}

export function checkAborted(ctx: TaskContext): void {
  if (ctx.signal?.aborted) throw new EngineError('cancelled', 'The operation was cancelled.');
}
