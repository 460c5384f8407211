// Pure view logic of the trainer's "Why this label?" (no DOM; tested in plain Node): which chips to show, how
// strongly to shade each, and the caption that says what was explained and through which network.
import type { ExplainedExample } from '../../../engine/training/explain';
import { l10n } from '../../shared/l10n';

export interface WhyChip {
  token: string;
  special: boolean;
  score: number;
}

/** One chip per token the scores cover; special tokens ([CLS], [SEP]) are shown unshaded. */
export function whyChips(r: ExplainedExample): { chips: WhyChip[]; max: number } {
  const chips = r.tokens.map((token, i) => ({ token, special: r.sequenceIds[i] === null, score: r.scores[i] }));
  const max = Math.max(0, ...chips.map((c) => (c.special ? 0 : Math.abs(c.score))));
  return { chips, max };
}

export function whyCaption(r: ExplainedExample, methodName: string): string {
  const t = r.target as { label: string };
  const net =
    r.network === 'fine-tuned' ? l10n.t('the fine-tuned network') : l10n.t('the frozen encoder and the trained head');
  const p = (100 * Math.exp(r.logprob)).toFixed(1);
  const win = r.window
    ? ' ' +
      l10n.t(
        'The text is longer than the model reads: tokens {0}–{1} of {2} are explained.',
        r.window.start,
        r.window.end,
        r.window.totalTokens,
      )
    : '';
  return (
    l10n.t(
      'Why “{0}” (p {1}%, true label “{2}”): {3} saliency through {4} (fp32). Blue raises the label, orange lowers it.',
      t.label,
      p,
      r.example.label,
      methodName,
      net,
    ) + win
  );
}
