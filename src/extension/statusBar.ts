import * as vscode from 'vscode';
import { SECTION, readSettings } from './settings';

/** The documents the item shows for: the hover languages (every language when the comment hover is on). A
 *  language id matches any scheme, so notebook cells (`vscode-notebook-cell`) of those languages are included. */
export function statusSelector(languages: string[]): vscode.DocumentSelector {
  return languages.includes('comments') ? '*' : languages.filter((l) => l !== 'comments');
}

/** The active model as a language status item ({ } in the status bar, pinnable), shown only for the hover
 *  languages: short text (the model), provider, fallback and the last call's latency in the detail, and a link
 *  that opens Select Model. `busy` spins while the engine works; `busy(text)` names what it is doing. */
export class ModelStatusBar implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private readonly subscription: vscode.Disposable;
  private model = '';
  private provider = '';
  private latency = '';
  private fallback = '';
  /** What the engine is doing now, most recent last (nested calls stack). */
  private readonly busyTexts: string[] = [];
  private preparing: vscode.Disposable | undefined;

  constructor() {
    this.item = vscode.languages.createLanguageStatusItem(
      'bertLens.status',
      statusSelector(readSettings().hoverLanguages),
    );
    this.item.name = 'BERT Lens';
    this.item.command = {
      title: vscode.l10n.t('Select Model'),
      command: 'bertLens.model.select',
      tooltip: vscode.l10n.t('Choose the model BERT Lens uses'),
    };
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.hover.languages`))
        this.item.selector = statusSelector(readSettings().hoverLanguages);
    });
    this.render();
  }

  setModel(label: string, provider?: string, fallbackReason?: string): void {
    this.model = label;
    this.provider = provider ?? '';
    this.fallback = fallbackReason ?? '';
    this.render();
  }

  setLatency(what: string, ms: number): void {
    this.latency = vscode.l10n.t('{0} {1} ms', what, Math.round(ms));
    this.render();
  }

  /** `true` or a text ("preparing attention…") marks the item busy until `setBusy(false)`; a text is shown in
   *  the detail meanwhile. For overlapping work prefer `busy(text)`. */
  setBusy(state: boolean | string): void {
    if (state === false) this.busyTexts.pop();
    else this.busyTexts.push(state === true ? '' : state);
    this.render();
  }

  /** While the engine opens a session on first use ("saliency"): busy, saying so, until `undefined` comes. */
  setPreparing(what: string | undefined): void {
    this.preparing?.dispose();
    this.preparing = what ? this.busy(vscode.l10n.t('BERT Lens: preparing {0}…', what)) : undefined;
  }

  /** Busy with `text` until the returned disposable is disposed (any order, any number at once). */
  busy(text: string): vscode.Disposable {
    this.busyTexts.push(text);
    this.render();
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        const i = this.busyTexts.lastIndexOf(text);
        if (i >= 0) this.busyTexts.splice(i, 1);
        this.render();
      },
    };
  }

  /** What the item shows now (for tests and the log). */
  get state(): { text: string; detail: string; busy: boolean } {
    return { text: this.item.text, detail: this.item.detail ?? '', busy: this.item.busy };
  }

  private render(): void {
    this.item.text = vscode.l10n.t('BERT: {0}', this.model);
    const doing = [...this.busyTexts].reverse().find((t) => t);
    const parts = [
      doing ?? (this.provider ? this.provider : vscode.l10n.t('not loaded yet')),
      this.fallback ? vscode.l10n.t('fallback: {0}', this.fallback) : '',
      this.latency ? vscode.l10n.t('last call: {0}', this.latency) : '',
    ].filter(Boolean);
    this.item.detail = parts.join(' · ');
    this.item.busy = this.busyTexts.length > 0;
    this.item.accessibilityInformation = {
      label: vscode.l10n.t('BERT Lens model {0}, {1}', this.model, this.item.detail),
    };
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
