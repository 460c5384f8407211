import * as vscode from 'vscode';

/** The active model and its provider in short; fallback and the last call's latency in the tooltip. A click
 *  opens Select Model. */
export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('bertLens.status', vscode.StatusBarAlignment.Right, 100);
  private model = '';
  private provider = '';
  private latency = '';
  private fallback = '';
  private preparing: string | undefined;

  constructor() {
    this.item.name = 'BERT Lens';
    this.item.command = 'bertLens.model.select';
    this.render();
    this.item.show();
  }

  setModel(label: string, provider?: string, fallbackReason?: string): void {
    this.model = label;
    this.provider = provider ?? '';
    this.fallback = fallbackReason ?? '';
    this.render();
  }

  setLatency(what: string, ms: number): void {
    this.latency = `${what} ${Math.round(ms)} ms`;
    this.render();
  }

  setBusy(busy: boolean): void {
    this.item.text = this.preparing ? this.preparingText(this.preparing) : busy ? `$(sync~spin) BERT: ${this.model}` : this.text();
  }

  /** While the engine opens a session on first use ("saliency"): says so until `undefined` comes. */
  setPreparing(what: string | undefined): void {
    this.preparing = what;
    this.item.text = what ? this.preparingText(what) : this.text();
  }

  private preparingText(what: string): string {
    return `$(sync~spin) ${vscode.l10n.t('BERT Lens: preparing {0}…', what)}`;
  }

  private text(): string {
    return `$(symbol-misc) BERT: ${this.model}${this.provider ? ` · ${this.provider}` : ''}`;
  }

  private render(): void {
    this.item.text = this.text();
    const tip = new vscode.MarkdownString(
      `**BERT Lens**\n\nModel: ${this.model}\n\nProvider: ${this.provider || 'not loaded yet'}` +
        (this.fallback ? `\n\nFallback: ${this.fallback}` : '') +
        (this.latency ? `\n\nLast call: ${this.latency}` : '') +
        '\n\nClick to select a model.',
    );
    this.item.tooltip = tip;
  }

  dispose(): void {
    this.item.dispose();
  }
}
