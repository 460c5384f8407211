import * as vscode from 'vscode';
import type { Offset } from '../../engine/api';
import { FillMaskPanel } from '../panels/fillMaskPanel';
import type { Services } from '../services';
import { spanAndWindow } from './target';

/** Opens the Fill-Mask panel on the paragraph around the selection (masking the selection), or on a sample. */
export async function showFillMaskPanel(services: Services): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !editor.document.getText().trim()) {
    FillMaskPanel.createOrShow(services);
    return;
  }
  let text: string | undefined;
  let masks: Offset[] = [];
  try {
    const { span, window, text: full } = spanAndWindow(editor, 600);
    text = full.slice(window[0], window[1]);
    masks = [[span[0] - window[0], span[1] - window[0]]];
  } catch {
    // No word under the cursor: show the panel's sample text.
  }
  FillMaskPanel.createOrShow(services, text, masks);
}
