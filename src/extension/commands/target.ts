import * as vscode from 'vscode';
import type { Offset } from '../../engine/api';
import { userError } from '../errors';
import { paragraphAt, wordAt } from '../core/text';

export function activeEditor(): vscode.TextEditor {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw userError('no-editor', 'Open a text editor first.', 'BERT Lens works on the text in the active editor.');
  return editor;
}

/** The selection, or the word at the cursor; with the paragraph around it as context (document offsets). */
export function spanAndWindow(editor: vscode.TextEditor, maxChars = 2000): { span: Offset; window: Offset; text: string } {
  const doc = editor.document;
  const text = doc.getText();
  const sel = editor.selection;
  let span: Offset | undefined;
  if (!sel.isEmpty) span = [doc.offsetAt(sel.start), doc.offsetAt(sel.end)];
  else span = wordAt(text, doc.offsetAt(sel.active));
  if (!span) throw userError('no-selection', 'Select some text or put the cursor on a word.');
  const window = paragraphAt(text, span[0], maxChars);
  if (span[1] > window[1]) window[1] = Math.min(text.length, span[1]);
  return { span, window, text };
}

/** The selection's text, or the whole document (cut to maxChars) when nothing is selected. */
export function selectionOrDocument(editor: vscode.TextEditor, maxChars = 20000): { text: string; base: number } {
  const doc = editor.document;
  if (!editor.selection.isEmpty) return { text: doc.getText(editor.selection), base: doc.offsetAt(editor.selection.start) };
  const text = doc.getText();
  if (!text.trim()) throw userError('empty-text', 'The document is empty.');
  return { text: text.slice(0, maxChars), base: 0 };
}

export function rangeOf(doc: vscode.TextDocument, [start, end]: Offset): vscode.Range {
  return new vscode.Range(doc.positionAt(start), doc.positionAt(end));
}
