import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import {
  atExport,
  atExportFailed,
  atReady,
  atState,
  attentionViewType,
  type AttentionState,
} from '../../webviews/protocol/attention';
import { reportError, userError } from '../errors';
import type { Services } from '../services';
import { modelLabel } from '../settings';
import { saveExport } from './saveExport';
import { webviewHtml, webviewOptions } from './webviewHtml';

/** The attention panel: layers × heads grid, one head in detail (matrix and lines), head mean and rollout, exports. */
export class AttentionPanel {
  static current: AttentionPanel | undefined;
  private state: AttentionState;
  private ready = false;
  private controller: AbortController | undefined;

  static createOrShow(services: Services, text: string): AttentionPanel {
    if (AttentionPanel.current) AttentionPanel.current.panel.reveal(vscode.ViewColumn.Beside);
    else {
      const panel = vscode.window.createWebviewPanel(
        attentionViewType,
        vscode.l10n.t('BERT Lens: Attention'),
        vscode.ViewColumn.Beside,
        webviewOptions(services.context.extensionUri),
      );
      AttentionPanel.current = new AttentionPanel(panel, services);
    }
    void AttentionPanel.current.compute(text, services.settings().model);
    return AttentionPanel.current;
  }

  static revive(panel: vscode.WebviewPanel, services: Services, saved: unknown): void {
    AttentionPanel.current?.panel.dispose();
    const p = new AttentionPanel(panel, services);
    AttentionPanel.current = p;
    const s = saved as Partial<AttentionState> | undefined;
    // The saved state holds only text and model; the numbers are recomputed (cheap, and never stale).
    if (s && typeof s.text === 'string' && s.text)
      void p.compute(s.text, typeof s.model === 'string' ? s.model : services.settings().model);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly services: Services,
  ) {
    this.state = { text: '', model: '', modelLabel: '' };
    panel.webview.options = webviewOptions(services.context.extensionUri);
    panel.webview.html = webviewHtml(
      panel.webview,
      services.context.extensionUri,
      'attention',
      vscode.l10n.t('Attention'),
    );
    panel.onDidDispose(() => {
      this.controller?.abort();
      if (AttentionPanel.current === this) AttentionPanel.current = undefined;
    });
    panel.webview.onDidReceiveMessage((msg: unknown) => void this.onMessage(msg));
  }

  private async onMessage(msg: unknown): Promise<void> {
    if (atReady.is(msg)) {
      this.ready = true;
      this.post();
    } else if (atExport.is(msg)) {
      await this.export(msg.params.format, msg.params.data, msg.params.name).catch((err) =>
        reportError(this.services.log, err, 'export'),
      );
    } else if (atExportFailed.is(msg)) {
      reportError(
        this.services.log,
        userError('export-failed', vscode.l10n.t('Export failed: {0}', msg.params.reason)),
        'export',
      );
    }
  }

  private post(): void {
    if (this.ready) void this.panel.webview.postMessage(atState.create(this.state));
  }

  async compute(text: string, model: string): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.state = { text, model, modelLabel: modelLabel(model), busy: true };
    this.post();
    try {
      const summary = await this.services.ensureModel(model);
      if (!summary.attentionAvailable) {
        throw userError(
          'attention-unavailable',
          vscode.l10n.t('{0} fuses its attention, so the probabilities cannot be read.', summary.id),
          vscode.l10n.t('Select an export without fused attention (model.onnx or model_quantized.onnx).'),
        );
      }
      // Flat float32 tensors from the worker (transferred), posted to the webview as typed arrays.
      const tensors = await this.services.timed('attention', () =>
        this.services.client.attentionTensors(this.services.spec(model), { text }, { signal: controller.signal }),
      );
      this.services.log.info(`attention: ${tensors.layers} layers × ${tensors.heads} heads, ${tensors.n} tokens`);
      this.state = { text, model, modelLabel: modelLabel(model), tensors };
    } catch (err) {
      if (err instanceof EngineError && err.code === 'cancelled') return;
      this.state = {
        text,
        model,
        modelLabel: modelLabel(model),
        error: err instanceof Error ? err.message : String(err),
      };
      reportError(this.services.log, err, 'attention');
    }
    this.post();
  }

  private async export(format: 'svg' | 'png' | 'json', data: string, name: string): Promise<void> {
    if (!this.state.result && !this.state.tensors)
      throw userError(
        'no-attention',
        vscode.l10n.t('There is no attention to export yet.'),
        vscode.l10n.t('Run Show Attention on some text first.'),
      );
    await saveExport(this.services, 'attention', name, [format], () =>
      format === 'png' ? Buffer.from(data.replace(/^data:image\/png;base64,/, ''), 'base64') : data,
    );
  }
}
