import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import {
  ieReady,
  ieState,
  inputEmbeddingsViewType,
  maskPreviewViewType,
  mpReady,
  mpResample,
  mpState,
  type InputEmbeddingsState,
  type MaskPreviewState,
} from '../../webviews/protocol/walk';
import { reportError } from '../errors';
import type { Services } from '../services';
import { modelLabel } from '../settings';
import { webviewHtml, webviewOptions } from './webviewHtml';

function iconPath(services: Services): vscode.Uri {
  return vscode.Uri.joinPath(services.context.extensionUri, 'media', 'bert-lens.svg');
}

/** The masking preview: BERT's pre-training corruption of a text and the predictions; Resample draws again. */
export class MaskPreviewPanel {
  static current: MaskPreviewPanel | undefined;
  private state: MaskPreviewState = { text: '', seed: 0, modelLabel: '' };
  private ready = false;
  private controller: AbortController | undefined;

  static createOrShow(services: Services, text: string, seed = 0): MaskPreviewPanel {
    if (MaskPreviewPanel.current) MaskPreviewPanel.current.panel.reveal(vscode.ViewColumn.Beside);
    else {
      const panel = vscode.window.createWebviewPanel(
        maskPreviewViewType,
        vscode.l10n.t('BERT Lens: Masking Preview'),
        vscode.ViewColumn.Beside,
        webviewOptions(services.context.extensionUri),
      );
      MaskPreviewPanel.current = new MaskPreviewPanel(panel, services);
    }
    void MaskPreviewPanel.current.compute(text, seed);
    return MaskPreviewPanel.current;
  }

  static revive(panel: vscode.WebviewPanel, services: Services, saved: unknown): void {
    MaskPreviewPanel.current?.panel.dispose();
    const p = new MaskPreviewPanel(panel, services);
    MaskPreviewPanel.current = p;
    const s = saved as Partial<MaskPreviewState> | undefined;
    if (s && typeof s.text === 'string' && s.text)
      void p.compute(s.text, Number.isInteger(s.seed) ? Number(s.seed) : 0);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly services: Services,
  ) {
    panel.iconPath = iconPath(services);
    panel.webview.options = webviewOptions(services.context.extensionUri);
    panel.webview.html = webviewHtml(
      panel.webview,
      services.context.extensionUri,
      'maskPreview',
      vscode.l10n.t('Masking Preview'),
    );
    panel.onDidDispose(() => {
      this.controller?.abort();
      if (MaskPreviewPanel.current === this) MaskPreviewPanel.current = undefined;
    });
    panel.webview.onDidReceiveMessage((msg: unknown) => {
      if (mpReady.is(msg)) {
        this.ready = true;
        this.post();
      } else if (mpResample.is(msg)) {
        void this.compute(this.state.text, msg.params.seed ?? this.state.seed + 1);
      }
    });
  }

  /** The state as shown (for tests through the extension's API). */
  get shown(): MaskPreviewState {
    return this.state;
  }

  private post(): void {
    if (this.ready) void this.panel.webview.postMessage(mpState.create(this.state));
  }

  async compute(text: string, seed: number): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const model = this.services.settings().model;
    const label = modelLabel(model);
    this.state = { text, seed, modelLabel: label, busy: true };
    this.post();
    try {
      await this.services.ensureModel(model);
      const result = await this.services.timed('mask preview', () =>
        this.services.client.maskPreview(this.services.spec(model), { text, seed }, { signal: controller.signal }),
      );
      this.state = { text, seed, modelLabel: label, result };
      void vscode.commands.executeCommand('setContext', 'bertLens.walkthrough.maskPreviewShown', true);
    } catch (err) {
      if (err instanceof EngineError && err.code === 'cancelled') return;
      this.state = { text, seed, modelLabel: label, error: err instanceof Error ? err.message : String(err) };
      reportError(this.services.log, err, 'mask preview');
    }
    this.post();
  }
}

/** Input embeddings: token + position + segment per token, the segment flip, position similarity. */
export class InputEmbeddingsPanel {
  static current: InputEmbeddingsPanel | undefined;
  private state: InputEmbeddingsState = { text: '', modelLabel: '' };
  private ready = false;
  private controller: AbortController | undefined;

  static createOrShow(services: Services, text: string, pair?: string): InputEmbeddingsPanel {
    if (InputEmbeddingsPanel.current) InputEmbeddingsPanel.current.panel.reveal(vscode.ViewColumn.Beside);
    else {
      const panel = vscode.window.createWebviewPanel(
        inputEmbeddingsViewType,
        vscode.l10n.t('BERT Lens: Input Embeddings'),
        vscode.ViewColumn.Beside,
        webviewOptions(services.context.extensionUri),
      );
      InputEmbeddingsPanel.current = new InputEmbeddingsPanel(panel, services);
    }
    void InputEmbeddingsPanel.current.compute(text, pair);
    return InputEmbeddingsPanel.current;
  }

  static revive(panel: vscode.WebviewPanel, services: Services, saved: unknown): void {
    InputEmbeddingsPanel.current?.panel.dispose();
    const p = new InputEmbeddingsPanel(panel, services);
    InputEmbeddingsPanel.current = p;
    const s = saved as Partial<InputEmbeddingsState> | undefined;
    if (s && typeof s.text === 'string' && s.text)
      void p.compute(s.text, typeof s.pair === 'string' ? s.pair : undefined);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly services: Services,
  ) {
    panel.iconPath = iconPath(services);
    panel.webview.options = webviewOptions(services.context.extensionUri);
    panel.webview.html = webviewHtml(
      panel.webview,
      services.context.extensionUri,
      'inputEmbeddings',
      vscode.l10n.t('Input Embeddings'),
    );
    panel.onDidDispose(() => {
      this.controller?.abort();
      if (InputEmbeddingsPanel.current === this) InputEmbeddingsPanel.current = undefined;
    });
    panel.webview.onDidReceiveMessage((msg: unknown) => {
      if (ieReady.is(msg)) {
        this.ready = true;
        this.post();
      }
    });
  }

  get shown(): InputEmbeddingsState {
    return this.state;
  }

  private post(): void {
    if (this.ready) void this.panel.webview.postMessage(ieState.create(this.state));
  }

  async compute(text: string, pair?: string): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const model = this.services.settings().model;
    const label = modelLabel(model);
    this.state = { text, pair, modelLabel: label, busy: true };
    this.post();
    try {
      await this.services.ensureModel(model);
      const result = await this.services.timed('input embeddings', () =>
        this.services.client.inputEmbeddings(this.services.spec(model), { text, pair }, { signal: controller.signal }),
      );
      this.state = { text, pair, modelLabel: label, result };
      void vscode.commands.executeCommand('setContext', 'bertLens.walkthrough.inputEmbeddingsShown', true);
    } catch (err) {
      if (err instanceof EngineError && err.code === 'cancelled') return;
      this.state = { text, pair, modelLabel: label, error: err instanceof Error ? err.message : String(err) };
      reportError(this.services.log, err, 'input embeddings');
    }
    this.post();
  }
}
