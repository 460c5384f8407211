import * as vscode from 'vscode';
import { clampWindow, paragraphAt } from '../core/text';
import { AttentionPanel } from '../panels/attentionPanel';
import type { Services } from '../services';
import { activeEditor } from './target';

/** Attention for the selection (or the sentence/paragraph around the cursor, cut to ~600 characters so the
 *  grid stays readable). */
export async function showAttention(services: Services): Promise<void> {
  const editor = activeEditor();
  const doc = editor.document;
  const text = doc.getText();
  const sel = editor.selection;
  let snippet: string;
  if (!sel.isEmpty) snippet = doc.getText(sel);
  else {
    const offset = doc.offsetAt(sel.active);
    const para = paragraphAt(text, offset, 2000);
    const paraText = text.slice(para[0], para[1]);
    // Prefer the sentence around the cursor.
    const rel = offset - para[0];
    const starts = [...paraText.matchAll(/[.!?]\s+/g)].map((m) => m.index! + m[0].length).filter((i) => i <= rel);
    const sStart = starts.length ? starts[starts.length - 1] : 0;
    const endMatch = /[.!?](\s|$)/.exec(paraText.slice(rel));
    const sEnd = endMatch ? rel + endMatch.index + 1 : paraText.length;
    snippet = paraText.slice(sStart, sEnd);
    if (snippet.trim().length < 3) snippet = paraText;
    const [a, b] = clampWindow(snippet, [0, snippet.length], 0, 600);
    snippet = snippet.slice(a, b);
  }
  if (!snippet.trim()) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('BERT Lens: put the cursor in a sentence or select some text to show its attention.'),
    );
    return;
  }
  AttentionPanel.createOrShow(services, snippet.trim());
}
