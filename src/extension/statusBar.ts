import * as vscode from 'vscode';

/** Active model, execution provider and the last call's latency; a click opens Select Model. */
export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('bertLens.status', vscode.StatusBarAlignment.Right, 100);
  private model = '';
  private provider = '';
  private latency = '';

  constructor() {
    this.item.name = 'BERT Lens';
    this.item.command = 'bertLens.model.select';
    this.render();
    this.item.show();
  }

  setModel(label: string, provider?: string, fallbackReason?: string): void {
    this.model = label;
    this.provider = provider ?? '';
    this.item.tooltip = new vscode.MarkdownString(
      `**BERT Lens**\n\nModel: ${label}\n\nProvider: ${provider ?? 'not loaded yet'}` +
        (fallbackReason ? `\n\nFallback: ${fallbackReason}` : '') +
        '\n\nClick to select a model.',
    );
    this.render();
  }

  setLatency(what: string, ms: number): void {
    this.latency = `${what} ${Math.round(ms)} ms`;
    this.render();
  }

  setBusy(busy: boolean): void {
    this.item.text = busy ? `$(sync~spin) BERT: ${this.model}` : this.text();
  }

  private text(): string {
    return `$(symbol-misc) BERT: ${this.model}${this.provider ? ` · ${this.provider}` : ''}${this.latency ? ` · ${this.latency}` : ''}`;
  }

  private render(): void {
    this.item.text = this.text();
  }

  dispose(): void {
    this.item.dispose();
  }
}
