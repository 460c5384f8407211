// Theme colour ids of the editor decorations (package.json contributes.colors), and the contributions
// themselves with their light / dark / high-contrast defaults. The dark defaults are the colours the
// decorations had before they became themable (the Okabe–Ito palette at fixed opacities).
import { OVERLAY_LEVELS, overlayAlpha } from './attentionOverlay';
import { labelIndex, PALETTE, REPLACED_BUCKETS } from './decorationPlan';

export type EntityPart = 'Background' | 'Border' | 'Foreground';
export const ENTITY_ALPHA: Record<EntityPart, number> = { Background: 0.28, Border: 0.9, Foreground: 1 };

export function entityColorId(label: string, part: EntityPart): string {
  return `bertLens.entity${labelIndex(label) + 1}${part}`;
}
/** Bucket 0..REPLACED_BUCKETS-1. */
export function replacedColorId(bucket: number): string {
  return `bertLens.replaced${bucket + 1}Background`;
}
export const REPLACED_UNDERLINE_ID = 'bertLens.replacedUnderline';
export function replacedAlpha(bucket: number): number {
  return Number((0.12 + 0.5 * ((bucket + 1) / REPLACED_BUCKETS)).toFixed(2));
}
/** Level 1..OVERLAY_LEVELS. */
export function overlayColorId(level: number): string {
  return `bertLens.attention${level}Background`;
}
export const OVERLAY_FOCUS_ID = 'bertLens.attentionFocusBorder';
export const PARAGRAPH_LABEL_ID = 'bertLens.paragraphLabelForeground';

/** VS Code's CSS variable for a colour id (for CSS strings such as text-decoration, which take no ThemeColor). */
export function cssVar(id: string): string {
  return `var(--vscode-${id.replace(/\./g, '-')})`;
}

export interface ColorDefaults {
  light: string;
  dark: string;
  highContrast: string;
  highContrastLight: string;
}
export interface ColorContribution {
  id: string;
  description: string;
  defaults: ColorDefaults;
}

const VERMILLION: [number, number, number] = [213, 94, 0];
const OVERLAY_BLUE: [number, number, number] = [0, 150, 255];

/** #rrggbbaa of an RGB triple at an opacity (alpha rounded to a byte, as browsers store it). */
export function hexColor([r, g, b]: [number, number, number], alpha = 1): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `#${h(r)}${h(g)}${h(b)}${alpha >= 1 ? '' : h(Math.round(alpha * 255))}`;
}

const same = (c: string, hc: string): ColorDefaults => ({ light: c, dark: c, highContrast: hc, highContrastLight: hc });

/** Every decoration colour. High contrast keeps borders and text at full strength and drops translucent fills
 *  to a stronger fixed opacity, so that the spans stay readable against black or white. */
export function decorationColorContributions(): ColorContribution[] {
  const out: ColorContribution[] = [];
  PALETTE.forEach((rgb, i) => {
    for (const part of ['Background', 'Border', 'Foreground'] as EntityPart[]) {
      out.push({
        id: `bertLens.entity${i + 1}${part}`,
        description: `Entities: ${part.toLowerCase()} of palette colour ${i + 1} (PER 1, ORG 2, LOC 3, MISC 4; other labels by hash).`, // l10n: manifest text (package.nls.json)
        defaults: same(hexColor(rgb, ENTITY_ALPHA[part]), part === 'Background' ? hexColor(rgb, 0.4) : hexColor(rgb)),
      });
    }
  });
  for (let b = 0; b < REPLACED_BUCKETS; b++) {
    out.push({
      id: replacedColorId(b),
      description: `Replaced tokens: background of probability bucket ${b + 1} of ${REPLACED_BUCKETS}.`, // l10n: manifest text (package.nls.json)
      defaults: same(hexColor(VERMILLION, replacedAlpha(b)), hexColor(VERMILLION, Math.max(0.4, replacedAlpha(b)))),
    });
  }
  out.push({
    id: REPLACED_UNDERLINE_ID,
    description: 'Replaced tokens: wavy underline of the likeliest buckets.', // l10n: manifest text (package.nls.json)
    defaults: same(hexColor(VERMILLION, 0.9), hexColor(VERMILLION)),
  });
  for (let l = 1; l <= OVERLAY_LEVELS; l++) {
    out.push({
      id: overlayColorId(l),
      description: `Attention overlay: background of level ${l} of ${OVERLAY_LEVELS}.`, // l10n: manifest text (package.nls.json)
      defaults: same(hexColor(OVERLAY_BLUE, overlayAlpha(l)), hexColor(OVERLAY_BLUE, Math.max(0.3, overlayAlpha(l)))),
    });
  }
  out.push({
    id: OVERLAY_FOCUS_ID,
    description: 'Attention overlay: outline of the focus word.', // l10n: manifest text (package.nls.json)
    defaults: same(hexColor(OVERLAY_BLUE, 0.9), hexColor(OVERLAY_BLUE)),
  });
  out.push({
    id: PARAGRAPH_LABEL_ID,
    description: 'Classifier Trainer: the label shown after each paragraph.', // l10n: manifest text (package.nls.json)
    defaults: same('editorCodeLens.foreground', 'editorCodeLens.foreground'),
  });
  return out;
}
