// Tokenization with exact character offsets (npm `tokenizers`, the Rust library), converted to JavaScript
// string indices, plus the sliding windows that long inputs are split into.
import * as path from 'node:path';
import { Tokenizer } from 'tokenizers';
import type { Offset } from './api';
import { EngineError } from './errors';
import type { TokenizerConfig } from './models/modelFolder';
import { tokenString } from './models/modelFolder';

export interface Encoded {
  ids: number[];
  tokens: string[];
  /** UTF-16 offsets into the text that was encoded (for pairs, into each sequence's own text). */
  offsets: Offset[];
  typeIds: number[];
  specialTokensMask: number[];
  wordIds: (number | null)[];
  /** 0 or 1 for pair inputs; null for special tokens. */
  sequenceIds: (number | null)[];
}

/** Code-point → UTF-16 index map, or undefined when the text has no surrogate pairs (the common case). */
function codePointToUtf16(text: string): Int32Array | undefined {
  if (!/[\uD800-\uDFFF]/.test(text)) return undefined;
  const map: number[] = [];
  let i = 0;
  for (const ch of text) {
    map.push(i);
    i += ch.length;
  }
  map.push(i);
  return Int32Array.from(map);
}

/** A UTF-16 index → code point converter for `text`, built in one pass (identity when the text has no surrogate
 *  pairs). Build it once per text and convert every offset with it: a map per offset made long texts quadratic. */
export function codePointConverter(text: string): (o: Offset) => Offset {
  if (!/[\uD800-\uDFFF]/.test(text)) return (o) => o;
  const map = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    map[i] = cp;
    const c = text.charCodeAt(i);
    if (!(c >= 0xd800 && c <= 0xdbff && i + 1 < text.length)) cp++;
  }
  map[text.length] = cp;
  return ([s, e]) => [map[s], map[e]];
}

/** UTF-16 offsets → Unicode code points (Python's string indices), for output that other tools compare; all
 *  offsets of one text in one call (linear in text + offsets). */
export function utf16ToCodePoints(text: string, offsets: Offset[]): Offset[] {
  const conv = codePointConverter(text);
  return offsets.map(conv);
}

export class TextTokenizer {
  readonly maskToken: string | undefined;
  readonly maskId: number | undefined;
  readonly padId: number;

  private constructor(
    private readonly tk: Tokenizer,
    config: TokenizerConfig,
  ) {
    // Long inputs are windowed by the engine, never cut by the tokenizer file's own settings.
    tk.disableTruncation();
    tk.disablePadding();
    const vocab = tk.getVocab(true);
    const find = (...names: (string | undefined)[]) => names.find((n) => n !== undefined && vocab[n] !== undefined);
    this.maskToken = find(tokenString(config.mask_token), '[MASK]', '<mask>');
    this.maskId = this.maskToken !== undefined ? vocab[this.maskToken] : undefined;
    const pad = find(tokenString(config.pad_token), '[PAD]', '<pad>');
    this.padId = pad !== undefined ? vocab[pad] : 0;
  }

  static load(folder: string, config: TokenizerConfig): TextTokenizer {
    try {
      return new TextTokenizer(Tokenizer.fromFile(path.join(folder, 'tokenizer.json')), config);
    } catch (err) {
      throw new EngineError(
        'bad-tokenizer',
        `tokenizer.json in ${folder} cannot be read: ${(err as Error).message.split('\n')[0]}`,
        'Save it again with a recent `tokenizers`/`transformers` (fast tokenizer).',
      );
    }
  }

  vocabSize(): number {
    return this.tk.getVocabSize(true);
  }
  idToToken(id: number): string {
    return this.tk.idToToken(id) ?? `[${id}]`;
  }
  tokenToId(token: string): number | undefined {
    return this.tk.tokenToId(token) ?? undefined;
  }
  decode(ids: number[]): Promise<string> {
    return this.tk.decode(ids, true);
  }

  async encode(text: string, pair?: string, addSpecialTokens = true): Promise<Encoded> {
    const e = await this.tk.encode(text, pair ?? null, { addSpecialTokens });
    const seq = e.getSequenceIds().map((s) => (s === undefined ? null : s));
    const raw = e.getOffsets() as Offset[];
    const maps = [codePointToUtf16(text), pair !== undefined ? codePointToUtf16(pair) : undefined];
    const offsets = raw.map(([s, t], i): Offset => {
      const m = maps[seq[i] ?? 0];
      return m ? [m[s], m[t]] : [s, t];
    });
    return {
      ids: e.getIds(),
      tokens: e.getTokens(),
      offsets,
      typeIds: e.getTypeIds(),
      specialTokensMask: e.getSpecialTokensMask(),
      wordIds: e.getWordIds().map((w) => (w === undefined ? null : w)),
      sequenceIds: seq,
    };
  }
}

export interface Window {
  /** Character range of the text this window covers. */
  start: number;
  end: number;
  encoded: Encoded; // offsets already shifted into the full text
}

/** Splits `text` into windows of at most `maxLength` tokens (special tokens included) that overlap by `stride`
 *  tokens, each cut at token boundaries and encoded on its own with the tokenizer's own template. A text that
 *  fits gives one window. `pair` (QA's question) is kept whole in every window as the first sequence. */
export async function encodeWindows(
  tk: TextTokenizer,
  text: string,
  maxLength: number,
  stride: number,
  first?: string,
  encoded?: Encoded,
): Promise<Window[]> {
  // `encoded`: the caller's own encoding of the whole input, reused rather than computed again.
  const whole = encoded ?? (first !== undefined ? await tk.encode(first, text) : await tk.encode(text));
  if (whole.ids.length <= maxLength) return [{ start: 0, end: text.length, encoded: whole }];
  const plain = await tk.encode(text, undefined, false);
  const specials =
    first !== undefined ? (await tk.encode(first, 'x')).ids.length - 1 : (await tk.encode('')).ids.length;
  const budget = maxLength - specials;
  if (budget < 8)
    throw new EngineError(
      'too-long',
      `The question is too long for this model (max ${maxLength} tokens).`,
      'Ask a shorter question.',
    );
  let size = budget;
  const windows: Window[] = [];
  let i = 0;
  const n = plain.ids.length;
  while (i < n) {
    let end = Math.min(n, i + size);
    for (;;) {
      const cs = plain.offsets[i][0];
      const ce = plain.offsets[end - 1][1];
      const piece = text.slice(cs, ce);
      const enc = first !== undefined ? await tk.encode(first, piece) : await tk.encode(piece);
      if (enc.ids.length > maxLength && end - i > 8) {
        end -= enc.ids.length - maxLength; // re-tokenizing a slice can add a piece at its edges
        continue;
      }
      const secondSeq = first !== undefined ? 1 : 0;
      enc.offsets = enc.offsets.map((o, k) =>
        enc.specialTokensMask[k] || (enc.sequenceIds[k] ?? 0) !== secondSeq ? o : [o[0] + cs, o[1] + cs],
      );
      windows.push({ start: cs, end: ce, encoded: enc });
      break;
    }
    if (end >= n) break;
    const step = Math.max(1, end - i - stride);
    i += step;
  }
  return windows;
}
