import type { TokenizeResult } from '../api';
import type { LoadedModel } from '../model';
import { requireText } from './common';

/** Tokens, ids and offsets exactly as the tokenizer produces them, special tokens included. */
export async function tokenize(m: LoadedModel, req: { text: string; pair?: string }): Promise<TokenizeResult> {
  const e = await m.tokenizer.encode(requireText(req.text), req.pair);
  return {
    tokens: e.tokens,
    ids: e.ids,
    offsets: e.offsets,
    typeIds: e.typeIds,
    specialTokensMask: e.specialTokensMask,
    wordIds: e.wordIds,
  };
}
