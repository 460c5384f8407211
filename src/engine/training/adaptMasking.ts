// The corruption of one adaptation input and its labels. Token masking is BERT's (maskTokens, shared with the
// masking preview); whole-word masking chooses whole words until 15 % of the tokens are chosen, then draws
// mask/random/kept per token, as Google's create_pretraining_data.py does with --do_whole_word_mask. Labels are
// the original ids at the chosen positions and -100 everywhere else, as in Hugging Face's
// DataCollatorForLanguageModeling, so the loss covers the chosen positions only.
import type { KindCounts } from './adaptTypes';
import { type MaskChoice, type MaskingOptions, type MaskingResult, maskTokens } from '../masking';
import { IGNORE_INDEX } from './alignment';
import type { Block } from './adaptData';
import { createRng } from './random';

export interface MaskedBlock extends MaskingResult {
  /** Original id at the chosen positions, IGNORE_INDEX (-100) elsewhere. */
  labels: number[];
}

export type { KindCounts } from './adaptTypes';

export function emptyCounts(): KindCounts {
  return { mask: 0, random: 0, kept: 0 };
}

export function addCounts(into: KindCounts, chosen: readonly MaskChoice[]): void {
  for (const c of chosen) into[c.kind]++;
}

/** Whole-word masking: words (runs of equal `words[i]` among non-special tokens) in a seeded random order are
 *  chosen while the chosen tokens stay within round(rate × eligible) (at least one word); then each chosen token
 *  becomes the mask (80 %), a random token (10 %) or stays (10 %). */
export function maskWholeWords(
  ids: readonly number[],
  special: readonly number[],
  words: readonly number[],
  o: MaskingOptions,
): MaskingResult {
  const rate = o.rate ?? 0.15;
  const pMask = o.maskFraction ?? 0.8;
  const pRandom = o.randomFraction ?? 0.1;
  const rng = createRng(o.seed);
  const groups: number[][] = [];
  for (let i = 0; i < ids.length; i++) {
    if (special[i]) continue;
    const last = groups[groups.length - 1];
    if (last && words[last[last.length - 1]] === words[i] && last[last.length - 1] === i - 1) last.push(i);
    else groups.push([i]);
  }
  const eligible = groups.reduce((s, g) => s + g.length, 0);
  const target = eligible ? Math.max(1, Math.round(eligible * rate)) : 0;
  for (let i = groups.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [groups[i], groups[j]] = [groups[j], groups[i]];
  }
  const picked: number[] = [];
  for (const g of groups) {
    if (picked.length >= target) break;
    if (picked.length + g.length > target && picked.length > 0) continue;
    picked.push(...g);
  }
  picked.sort((a, b) => a - b);
  const out = ids.slice();
  const chosen = picked.map((position): MaskChoice => {
    const original = ids[position];
    const r = rng();
    if (r < pMask) {
      out[position] = o.maskId;
      return { position, original, replacement: o.maskId, kind: 'mask' };
    }
    if (r < pMask + pRandom) {
      let replacement = original;
      for (let tries = 0; tries < 1000; tries++) {
        const id = Math.floor(rng() * o.vocabSize);
        if (!o.excludeIds?.has(id)) {
          replacement = id;
          break;
        }
      }
      out[position] = replacement;
      return { position, original, replacement, kind: 'random' };
    }
    return { position, original, replacement: original, kind: 'kept' };
  });
  return { ids: out, chosen };
}

/** The corrupted input and labels of one block for one draw (`seed`). */
export function maskBlock(block: Block, o: MaskingOptions, wholeWord = false): MaskedBlock {
  const r = wholeWord
    ? maskWholeWords(block.ids, block.special, block.words, o)
    : maskTokens(block.ids, block.special, o);
  const labels = new Array<number>(block.ids.length).fill(IGNORE_INDEX);
  for (const c of r.chosen) labels[c.position] = c.original;
  return { ...r, labels };
}
