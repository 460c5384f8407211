// Causal language models: the next-token distribution after a text, and generation (greedy, or seeded sampling
// with temperature, top-k and top-p) that stops at the end-of-sequence token and at the model's context.
import type { GenerateRequest, GenerateResult, GeneratedToken, NextTokenRequest, NextTokenResult } from '../api';
import { Decoder, causalLogits, encodeCausal, eosId } from '../causal';
import { EngineError } from '../errors';
import { softmax, topK } from '../math';
import type { LoadedModel } from '../model';
import { createRng } from '../training/random';
import { type TaskContext, checkAborted, requireHead, requireText } from './common';

export async function nextToken(
  m: LoadedModel,
  req: NextTokenRequest,
  ctx: TaskContext = {},
): Promise<NextTokenResult> {
  requireHead(m, 'next-token', ['causal-lm']);
  const text = requireText(req.text);
  const k = Math.max(1, Math.min(req.topK ?? 5, 100));
  const enc = await encodeCausal(m, text);
  // Only the last maxLength tokens fit in the context: the prediction conditions on those.
  const ids = enc.ids.slice(-m.folder.maxLength);
  checkAborted(ctx);
  const { data, vocab } = await causalLogits(m, ids);
  const p = softmax(data.subarray((ids.length - 1) * vocab, ids.length * vocab));
  const predictions = [];
  for (const id of topK(p, k))
    predictions.push({ token: m.tokenizer.idToToken(id), id, score: p[id], text: await m.tokenizer.decode([id]) });
  return { predictions, tokens: enc.tokens };
}

/** Picks the next id: arg-max at temperature 0, otherwise a draw from the tempered distribution restricted to
 *  the top-k ids and then to the smallest set whose probability reaches top-p. */
export function pickToken(
  logits: ArrayLike<number>,
  o: { temperature: number; topK?: number; topP?: number },
  rng: () => number,
): number {
  if (!(o.temperature > 0)) return topK(logits, 1)[0];
  const scaled = Float64Array.from(logits as ArrayLike<number>, (x) => x / o.temperature);
  const p = softmax(scaled);
  let ids = o.topK && o.topK > 0 ? topK(p, o.topK) : topK(p, p.length);
  if (o.topP !== undefined && o.topP > 0 && o.topP < 1) {
    let acc = 0;
    const keep: number[] = [];
    for (const id of ids) {
      keep.push(id);
      acc += p[id];
      if (acc >= o.topP) break;
    }
    ids = keep;
  }
  const total = ids.reduce((s, id) => s + p[id], 0);
  let r = rng() * total;
  for (const id of ids) {
    r -= p[id];
    if (r <= 0) return id;
  }
  return ids[ids.length - 1];
}

export async function generate(m: LoadedModel, req: GenerateRequest, ctx: TaskContext = {}): Promise<GenerateResult> {
  requireHead(m, 'generate', ['causal-lm']);
  const text = requireText(req.text);
  const temperature = req.temperature ?? 0;
  if (!Number.isFinite(temperature) || temperature < 0)
    throw new EngineError(
      'bad-option',
      `The temperature must be 0 (greedy) or positive (got ${req.temperature}).`,
      'Pass --temperature 0 for greedy decoding, or e.g. 0.8 to sample.',
    );
  if (req.topP !== undefined && !(req.topP > 0 && req.topP <= 1))
    throw new EngineError('bad-option', `top-p must be in (0, 1] (got ${req.topP}).`, 'Pass e.g. --top-p 0.9.');
  if (req.topK !== undefined && !(Number.isInteger(req.topK) && req.topK >= 0))
    throw new EngineError(
      'bad-option',
      `top-k must be a non-negative integer (got ${req.topK}).`,
      'Pass e.g. --top-k 40 (0 = no limit).',
    );
  const asked = req.maxNewTokens ?? 20;
  if (!Number.isInteger(asked) || asked < 1)
    throw new EngineError(
      'bad-option',
      `--max-new-tokens must be a positive integer (got ${asked}).`,
      'Pass e.g. --max-new-tokens 20.',
    );
  const enc = await encodeCausal(m, text);
  const ctxLen = m.folder.maxLength;
  if (enc.ids.length >= ctxLen) {
    throw new EngineError(
      'too-long',
      `The prompt is ${enc.ids.length} tokens and fills the model's context (${ctxLen} tokens): there is no room to generate.`,
      'Give a shorter prompt (or select less text).',
    );
  }
  const room = ctxLen - enc.ids.length;
  let note: string | undefined;
  let maxNew = asked;
  if (asked > room) {
    maxNew = room;
    note = `--max-new-tokens ${asked} is more than the model's context allows after this prompt (${ctxLen} tokens in all, ${enc.ids.length} in the prompt): clamped to ${room}.`;
  }
  const eos = eosId(m);
  const rng = createRng(req.seed ?? 0);
  const dec = new Decoder(m, req.useCache ?? true);
  const tokens: GeneratedToken[] = [];
  let logits = await dec.next(enc.ids);
  let stop: GenerateResult['stop'] = 'max-new-tokens';
  for (let step = 0; step < maxNew; step++) {
    checkAborted(ctx);
    const id = pickToken(logits, { temperature, topK: req.topK, topP: req.topP }, rng);
    if (id === eos) {
      stop = 'eos';
      break;
    }
    const p = softmax(logits);
    tokens.push({ token: m.tokenizer.idToToken(id), id, score: p[id], text: await m.tokenizer.decode([id]) });
    ctx.onProgress?.({ done: tokens.length, total: maxNew, token: tokens[tokens.length - 1] } as {
      done: number;
      total: number;
    });
    if (step === maxNew - 1) {
      if (maxNew < asked) stop = 'context';
      break;
    }
    logits = await dec.next([id]);
  }
  // Decode prompt + continuation together, so that bytes split across tokens join up, then drop the prompt.
  const promptText = await m.tokenizer.decode(enc.ids);
  const all = await m.tokenizer.decode([...enc.ids, ...tokens.map((t) => t.id)]);
  const cont = all.startsWith(promptText)
    ? all.slice(promptText.length)
    : await m.tokenizer.decode(tokens.map((t) => t.id));
  return { text: cont, tokens, stop, ...(note ? { note } : {}), cached: dec.cached };
}
