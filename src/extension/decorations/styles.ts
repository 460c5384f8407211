import * as vscode from 'vscode';
import { labelColor, REPLACED_BUCKETS } from '../core/decorationPlan';
import type { AnnotationKind } from './annotations';

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
    case 'answer':
      return {
        backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
        border: '1px solid',
        borderColor: new vscode.ThemeColor('editor.findMatchBorder'),
        overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.findMatchForeground'),
      };
  }
}
