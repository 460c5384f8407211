// The attention overlay, decided without VS Code: which attention matrix (rollout, or the head mean of a layer),
// the row of the focus word (mean over its pieces), and for every other token its character range, its weight and
// an opacity level proportional to the weight (the strongest token gets the top level).
import type { AttentionResult, Offset } from '../../engine/api';
import { tokensInSpan } from './tokens';
import { mdText } from './markdown';
import { l10n } from './l10n';

export type OverlayMode = { kind: 'rollout' } | { kind: 'headMean'; layer: number };

/** Opacity levels (one decoration type each); level L is painted at OVERLAY_MAX_ALPHA · L / OVERLAY_LEVELS. */
export const OVERLAY_LEVELS = 10;
export const OVERLAY_MAX_ALPHA = 0.6;

export interface OverlayRange {
  token: number;
  start: number;
  end: number;
  weight: number;
  level: number;
  hover: string;
}

export interface OverlayPlan {
  /** The focus word in document offsets and its token indexes. */
  focus: Offset;
  focusTokens: number[];
  /** Tokens (other than the focus and special tokens) with a level ≥ 1, in text order. */
  ranges: OverlayRange[];
  /** Highest weight among the candidate tokens (the one painted at the top level). */
  max: number;
  /** Human description of the matrix, e.g. "rollout" or "head mean, layer 4". */
  source: string;
}

/** The layer index (0-based) for a 1-based or negative (from the end) layer setting; out of range → the last. */
export function layerIndex(layer: number, numLayers: number): number {
  if (layer < 0) return Math.max(0, numLayers + layer);
  if (layer >= 1 && layer <= numLayers) return layer - 1;
  return numLayers - 1;
}

export function overlayMatrix(
  result: Pick<AttentionResult, 'rollout' | 'headMean'>,
  mode: OverlayMode,
): { matrix: number[][]; source: string } {
  if (mode.kind === 'rollout') return { matrix: result.rollout, source: l10n.t('rollout') };
  const l = layerIndex(mode.layer, result.headMean.length);
  return { matrix: result.headMean[l], source: l10n.t('head mean, layer {0}', l + 1) };
}

/** The attention row of the focus span: the mean of its tokens' rows. */
export function focusRow(matrix: number[][], focusTokens: number[]): number[] {
  const n = matrix[0]?.length ?? 0;
  const row = new Array<number>(n).fill(0);
  for (const i of focusTokens) matrix[i].forEach((v, j) => (row[j] += v / focusTokens.length));
  return row;
}

export function overlayLevel(weight: number, max: number, levels = OVERLAY_LEVELS): number {
  if (!(max > 0) || !(weight > 0)) return 0;
  return Math.min(levels, Math.round((weight / max) * levels));
}

export function overlayAlpha(level: number, levels = OVERLAY_LEVELS): number {
  return Number(((OVERLAY_MAX_ALPHA * level) / levels).toFixed(2));
}

/**
 * Plans the overlay. `offsets` and `focus` are relative to the analysed text, `base` shifts them to document
 * offsets, `text` is the analysed text (for the hovers). Returns undefined when the focus covers no token.
 */
export function planAttentionOverlay(
  result: Pick<AttentionResult, 'tokens' | 'offsets' | 'rollout' | 'headMean'>,
  focus: Offset,
  mode: OverlayMode,
  text: string,
  base = 0,
  levels = OVERLAY_LEVELS,
): OverlayPlan | undefined {
  const focusTokens = tokensInSpan(result.offsets, focus);
  if (!focusTokens.length) return undefined;
  const { matrix, source } = overlayMatrix(result, mode);
  const row = focusRow(matrix, focusTokens);
  const candidates = result.offsets
    .map(([s, e], j) => ({ j, s, e }))
    .filter(({ j, s, e }) => e > s && !focusTokens.includes(j));
  const max = Math.max(0, ...candidates.map(({ j }) => row[j]));
  const word = text.slice(focus[0], focus[1]);
  const ranges: OverlayRange[] = [];
  for (const { j, s, e } of candidates) {
    const level = overlayLevel(row[j], max, levels);
    if (level < 1) continue;
    ranges.push({
      token: j,
      start: s + base,
      end: e + base,
      weight: row[j],
      level,
      hover: l10n.t(
        '**{0}** receives {1} of “{2}”’s attention ({3}; {4} % of the strongest)',
        mdText(result.tokens[j]),
        row[j].toFixed(4),
        mdText(word),
        source,
        ((row[j] / max) * 100).toFixed(0),
      ),
    });
  }
  return { focus: [focus[0] + base, focus[1] + base], focusTokens, ranges, max, source };
}
