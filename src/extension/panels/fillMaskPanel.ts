import * as vscode from 'vscode';
import { logUserText } from '../core/userTextLog';
import type { Offset, SaliencyResult } from '../../engine/api';
import { EngineError } from '../../engine/errors';
import {
  fillMaskViewType,
  fmAddModel,
  fmDirections,
  fmExplain,
  fmExport,
  fmReady,
  fmRemoveModel,
  fmSetSaliencyMethod,
  fmSetText,
  fmSetTopK,
  fmState,
  fmToggleMask,
  MAX_MODELS,
  toggleMask,
  type FillMaskState,
  type ModelColumn,
} from '../../webviews/protocol/fillMask';
import { fillMaskCsv, fillMaskExport } from '../core/exportData';
import { locatePanelText, planSaliencyDecorations } from '../core/saliencyPlan';
import type { Annotations } from '../decorations/annotations';
import { reportError, userError } from '../errors';
import type { Services } from '../services';
import { modelLabel } from '../settings';
import { computeDirections } from './fillMaskDirections';
import { saveExport } from './saveExport';
import { webviewHtml, webviewOptions } from './webviewHtml';

const DEFAULT_TEXT = 'python is a programming language.';

/** The Fill-Mask panel: the text as clickable tokens, bars per mask, up to three models side by side. */
export class FillMaskPanel {
  static current: FillMaskPanel | undefined;
  private state: FillMaskState;
  private ready = false;
  private run = 0;
  private controller: AbortController | undefined;
  /** The editor the text came from (document URI, offset of the text in it), and the editor's decorations:
   *  a Why? then also shades the editor, as Explain Prediction does. */
  private source: { uri: string; base: number } | undefined;
  private annotations: Annotations | undefined;

  static createOrShow(
    services: Services,
    text?: string,
    masks?: Offset[],
    source?: { uri: string; base: number; annotations: Annotations },
  ): FillMaskPanel {
    if (FillMaskPanel.current) {
      FillMaskPanel.current.panel.reveal(vscode.ViewColumn.Beside);
    } else {
      const panel = vscode.window.createWebviewPanel(
        fillMaskViewType,
        vscode.l10n.t('BERT Lens: Fill-Mask'),
        vscode.ViewColumn.Beside,
        webviewOptions(services.context.extensionUri),
      );
      FillMaskPanel.current = new FillMaskPanel(panel, services);
    }
    const p = FillMaskPanel.current;
    if (source) p.annotations = source.annotations;
    if (text !== undefined) {
      p.source = source && { uri: source.uri, base: source.base };
      p.showText(text, masks ?? []);
    }
    return FillMaskPanel.current;
  }

  static revive(panel: vscode.WebviewPanel, services: Services, saved: unknown): void {
    FillMaskPanel.current?.panel.dispose();
    const p = new FillMaskPanel(panel, services);
    const s = saved as Partial<FillMaskState> | undefined;
    if (s && typeof s.text === 'string') {
      p.state.text = s.text;
      p.state.masks = Array.isArray(s.masks) ? s.masks : [];
      if (Array.isArray(s.models) && s.models.length)
        p.state.models = s.models
          .slice(0, MAX_MODELS)
          .map((m) => ({ model: String(m.model ?? ''), label: modelLabel(String(m.model ?? '')) }));
    }
    FillMaskPanel.current = p;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly services: Services,
  ) {
    const model = services.settings().model;
    this.state = {
      text: DEFAULT_TEXT,
      masks: [[DEFAULT_TEXT.indexOf('language'), DEFAULT_TEXT.indexOf('language') + 8]],
      models: [{ model, label: modelLabel(model) }],
      topK: 5,
      choices: [],
    };
    panel.webview.options = webviewOptions(services.context.extensionUri);
    panel.webview.html = webviewHtml(
      panel.webview,
      services.context.extensionUri,
      'fillMask',
      vscode.l10n.t('Fill-Mask'),
    );
    panel.onDidDispose(() => {
      this.controller?.abort();
      if (FillMaskPanel.current === this) FillMaskPanel.current = undefined;
    });
    panel.webview.onDidReceiveMessage((msg: unknown) => this.onMessage(msg));
  }

  showText(text: string, masks: Offset[]): void {
    this.state.text = text;
    this.state.masks = masks;
    void this.refresh();
  }

  private onMessage(msg: unknown): void {
    if (fmReady.is(msg)) {
      this.ready = true;
      void this.loadChoices();
      void this.refresh();
    } else if (fmSetText.is(msg)) {
      if (msg.params.text !== this.state.text) this.source = undefined; // typed in the panel: no editor text any more
      this.state.text = msg.params.text;
      this.state.masks = [];
      void this.refresh();
    } else if (fmToggleMask.is(msg)) {
      const [s, e] = msg.params.span;
      if (e <= this.state.text.length) this.state.masks = toggleMask(this.state.masks, [s, e]);
      void this.refresh();
    } else if (fmAddModel.is(msg)) {
      const model = msg.params.model.trim();
      if (this.state.models.length < MAX_MODELS && !this.state.models.some((m) => m.model === model)) {
        this.state.models.push({ model, label: modelLabel(model) });
      }
      void this.refresh();
    } else if (fmRemoveModel.is(msg)) {
      if (this.state.models.length > 1) this.state.models.splice(msg.params.index, 1);
      void this.refresh();
    } else if (fmDirections.is(msg)) {
      this.state.directions = { enabled: msg.params.enabled };
      void this.refresh();
    } else if (fmSetTopK.is(msg)) {
      this.state.topK = msg.params.topK;
      void this.refresh();
    } else if (fmExplain.is(msg)) {
      void this.explain(msg.params.column, msg.params.mask).catch((err) =>
        reportError(this.services.log, err, 'fill-mask explain'),
      );
    } else if (fmSetSaliencyMethod.is(msg)) {
      this.state.saliencyMethod = msg.params.method;
      const explained = this.state.models
        .map((c, i) => (c.saliency ? [i, c.saliency.mask] : undefined))
        .filter((x): x is number[] => !!x);
      for (const [column, mask] of explained)
        void this.explain(column, mask).catch((err) => reportError(this.services.log, err, 'fill-mask explain'));
      this.post();
    } else if (fmExport.is(msg)) {
      void this.export(msg.params.format).catch((err) => reportError(this.services.log, err, 'fill-mask export'));
    } else {
      this.services.log.warn(`fill-mask panel: ignored message ${JSON.stringify(msg).slice(0, 200)}`);
    }
  }

  /** Explain Prediction for one mask of one column: its token chips get saliency shading (fp32 graph, in the
   *  worker; a newer refresh drops it). */
  private async explain(column: number, mask: number): Promise<void> {
    const col = this.state.models[column];
    const m = col?.result?.masks[mask];
    if (!col || !m) return;
    const run = this.run;
    const method = this.state.saliencyMethod ?? 'grad-input';
    const r = await this.services.client.saliency(
      this.services.spec(col.model),
      { text: this.state.text, spans: this.state.masks, position: m.position, method },
      { signal: this.controller?.signal },
    );
    if (run !== this.run || this.state.models[column] !== col) return;
    // Scores per chip of the column's tokenization (the same text; a long text's window covers part of it).
    const t = col.tokenization;
    const byOffset = new Map(r.offsets.map((o, i) => [`${o[0]}:${o[1]}`, r.scores[i]]));
    const scores =
      t && t.tokens.length === r.tokens.length
        ? r.scores
        : (t?.offsets ?? []).map((o, i) => (t!.specialTokensMask[i] ? 0 : (byOffset.get(`${o[0]}:${o[1]}`) ?? 0)));
    col.saliency = {
      mask,
      method,
      token: 'token' in r.target ? r.target.token : r.target.label,
      logprob: r.logprob,
      scores,
    };
    logUserText(
      this.services.log,
      `fill-mask panel saliency: ${JSON.stringify({ column, mask, method, token: col.saliency.token, scores })}`,
      `fill-mask panel saliency: column ${column}, mask ${mask}, ${method}, ${scores.length} scores`,
    );
    this.post();
    this.shadeEditor(r);
  }

  /** The same shading as Explain Prediction in the editor the text came from, when it still holds that text. */
  private shadeEditor(r: SaliencyResult): void {
    if (!this.source || !this.annotations) return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === this.source!.uri);
    const base = doc && locatePanelText(doc.getText(), this.state.text, this.source.base);
    if (!doc || base === undefined) {
      this.services.log.info(
        'fill-mask panel saliency: the editor no longer holds the panel text; only the chips are shaded',
      );
      return;
    }
    this.source.base = base;
    this.annotations.set('saliency', doc, planSaliencyDecorations(r, base));
    logUserText(
      this.services.log,
      `saliency-result: ${JSON.stringify({ method: r.method, target: r.target, logprob: r.logprob, tokens: r.tokens, scores: r.scores, offsets: r.offsets.map(([s, e]) => [s + base, e + base]), from: 'fill-mask panel' })}`,
      `saliency (fill-mask panel): ${r.method}, ${r.scores.length} tokens shaded`,
    );
  }

  private post(): void {
    if (this.ready) void this.panel.webview.postMessage(fmState.create(this.state));
  }

  /** The panel's data as shown (masks, whole-word candidates and per-piece predictions per model column). */
  private async export(format: 'json' | 'csv'): Promise<void> {
    if (this.state.models.some((m) => m.busy))
      throw userError(
        'busy',
        vscode.l10n.t('The panel is still computing.'),
        vscode.l10n.t('Export again when the predictions are shown.'),
      );
    const data = fillMaskExport(this.state);
    await saveExport(this.services, 'fill-mask', 'fill-mask', [format], () =>
      format === 'json' ? JSON.stringify(data, null, 2) + '\n' : fillMaskCsv(data),
    );
  }

  private async loadChoices(): Promise<void> {
    const choices = [{ model: '', label: modelLabel('') }];
    try {
      const listing = await this.services.client.listModels(this.services.spec());
      for (const m of listing.models)
        if (m.source !== 'embedded') choices.push({ model: m.source === 'cache' ? m.id : m.path, label: m.id });
    } catch (err) {
      this.services.log.warn(`fill-mask panel: listModels failed: ${String(err)}`);
    }
    this.state.choices = choices;
    this.post();
  }

  /** Re-runs every column on the current text and masks; a newer run cancels the older one. */
  private async refresh(): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const run = ++this.run;
    const { text, masks, topK } = this.state;
    this.state.models = this.state.models.map((c) => ({ model: c.model, label: c.label, busy: true }));
    this.post();
    await Promise.all([
      ...this.state.models.map(async (col, i) => {
        const next: ModelColumn = { model: col.model, label: col.label };
        const t0 = performance.now();
        try {
          const spec = this.services.spec(col.model);
          await this.services.ensureModel(col.model);
          next.tokenization = await this.services.client.tokenize(spec, { text }, { signal: controller.signal });
          if (masks.length)
            next.result = await this.services.client.fillMask(
              spec,
              { text, topK, spans: masks },
              { signal: controller.signal },
            );
          next.millis = performance.now() - t0;
        } catch (err) {
          if (err instanceof EngineError && err.code === 'cancelled') return;
          next.error = err instanceof EngineError ? `${err.message}${err.hint ? ` ${err.hint}` : ''}` : String(err);
          this.services.log.warn(`fill-mask panel (${col.label}): ${next.error}`);
        }
        if (run !== this.run) return;
        this.state.models[i] = next;
        this.post();
      }),
      this.state.directions?.enabled ? this.refreshDirections(run, controller.signal) : undefined,
    ]);
  }

  private async refreshDirections(run: number, signal: AbortSignal): Promise<void> {
    this.state.directions = { enabled: true, busy: true };
    this.post();
    try {
      const view = await computeDirections(this.services, this.state, signal);
      if (run !== this.run) return;
      this.state.directions = view;
      this.post();
    } catch {
      /* cancelled by a newer run */
    }
  }
}
