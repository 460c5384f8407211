import * as vscode from 'vscode';
import type { Offset } from '../../engine/api';
import { FillMaskPanel } from '../panels/fillMaskPanel';
import type { Annotations } from '../decorations/annotations';
import type { Services } from '../services';
import { spanAndWindow } from './target';

/** Opens the Fill-Mask panel on the paragraph around the selection (masking the selection), or on a sample.
 *  With the editor's text, the panel's Why? buttons also shade the editor (`annotations`). */
export async function showFillMaskPanel(services: Services, annotations?: Annotations): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !editor.document.getText().trim()) {
    FillMaskPanel.createOrShow(services);
    return;
  }
  let text: string | undefined;
  let masks: Offset[] = [];
  let base = 0;
  try {
    const { span, window, text: full } = spanAndWindow(editor, 600);
    text = full.slice(window[0], window[1]);
    masks = [[span[0] - window[0], span[1] - window[0]]];
    base = window[0];
  } catch {
    // No word under the cursor: show the panel's sample text.
  }
  FillMaskPanel.createOrShow(
    services,
    text,
    masks,
    text !== undefined && annotations ? { uri: editor.document.uri.toString(), base, annotations } : undefined,
  );
}
