// The walkthrough's pure text logic (no vscode): the honest "bank" sentence and word-piece statistics.
import type { TokenizeResult } from '../../engine/api';
import { l10n } from './l10n';

export interface BankLesson {
  model: string;
  modelLabel: string;
  layer: number;
  /** Cosine of the first "bank" (an account) with the river bank and with the bank raising rates. */
  river: number;
  rates: number;
  /** True when this model ranks the two money senses closer than money and river, as BERT-base does. */
  sensesSeparated: boolean;
}

/** The sentence the walkthrough shows: only what `l` measured, with the model named. */
export function describeBankLesson(l: BankLesson): string {
  const nums = l10n.t(
    'cosine of the first "bank" (an account) with the river bank {0}, with the bank raising rates {1} ({2}, layer {3})',
    l.river.toFixed(3),
    l.rates.toFixed(3),
    l.modelLabel,
    l.layer,
  );
  // Decided from the numbers themselves, never from what a larger model would show.
  return l.rates > l.river
    ? l10n.t(
        'The same word gets different vectors in different contexts: {0}. The two money senses are closer to each other than to the river.',
        nums,
      )
    : l10n.t(
        'The same word gets different vectors in different contexts: {0}. This model does not separate the senses here — the account is not closer to the interest-rate bank than to the river.',
        nums,
      );
}

/** The full lesson's download as the offer shows it: the hub's own total (decimal MB, as the download progress
 *  shows it) when it answered, "already downloaded" when the model is cached, else the `estimate` labelled
 *  "about" (offline, or the hub unreachable). */
export function downloadSizeLabel(size: { cached: boolean; total?: number } | undefined, estimate: string): string {
  if (size?.cached) return l10n.t('already downloaded');
  if (size?.total !== undefined && size.total > 0) return l10n.t('{0} MB', (size.total / 1e6).toFixed(1));
  return l10n.t('about {0}', estimate);
}

/** Words split into the most pieces (distinct, most pieces first) and the [UNK] rate, from one tokenization. */
export function wordPieceStats(
  r: Pick<TokenizeResult, 'tokens' | 'wordIds' | 'specialTokensMask'>,
  top = 5,
): { tokens: number; unknown: number; unknownRate: number; rarest: { word: string; pieces: string[] }[] } {
  const words = new Map<number, string[]>();
  let tokens = 0;
  let unknown = 0;
  r.tokens.forEach((t, i) => {
    if (r.specialTokensMask[i] && t !== '[UNK]' && t !== '<unk>') return;
    tokens++;
    if (t === '[UNK]' || t === '<unk>') unknown++;
    const w = r.wordIds[i];
    if (w === null || w === undefined) return;
    words.set(w, [...(words.get(w) ?? []), t]);
  });
  const seen = new Set<string>();
  const rarest: { word: string; pieces: string[] }[] = [];
  for (const pieces of [...words.values()].sort((a, b) => b.length - a.length)) {
    if (pieces.length < 2 || rarest.length >= top) break;
    const word = pieces.map((p, k) => (k ? p.replace(/^##/, '') : p.replace(/^[Ġ▁]/, ''))).join('');
    if (seen.has(word)) continue;
    seen.add(word);
    rarest.push({ word, pieces });
  }
  return { tokens, unknown, unknownRate: tokens ? unknown / tokens : 0, rarest };
}
