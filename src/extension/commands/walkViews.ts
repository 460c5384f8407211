import * as vscode from 'vscode';
import { clampWindow, paragraphAt } from '../core/text';
import { InputEmbeddingsPanel, MaskPreviewPanel } from '../panels/walkPanels';
import type { Services } from '../services';

/** The selection, or the paragraph around the cursor (cut to ~600 characters); '' without an editor. */
export function snippetAtCursor(): string {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return '';
  const doc = editor.document;
  if (!editor.selection.isEmpty) return doc.getText(editor.selection).trim();
  const text = doc.getText();
  const para = paragraphAt(text, doc.offsetAt(editor.selection.active), 2000);
  const p = text.slice(para[0], para[1]);
  const [a, b] = clampWindow(p, [0, p.length], 0, 600);
  return p.slice(a, b).trim();
}

/** First sentence and the rest: a pair, as next-sentence prediction reads it. */
export function splitPair(text: string): { text: string; pair?: string } {
  const m = /[.!?]\s+(?=\S)/.exec(text);
  if (!m) return { text };
  const cut = m.index + 1;
  return { text: text.slice(0, cut).trim(), pair: text.slice(cut).trim() };
}

const SAMPLE = 'The bank raised its interest rates again, so we moved our savings to a small bank by the river.';

export async function showMaskPreview(services: Services, args?: { text?: string; seed?: number }): Promise<void> {
  const text = args?.text ?? (snippetAtCursor() || SAMPLE);
  MaskPreviewPanel.createOrShow(services, text, Number.isInteger(args?.seed) ? Number(args?.seed) : 0);
}

export async function showInputEmbeddings(services: Services, args?: { text?: string; pair?: string }): Promise<void> {
  if (args?.text) {
    InputEmbeddingsPanel.createOrShow(services, args.text, args.pair);
    return;
  }
  const p = splitPair(snippetAtCursor() || 'The cat sat on the mat. It was happy.');
  InputEmbeddingsPanel.createOrShow(services, p.text, p.pair);
}
