// Saliency shading, decided without VS Code: each token's score as a background whose opacity is its share of
// the largest |score|, on a diverging palette (blue for tokens that raise the target's log-probability, orange
// for those that lower it; grad-l2 has no sign and is all blue). One decoration type per sign and level.
import type { SaliencyResult } from '../../engine/api';
import type { LabelledRange } from './decorationPlan';
import { l10n } from './l10n';

export const SALIENCY_LEVELS = 5;

const METHOD_NAMES: Record<SaliencyResult['method'], () => string> = {
  'grad-l2': () => l10n.t('gradient L2 norm'),
  'grad-input': () => l10n.t('gradient × input'),
  'integrated-gradients': () => l10n.t('integrated gradients'),
};

export function saliencyMethodName(m: SaliencyResult['method']): string {
  return METHOD_NAMES[m]();
}

/** What is being explained, in words. */
export function saliencyTargetText(r: SaliencyResult): string {
  const t = r.target;
  return 'token' in t
    ? l10n.t('“{0}” at token {1}', t.token, t.position)
    : t.position !== undefined
      ? l10n.t('label {0} at token {1}', t.label, t.position)
      : l10n.t('label {0}', t.label);
}

/** Level 1..SALIENCY_LEVELS of |score| relative to the largest |score| (0 when the score is 0). */
export function saliencyLevel(score: number, maxAbs: number): number {
  if (!(maxAbs > 0) || score === 0 || !Number.isFinite(score)) return 0;
  return Math.max(1, Math.min(SALIENCY_LEVELS, Math.ceil((Math.abs(score) / maxAbs) * SALIENCY_LEVELS)));
}

/** Opacity of a level's background. */
export function saliencyAlpha(level: number): number {
  return Number((0.08 + (0.5 * level) / SALIENCY_LEVELS).toFixed(2));
}

const md = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);

/** Ranges (document offsets: token offsets + `base`) grouped by `pos:L` / `neg:L`. Special tokens (empty
 *  offsets) and tokens of a second sequence are not in the text and get no range. */
export function planSaliencyDecorations(r: SaliencyResult, base = 0): Map<string, LabelledRange[]> {
  const out = new Map<string, LabelledRange[]>();
  const maxAbs = Math.max(
    0,
    ...r.scores.map((s, i) => (r.offsets[i][1] > r.offsets[i][0] && (r.sequenceIds[i] ?? 0) === 0 ? Math.abs(s) : 0)),
  );
  const what = saliencyTargetText(r);
  r.tokens.forEach((tok, i) => {
    const [s, e] = r.offsets[i];
    if (e <= s || (r.sequenceIds[i] ?? 0) !== 0) return;
    const level = saliencyLevel(r.scores[i], maxAbs);
    if (!level) return;
    const key = `${r.scores[i] < 0 ? 'neg' : 'pos'}:${level}`;
    const list = out.get(key) ?? [];
    list.push({
      start: s + base,
      end: e + base,
      hover: l10n.t(
        '**{0}** · {1} {2} · explaining {3} (log p {4}, fp32 graph)',
        md(tok),
        METHOD_NAMES[r.method](),
        r.scores[i].toPrecision(4),
        md(what),
        r.logprob.toFixed(3),
      ),
    });
    out.set(key, list);
  });
  return out;
}

/** Where the Fill-Mask panel's text sits now in the document it came from: `base` when the document still has
 *  it there, else the occurrence nearest to `base` (an edit above moved it), else undefined (the text itself
 *  changed: the editor is not shaded). */
export function locatePanelText(docText: string, text: string, base: number): number | undefined {
  if (!text) return undefined;
  if (docText.startsWith(text, base)) return base;
  let best: number | undefined;
  for (let i = docText.indexOf(text); i >= 0; i = docText.indexOf(text, i + 1)) {
    if (best === undefined || Math.abs(i - base) < Math.abs(best - base)) best = i;
  }
  return best;
}
