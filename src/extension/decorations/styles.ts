import * as vscode from 'vscode';
import { REPLACED_BUCKETS } from '../core/decorationPlan';
import { saliencyAlpha } from '../core/saliencyPlan';
import type { AnnotationKind } from './annotations';
import { GLTR_COLOR_IDS, type GltrBucket } from '../core/surprisalPlan';
import {
  cssVar,
  entityColorId,
  OVERLAY_FOCUS_ID,
  overlayColorId,
  REPLACED_UNDERLINE_ID,
  replacedColorId,
} from '../core/themeColors';

const theme = (id: string) => new vscode.ThemeColor(id);

export function annotationStyle(kind: AnnotationKind, key: string): vscode.DecorationRenderOptions {
  switch (kind) {
    case 'entities':
      return {
        // Theme colours (package.json contributes.colors); the dark defaults are the palette at 0.28 / 0.9 / 1.
        backgroundColor: theme(entityColorId(key, 'Background')),
        border: '1px solid',
        borderColor: theme(entityColorId(key, 'Border')),
        borderRadius: '3px',
        after: {
          contentText: ` ${key}`,
          color: theme(entityColorId(key, 'Foreground')),
          fontStyle: 'italic',
          margin: '0 0 0 2px',
        },
        overviewRulerColor: theme(entityColorId(key, 'Border')),
        overviewRulerLane: vscode.OverviewRulerLane.Right,
      };
    case 'replaced': {
      const level = (Number(key) + 1) / REPLACED_BUCKETS;
      return {
        backgroundColor: theme(replacedColorId(Number(key))),
        textDecoration: level > 0.6 ? `underline wavy ${cssVar(REPLACED_UNDERLINE_ID)}` : undefined,
      };
    }
    case 'attention':
      // The focus word gets an outline; every other token a background whose opacity is its level.
      if (key === 'focus') return { border: '1px solid', borderColor: theme(OVERLAY_FOCUS_ID), borderRadius: '2px' };
      return { backgroundColor: theme(overlayColorId(Number(key))), borderRadius: '2px' };
    case 'surprisal':
      // GLTR's buckets; the colours are theme colours (package.json contributes.colors).
      return { backgroundColor: new vscode.ThemeColor(GLTR_COLOR_IDS[key as GltrBucket]), borderRadius: '2px' };
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
