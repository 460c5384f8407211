import * as vscode from 'vscode';
import { overlayAlpha } from '../core/attentionOverlay';
import { labelColor, REPLACED_BUCKETS } from '../core/decorationPlan';
import { saliencyAlpha } from '../core/saliencyPlan';
import type { AnnotationKind } from './annotations';

/** The overlay's colour (Okabe–Ito blue, distinct from the entity palette's alpha levels). */
export const OVERLAY_RGB = 'rgba(0, 150, 255, ';

export function annotationStyle(kind: AnnotationKind, key: string): vscode.DecorationRenderOptions {
  switch (kind) {
    case 'entities':
      return {
        backgroundColor: labelColor(key, 0.28),
        border: `1px solid ${labelColor(key, 0.9)}`,
        borderRadius: '3px',
        after: { contentText: ` ${key}`, color: labelColor(key, 1), fontStyle: 'italic', margin: '0 0 0 2px' },
        overviewRulerColor: labelColor(key, 0.9),
        overviewRulerLane: vscode.OverviewRulerLane.Right,
      };
    case 'replaced': {
      const level = (Number(key) + 1) / REPLACED_BUCKETS;
      return {
        backgroundColor: `rgba(213, 94, 0, ${(0.12 + 0.5 * level).toFixed(2)})`,
        textDecoration: level > 0.6 ? 'underline wavy rgba(213, 94, 0, 0.9)' : undefined,
      };
    }
    case 'attention':
      // The focus word gets an outline; every other token a background whose opacity is its level.
      if (key === 'focus') return { border: `1px solid ${OVERLAY_RGB}0.9)`, borderRadius: '2px' };
      return { backgroundColor: `${OVERLAY_RGB}${overlayAlpha(Number(key))})`, borderRadius: '2px' };
    case 'saliency': {
      // Diverging: Okabe–Ito blue raises the target's log-probability, vermillion lowers it.
      const [sign, level] = key.split(':');
      const rgb = sign === 'neg' ? '213, 94, 0' : '0, 114, 178';
      return { backgroundColor: `rgba(${rgb}, ${saliencyAlpha(Number(level))})`, borderRadius: '2px' };
    }
    case 'answer':
      return {
        backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
        border: '1px solid',
        borderColor: new vscode.ThemeColor('editor.findMatchBorder'),
        overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.findMatchForeground'),
      };
  }
}
