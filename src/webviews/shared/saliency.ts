// Saliency shading of token chips, shared by the Fill-Mask panel's "Why?" and the Classifier Trainer's
// "Why this label?": opacity by |score| / max over the text's tokens, blue for tokens that raise the explained
// prediction, orange for those that lower it (the editor's Explain Prediction colours).
import { l10n } from './l10n';

// Read when the app's module loads, after the page (and its l10n bundle) is in place.
export const SALIENCY_METHOD_NAMES: Record<string, string> = {
  'grad-input': l10n.t('gradient × input'),
  'grad-l2': l10n.t('gradient L2 norm'),
  'integrated-gradients': l10n.t('integrated gradients'),
};

/** Shades one chip; the score goes to `data-saliency` (what tests and assistive tooling read). */
export function shadeChip(el: HTMLElement, score: number, max: number): void {
  if (!(max > 0) || score === 0) return;
  const level = Math.max(1, Math.min(5, Math.ceil((Math.abs(score) / max) * 5)));
  const alpha = (0.08 + (0.5 * level) / 5).toFixed(2);
  el.style.backgroundColor = score < 0 ? `rgba(213, 94, 0, ${alpha})` : `rgba(0, 114, 178, ${alpha})`;
  el.dataset.saliency = String(score);
}
