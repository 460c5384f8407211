import * as vscode from 'vscode';
import type { SurprisalResult } from '../../engine/api';
import { toAbortSignal, withDelayedProgress } from '../adapters';
import { planSurprisal, surprisalStatus } from '../core/surprisalPlan';
import type { Annotations } from '../decorations/annotations';
import type { Services } from '../services';
import { activeEditor, selectionOrDocument } from './target';

/** The model Show Surprisal uses: bertLens.surprisal.model, else the configured model. A causal model gives
 *  log p(token | text before it); a masked one, pseudo-log-likelihood. */
function surprisalModel(services: Services): string {
  return (
    vscode.workspace.getConfiguration('bertLens').get<string>('surprisal.model', '').trim() || services.settings().model
  );
}

/** GLTR-style colours on every token of the selection (or document) by its rank under the model, a hover with
 *  rank, probability and the top 5, and the (pseudo-)perplexity in the status bar. */
export class SurprisalLens implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('bertLens.surprisal', vscode.StatusBarAlignment.Right, 99);
  private readonly subscription: vscode.Disposable;
  /** The last result, for tests and exports (offsets in the document). */
  last?: { uri: string; base: number; result: SurprisalResult };

  constructor(
    private readonly services: Services,
    private readonly annotations: Annotations,
  ) {
    this.item.name = 'BERT Lens surprisal';
    this.item.command = 'bertLens.surprisal.clear';
    this.subscription = annotations.onDidChange((kind) => {
      if (kind === 'surprisal' && !annotations.get('surprisal')) this.item.hide();
    });
  }

  async show(): Promise<void> {
    const editor = activeEditor();
    const { text, base } = selectionOrDocument(editor, 20_000);
    const model = surprisalModel(this.services);
    const summary = await this.services.ensureModel(model);
    const wholeWord = vscode.workspace.getConfiguration('bertLens').get<boolean>('surprisal.wholeWord', false);
    const spec = this.services.spec(model);
    const what = summary.head === 'causal-lm' ? 'surprisal' : 'pseudo-likelihood';
    const result = await withDelayedProgress(
      vscode.l10n.t('BERT Lens: {0} of {1} characters…', what, text.length.toLocaleString()),
      (token) =>
        this.services.timed(what, () =>
          this.services.client.surprisal(spec, { text, wholeWord }, { signal: toAbortSignal(token) }),
        ),
    );
    const plan = planSurprisal(result, base);
    this.annotations.set('surprisal', editor.document, new Map([...plan].map(([k, v]) => [k, v])));
    this.last = { uri: editor.document.uri.toString(), base, result };
    const status = surprisalStatus(result);
    this.item.text = `$(graph-line) ${status.text}`; // l10n: numbers and an icon; the words come from core/surprisalPlan
    this.item.tooltip = vscode.l10n.t('{0}. Click to clear.', status.tooltip);
    this.item.show();
    this.services.log.info(`surprisal (${result.method}, ${summary.id}): ${status.tooltip}`);
  }

  clear(): void {
    this.annotations.clear('surprisal');
    this.item.hide();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
