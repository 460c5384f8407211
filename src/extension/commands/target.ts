import * as vscode from 'vscode';
import type { Offset } from '../../engine/api';
import { userError } from '../errors';
import { paragraphAt, wordAt } from '../core/text';

export function activeEditor(): vscode.TextEditor {
  const editor = vscode.window.activeTextEditor;
  if (!editor)
    throw userError(
      'no-editor',
      vscode.l10n.t('Open a text editor first.'),
      vscode.l10n.t('BERT Lens works on the text in the active editor.'),
    );
  return editor;
}

/** The selection, or the word at the cursor; with the paragraph around it as context (document offsets). */
export function spanAndWindow(
  editor: vscode.TextEditor,
  maxChars = 2000,
): { span: Offset; window: Offset; text: string } {
  const doc = editor.document;
  const text = doc.getText();
  const sel = editor.selection;
  let span: Offset | undefined;
  if (!sel.isEmpty) span = [doc.offsetAt(sel.start), doc.offsetAt(sel.end)];
  else span = wordAt(text, doc.offsetAt(sel.active));
  if (!span) throw userError('no-selection', vscode.l10n.t('Select some text or put the cursor on a word.'));
  const window = paragraphAt(text, span[0], maxChars);
  if (span[1] > window[1]) window[1] = Math.min(text.length, span[1]);
  return { span, window, text };
}

/** The selection's text, or the whole document when nothing is selected. Longer texts run in windows in the
 *  engine; past `maxChars` (a huge file) only the start is used, and the user is told so — never silently. */
export function selectionOrDocument(editor: vscode.TextEditor, maxChars = 200_000): { text: string; base: number } {
  const doc = editor.document;
  const selected = !editor.selection.isEmpty;
  const text = selected ? doc.getText(editor.selection) : doc.getText();
  const base = selected ? doc.offsetAt(editor.selection.start) : 0;
  if (!text.trim())
    throw userError(
      'empty-text',
      selected ? vscode.l10n.t('The selection is empty.') : vscode.l10n.t('The document is empty.'),
    );
  if (text.length > maxChars) {
    void vscode.window.showWarningMessage(
      selected
        ? vscode.l10n.t(
            'BERT Lens: the selection has {0} characters; only the first {1} are analysed. Select a part to analyse another.',
            text.length.toLocaleString(),
            maxChars.toLocaleString(),
          )
        : vscode.l10n.t(
            'BERT Lens: the document has {0} characters; only the first {1} are analysed. Select a part to analyse another.',
            text.length.toLocaleString(),
            maxChars.toLocaleString(),
          ),
    );
    return { text: text.slice(0, maxChars), base };
  }
  return { text, base };
}

export function rangeOf(doc: vscode.TextDocument, [start, end]: Offset): vscode.Range {
  return new vscode.Range(doc.positionAt(start), doc.positionAt(end));
}
