// What to decorate, decided without VS Code: entity spans grouped by label with a stable colour each, and
// replaced-token probabilities bucketed into a few opacity levels (one decoration type per bucket).
import type { Entity, Offset, ReplacedTokensResult } from '../../engine/api';
import { entityType } from '../../engine/bio';
import { mdText } from './markdown';
import { l10n } from './l10n';

/** Colour-blind-friendly palette (Okabe–Ito), as RGB so backgrounds can be translucent. */
export const PALETTE: [number, number, number][] = [
  [0, 114, 178],
  [230, 159, 0],
  [0, 158, 115],
  [204, 121, 167],
  [86, 180, 233],
  [213, 94, 0],
  [240, 228, 66],
  [120, 120, 120],
];
const KNOWN: Record<string, number> = { PER: 0, ORG: 1, LOC: 2, MISC: 3 };

/** Strips BIO/BIOES/BILOU prefixes: "B-PER" → "PER". */
export function baseLabel(label: string): string {
  return entityType(label);
}

/** The palette slot of a label: PER/ORG/LOC/MISC fixed, others by a stable hash. */
export function labelIndex(label: string): number {
  const base = baseLabel(label);
  let idx = KNOWN[base];
  if (idx === undefined) {
    let h = 0;
    for (const ch of base) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    idx = h % PALETTE.length;
  }
  return idx;
}

export function labelColor(label: string, alpha = 0.3): string {
  const [r, g, b] = PALETTE[labelIndex(label)];
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export interface LabelledRange {
  start: number;
  end: number;
  hover: string;
}

/** Entities (offsets relative to the analysed text) → ranges per base label, in document offsets. */
export function planEntityDecorations(entities: Entity[], base = 0): Map<string, LabelledRange[]> {
  const byLabel = new Map<string, LabelledRange[]>();
  for (const e of entities) {
    if (e.end <= e.start) continue;
    const label = baseLabel(e.label);
    const list = byLabel.get(label) ?? [];
    list.push({
      start: e.start + base,
      end: e.end + base,
      hover: `**${mdText(label)}** · score ${e.score.toFixed(3)} · “${mdText(e.text)}”`,
    });
    byLabel.set(label, list);
  }
  return byLabel;
}

export const REPLACED_BUCKETS = 5;

/** Probability of replacement → bucket 0..REPLACED_BUCKETS-1; tokens below `minProbability` are not shown. */
export function replacedBucket(p: number, minProbability = 0.2): number | undefined {
  if (!(p >= minProbability)) return undefined;
  return Math.min(REPLACED_BUCKETS - 1, Math.floor(((p - minProbability) / (1 - minProbability)) * REPLACED_BUCKETS));
}

export function planReplacedDecorations(
  result: ReplacedTokensResult,
  base = 0,
  minProbability = 0.2,
): Map<number, LabelledRange[]> {
  const out = new Map<number, LabelledRange[]>();
  result.offsets.forEach(([s, e]: Offset, i) => {
    if (e <= s) return;
    const b = replacedBucket(result.replaced[i], minProbability);
    if (b === undefined) return;
    const list = out.get(b) ?? [];
    list.push({
      start: s + base,
      end: e + base,
      hover: l10n.t('**{0}** replaced with probability {1}', mdText(result.tokens[i]), result.replaced[i].toFixed(3)),
    });
    out.set(b, list);
  });
  return out;
}
