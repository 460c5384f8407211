// Show Surprisal, decided without VS Code: GLTR's colour buckets (Gehrmann et al., 2019) by the rank of each
// token under the model, the hover text (rank, probability, the model's top 5 there), and the status line.
import type { SurprisalResult } from '../../engine/api';
import type { LabelledRange } from './decorationPlan';
import { l10n } from './l10n';

export type GltrBucket = 'top10' | 'top100' | 'top1000' | 'beyond';
export const GLTR_BUCKETS: GltrBucket[] = ['top10', 'top100', 'top1000', 'beyond'];
/** Colour ids in package.json `contributes.colors` (themes can override them). */
export const GLTR_COLOR_IDS: Record<GltrBucket, string> = {
  top10: 'bertLens.surprisal.top10Background',
  top100: 'bertLens.surprisal.top100Background',
  top1000: 'bertLens.surprisal.top1000Background',
  beyond: 'bertLens.surprisal.beyondBackground',
};
const GLTR_WORDS: Record<GltrBucket, () => string> = {
  top10: () => l10n.t('top 10'),
  top100: () => l10n.t('top 100'),
  top1000: () => l10n.t('top 1,000'),
  beyond: () => l10n.t('beyond the top 1,000'),
};

/** rank ≤ 10 green, ≤ 100 yellow, ≤ 1000 red, beyond purple. */
export function gltrBucket(rank: number): GltrBucket {
  return rank <= 10 ? 'top10' : rank <= 100 ? 'top100' : rank <= 1000 ? 'top1000' : 'beyond';
}

/** Markdown-safe token text (vocabulary tokens hold `<|…|>`, `#`, `*`, `_`, backticks). */
export function mdEscape(s: string): string {
  return s.replace(/[\\`*_{}[\]()<>#+\-.!|~]/g, (c) => `\\${c}`);
}

/** A vocabulary token as a reader sees it: GPT-2's Ġ is a space, Ċ a newline. */
export function showToken(t: string): string {
  return t.replace(/^Ġ/, '␣').replace(/Ċ/g, '⏎');
}

export function surprisalHover(r: SurprisalResult, i: number): string {
  const rank = r.ranks[i]!;
  const p = Math.exp(r.logprobs[i]!);
  const what =
    r.method === 'causal'
      ? l10n.t('given the text before it')
      : r.wholeWord
        ? l10n.t('with its whole word masked')
        : l10n.t('with it masked');
  const top = (r.top[i] ?? [])
    .slice(0, 5)
    .map((t, k) => `${k + 1}. \`${showToken(t.token).replace(/`/g, "'")}\` ${(t.score * 100).toFixed(2)} %`)
    .join('  \n');
  return l10n.t(
    "**{0}** · rank **{1}** ({2}) · p = {3} {4}\n\nThe model's top 5 here:  \n{5}",
    mdEscape(showToken(r.tokens[i])),
    rank.toLocaleString('en-US'),
    GLTR_WORDS[gltrBucket(rank)](),
    p < 1e-4 ? p.toExponential(2) : p.toFixed(4),
    what,
    top,
  );
}

/** Tokens (offsets relative to the analysed text, shifted by `base`) → ranges per GLTR bucket. Tokens without
 *  a prediction (a causal model's first token) and empty spans are left undecorated. */
export function planSurprisal(r: SurprisalResult, base = 0): Map<GltrBucket, LabelledRange[]> {
  const out = new Map<GltrBucket, LabelledRange[]>();
  r.offsets.forEach(([s, e], i) => {
    const rank = r.ranks[i];
    if (rank === null || rank === undefined || e <= s) return;
    const b = gltrBucket(rank);
    const list = out.get(b) ?? [];
    list.push({ start: s + base, end: e + base, hover: surprisalHover(r, i) });
    out.set(b, list);
  });
  return out;
}

/** "perplexity 23.4" for a causal model, "pseudo-perplexity 3.1" for a masked one, with the bucket counts. */
export function surprisalStatus(r: SurprisalResult): { text: string; tooltip: string } {
  const counts = new Map<GltrBucket, number>(GLTR_BUCKETS.map((b) => [b, 0]));
  for (const rank of r.ranks) if (rank !== null) counts.set(gltrBucket(rank), counts.get(gltrBucket(rank))! + 1);
  const name = r.method === 'causal' ? l10n.t('perplexity') : l10n.t('pseudo-perplexity');
  const ppl = r.perplexity >= 1000 ? r.perplexity.toExponential(2) : r.perplexity.toFixed(2);
  return {
    text: `${name} ${ppl}`,
    tooltip:
      l10n.t('{0} {1} over {2} tokens ({3}). Ranks: ', name, ppl, r.ranks.filter((x) => x !== null).length, r.method) +
      GLTR_BUCKETS.map((b) => `${GLTR_WORDS[b]()} ${counts.get(b)}`).join(', '),
  };
}
