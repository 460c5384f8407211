// BERT's pre-training corruption (Devlin et al. 2019, §3.1 and appendix A.1), as a pure function over token ids:
// choose 15 % of the non-special tokens, then replace 80 % of the chosen ones with the mask token, 10 % with a
// random token and keep 10 % unchanged. Seeded, so that a preview (and a domain-adaptation run) can be repeated.
import { createRng } from './training/random';

export type MaskKind = 'mask' | 'random' | 'kept';

export interface MaskingOptions {
  seed: number;
  maskId: number;
  /** Random replacements are drawn uniformly from [0, vocabSize) minus `excludeIds`. */
  vocabSize: number;
  /** Ids never drawn as random replacements (special and unused tokens). */
  excludeIds?: ReadonlySet<number>;
  /** Fraction of the eligible tokens to choose (BERT: 0.15). */
  rate?: number;
  /** Of the chosen tokens: fraction replaced by the mask token, then by a random token; the rest is kept. */
  maskFraction?: number;
  randomFraction?: number;
}

export interface MaskChoice {
  position: number;
  original: number;
  replacement: number;
  kind: MaskKind;
}

export interface MaskingResult {
  /** The corrupted ids (a copy; the input is not changed). */
  ids: number[];
  /** Chosen positions in increasing order. */
  chosen: MaskChoice[];
}

/** Chooses `round(rate × eligible)` positions (at least one when any token is eligible, as BERT's
 *  create_pretraining_data does) among the tokens whose `special[i]` is 0, then draws each one's fate. */
export function maskTokens(ids: readonly number[], special: readonly number[], o: MaskingOptions): MaskingResult {
  const rate = o.rate ?? 0.15;
  const pMask = o.maskFraction ?? 0.8;
  const pRandom = o.randomFraction ?? 0.1;
  const rng = createRng(o.seed);
  const eligible = ids.map((_, i) => i).filter((i) => !special[i]);
  const count = eligible.length ? Math.min(eligible.length, Math.max(1, Math.round(eligible.length * rate))) : 0;
  // Partial Fisher–Yates: the first `count` entries are a uniform sample without replacement.
  for (let k = 0; k < count; k++) {
    const j = k + Math.floor(rng() * (eligible.length - k));
    [eligible[k], eligible[j]] = [eligible[j], eligible[k]];
  }
  const picked = eligible.slice(0, count).sort((a, b) => a - b);
  const out = ids.slice();
  const chosen = picked.map((position): MaskChoice => {
    const original = ids[position];
    const r = rng();
    if (r < pMask) {
      out[position] = o.maskId;
      return { position, original, replacement: o.maskId, kind: 'mask' };
    }
    if (r < pMask + pRandom) {
      const replacement = randomId(rng, o.vocabSize, o.excludeIds);
      out[position] = replacement;
      return { position, original, replacement, kind: 'random' };
    }
    return { position, original, replacement: original, kind: 'kept' };
  });
  return { ids: out, chosen };
}

function randomId(rng: () => number, vocabSize: number, exclude?: ReadonlySet<number>): number {
  for (let tries = 0; tries < 1000; tries++) {
    const id = Math.floor(rng() * vocabSize);
    if (!exclude?.has(id)) return id;
  }
  throw new Error('no token left to draw at random');
}
