// Decoder-only (GPT-2 family) language models: one forward pass over a sequence (all next-token logits), and a
// step-by-step decoder that feeds the export's key/value cache back in when it has one (`past_key_values.N.*`
// in, `present.N.*` out, `use_cache_branch` false on the first step and true after) and recomputes the whole
// prefix otherwise.
import { EngineError } from './errors';
import type { LoadedModel } from './model';
import { PAST_INPUT } from './model';
import type { InputTensor, OutputTensor } from './runtime';
import type { Encoded } from './tokenizer';
import { tokenString } from './models/modelFolder';

/** True when the export takes past key/values (so generation can reuse them). */
export function hasKvCache(m: LoadedModel): boolean {
  return m.plain.inputNames.some((n) => PAST_INPUT.test(n));
}

/** The output that returns the cache entry a past input receives on the next step. */
function presentFor(pastName: string): string {
  return pastName.startsWith('past_key_values')
    ? pastName.replace('past_key_values', 'present')
    : pastName.replace(/^past/, 'present');
}

/** End-of-sequence id: the tokenizer config's eos_token, else config.json's eos_token_id when it is in the vocabulary. */
export function eosId(m: LoadedModel): number | undefined {
  const eos = tokenString(m.folder.tokenizerConfig.eos_token as string | undefined);
  const id = eos !== undefined ? m.tokenizer.tokenToId(eos) : undefined;
  if (id !== undefined) return id;
  const c = Number(m.folder.config.eos_token_id);
  return Number.isInteger(c) && c >= 0 && c < m.tokenizer.vocabSize() ? c : undefined;
}

/** Beginning-of-sequence id (GPT-2 uses its end-of-text token): what an empty left context starts from. */
export function bosId(m: LoadedModel): number | undefined {
  const bos = tokenString(m.folder.tokenizerConfig.bos_token as string | undefined);
  const id = bos !== undefined ? m.tokenizer.tokenToId(bos) : undefined;
  return id ?? eosId(m);
}

/** Tokens of a text for a causal model: no special tokens, except a BOS when the tokenizer config asks for one
 *  (`add_bos_token`, as Llama-style tokenizers do). */
export async function encodeCausal(m: LoadedModel, text: string): Promise<Encoded> {
  const e = await m.tokenizer.encode(text, undefined, false);
  const bos = bosId(m);
  if (m.folder.tokenizerConfig.add_bos_token === true && bos !== undefined && e.ids[0] !== bos) {
    e.ids.unshift(bos);
    e.tokens.unshift(m.tokenizer.idToToken(bos));
    e.offsets.unshift([0, 0]);
    e.typeIds.unshift(0);
    e.specialTokensMask.unshift(1);
    e.wordIds.unshift(null);
    e.sequenceIds.unshift(null);
  }
  return e;
}

export function plainEncoded(ids: number[]): Encoded {
  return {
    ids,
    tokens: [],
    offsets: [],
    typeIds: ids.map(() => 0),
    specialTokensMask: ids.map(() => 0),
    wordIds: ids.map(() => null),
    sequenceIds: ids.map(() => 0),
  };
}

function logitsOutput(m: LoadedModel): string {
  const names = m.plain.outputNames;
  return names.find((n) => n === 'logits') ?? names[0];
}

/** Logits [seq, vocab] of one pass over `ids` (no cache): row i predicts token i + 1. */
export async function causalLogits(m: LoadedModel, ids: number[]): Promise<{ data: Float32Array; vocab: number }> {
  if (ids.length > m.folder.maxLength)
    throw new EngineError(
      'too-long',
      `${ids.length} tokens is more than the model's context (${m.folder.maxLength}).`,
      'Use a shorter text.',
    );
  const out = logitsOutput(m);
  const r = (await m.plain.run(m.feeds([plainEncoded(ids)], m.plain), [out]))[out];
  return { data: r.data, vocab: r.dims[r.dims.length - 1] };
}

/** Feeds the sequence step by step. `next(newIds)` appends tokens and returns the logits after the last one. */
export class Decoder {
  private ids: number[] = [];
  private past?: Record<string, OutputTensor>;
  readonly cached: boolean;

  constructor(
    private readonly m: LoadedModel,
    /** Use the export's key/value cache when it has one (false: recompute the prefix every step). */
    useCache = true,
  ) {
    this.cached = useCache && hasKvCache(m);
  }

  get length(): number {
    return this.ids.length;
  }

  async next(newIds: number[]): Promise<Float32Array> {
    const m = this.m;
    const s = m.plain;
    const out = logitsOutput(m);
    if (!this.cached) {
      this.ids.push(...newIds);
      const r = await causalLogits(m, this.ids);
      return r.data.slice((this.ids.length - 1) * r.vocab, this.ids.length * r.vocab);
    }
    const pastLen = this.ids.length;
    this.ids.push(...newIds);
    const k = newIds.length;
    const total = this.ids.length;
    const feeds: Record<string, InputTensor> = {};
    const pastNames = s.inputNames.filter((n) => PAST_INPUT.test(n));
    for (const name of s.inputNames) {
      if (name === 'input_ids')
        feeds[name] = { type: 'int64', data: BigInt64Array.from(newIds.map(BigInt)), dims: [1, k] };
      else if (name === 'attention_mask')
        feeds[name] = { type: 'int64', data: new BigInt64Array(total).fill(1n), dims: [1, total] };
      else if (name === 'position_ids')
        feeds[name] = {
          type: 'int64',
          data: BigInt64Array.from({ length: k }, (_, i) => BigInt(pastLen + i)),
          dims: [1, k],
        };
      else if (name === 'use_cache_branch')
        feeds[name] = { type: 'bool', data: new Uint8Array([this.past ? 1 : 0]), dims: [1] };
      else if (PAST_INPUT.test(name)) {
        const p = this.past?.[presentFor(name)];
        feeds[name] = p ? { type: 'float32', data: p.data, dims: p.dims } : m.emptyPast(s, name, 1);
      } else if (name === 'token_type_ids') feeds[name] = { type: 'int64', data: new BigInt64Array(k), dims: [1, k] };
      else
        throw new EngineError(
          'unsupported-inputs',
          `The decoder needs an input BERT Lens does not know: ${name}.`,
          'Supported: input_ids, attention_mask, position_ids, past_key_values.N.key/value, use_cache_branch.',
        );
    }
    const presents = pastNames.map(presentFor);
    const missing = presents.filter((n) => !s.outputNames.includes(n));
    if (missing.length)
      throw new EngineError(
        'unsupported-outputs',
        `The decoder takes past key/values but does not return ${missing[0]}.`,
        'Use an export whose present.* outputs match its past_key_values.* inputs.',
      );
    const r = await s.run(feeds, [out, ...presents]);
    this.past = Object.fromEntries(presents.map((n) => [n, r[n]]));
    const logits = r[out];
    const v = logits.dims[logits.dims.length - 1];
    return logits.data.slice((k - 1) * v, k * v);
  }
}
