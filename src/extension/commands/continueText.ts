import * as vscode from 'vscode';
import { toAbortSignal } from '../adapters';
import { userError } from '../errors';
import type { Services } from '../services';
import { activeEditor } from './target';

const CONTEXT_KEY = 'bertLens.continuationPending';

interface Pending {
  editor: vscode.TextEditor;
  version: number;
  offset: number;
  text: string;
  done: boolean;
  cancel: vscode.CancellationTokenSource;
}

/** Continue Text: a causal model continues the text before the cursor. The tokens stream in as ghost text;
 *  the user accepts (Tab, or the notification's Accept) — one edit, one undo step — or rejects (Escape). */
export class ContinueText implements vscode.Disposable {
  private readonly ghost = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorGhostText.foreground'), fontStyle: 'italic' },
  });
  private pending?: Pending;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly services: Services) {
    this.disposables.push(
      this.ghost,
      vscode.workspace.onDidChangeTextDocument((e) => {
        // Any edit to the document (typing, or our own insert) ends the preview.
        if (this.pending && e.document === this.pending.editor.document && e.contentChanges.length) this.reject();
      }),
    );
  }

  /** The model used: bertLens.causalModel, else the configured model when it is causal. */
  private model(): string {
    return (
      vscode.workspace.getConfiguration('bertLens').get<string>('causalModel', '').trim() ||
      this.services.settings().model
    );
  }

  get preview(): { text: string; done: boolean } | undefined {
    return this.pending && { text: this.pending.text, done: this.pending.done };
  }

  async start(): Promise<void> {
    this.reject();
    const editor = activeEditor();
    const doc = editor.document;
    const offset = doc.offsetAt(editor.selection.active);
    const prompt = doc.getText().slice(Math.max(0, offset - 4000), offset);
    if (!prompt.trim())
      throw userError(
        'empty-text',
        vscode.l10n.t('There is no text before the cursor to continue.'),
        vscode.l10n.t('Put the cursor after some text.'),
      );
    const model = this.model();
    const summary = await this.services.ensureModel(model);
    if (summary.head !== 'causal-lm') {
      throw userError(
        'wrong-head',
        vscode.l10n.t(
          'Continue Text needs a causal (GPT-style) language model; {0} is a {1} model.',
          summary.id,
          summary.head,
        ),
        vscode.l10n.t('Set bertLens.causalModel to a GPT-2 export (e.g. Xenova/gpt2 or Xenova/distilgpt2).'),
      );
    }
    const c = vscode.workspace.getConfiguration('bertLens');
    const cancel = new vscode.CancellationTokenSource();
    const p: Pending = { editor, version: doc.version, offset, text: '', done: false, cancel };
    this.pending = p;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, true);
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('BERT Lens: continuing the text…'),
        cancellable: true,
      },
      (progress, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        return this.services
          .timed('continue', () =>
            this.services.client.generate(
              this.services.spec(model),
              {
                text: prompt,
                maxNewTokens: c.get<number>('continueText.maxNewTokens', 30),
                temperature: c.get<number>('continueText.temperature', 0),
                seed: 0,
              },
              {
                signal: toAbortSignal(cancel.token),
                onProgress: (u) => {
                  if (this.pending !== p || !('token' in u)) return;
                  p.text += u.token.text;
                  progress.report({ message: `${u.done} / ${u.total} tokens` });
                  this.render();
                },
              },
            ),
          )
          .catch((err) => {
            if (this.pending === p) this.reject();
            throw err;
          });
      },
    );
    if (this.pending !== p) return; // rejected or replaced meanwhile
    p.text = result.text; // decoded as a whole: bytes split across tokens join up
    p.done = true;
    this.render();
    if (result.note) this.services.log.info(`continue: ${result.note}`);
    void vscode.window
      .showInformationMessage(
        vscode.l10n.t(
          'BERT Lens: {0} tokens (stopped: {1}). Accept the continuation?',
          result.tokens.length,
          result.stop,
        ),
        vscode.l10n.t('Accept'),
        vscode.l10n.t('Reject'),
      )
      .then((choice) => {
        if (this.pending !== p) return;
        if (choice === vscode.l10n.t('Accept')) void this.accept();
        else if (choice === vscode.l10n.t('Reject')) this.reject();
      });
  }

  private render(): void {
    const p = this.pending;
    if (!p) return;
    const pos = p.editor.document.positionAt(p.offset);
    const shown = p.text.replace(/\n/g, ' ⏎ ') + (p.done ? '' : ' …');
    p.editor.setDecorations(this.ghost, [
      { range: new vscode.Range(pos, pos), renderOptions: { after: { contentText: shown } } },
    ]);
  }

  /** Inserts the finished continuation at the cursor position it was made for: one edit, one undo step. */
  async accept(): Promise<boolean> {
    const p = this.pending;
    if (!p || !p.done) {
      this.services.log.info(`continue: nothing to accept${p ? ' yet (still generating)' : ''}`);
      return false;
    }
    this.clear();
    const doc = p.editor.document;
    if (doc.version !== p.version) {
      this.services.log.info('continue: the document changed since the preview; not inserted');
      return false;
    }
    const pos = doc.positionAt(p.offset);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, pos, p.text);
    // One WorkspaceEdit: one undo step, whichever editor has the focus now.
    const ok = await vscode.workspace.applyEdit(edit);
    this.services.log.info(`continue: ${ok ? `accepted ${p.text.length} characters` : 'the edit was refused'}`);
    if (ok && vscode.window.activeTextEditor?.document === doc) {
      const end = doc.positionAt(p.offset + p.text.length);
      vscode.window.activeTextEditor.selection = new vscode.Selection(end, end);
    }
    return ok;
  }

  reject(): void {
    const p = this.pending;
    if (!p) return;
    this.services.log.info(`continue: ${p.done ? 'rejected' : 'cancelled'}`);
    if (!p.done) p.cancel.cancel();
    this.clear();
  }

  private clear(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) p.editor.setDecorations(this.ghost, []);
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, false);
  }

  dispose(): void {
    this.reject();
    this.disposables.forEach((d) => d.dispose());
  }
}
