import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSpec, ModelSummary } from '../engine/api';
import { EngineClient } from '../engine/client';
import { downloadProgressReporter, toAbortSignal } from './adapters';
import { PreparingSessions } from './core/preparing';
import type { ExtensionLogger } from './log';
import {
  HF_TOKEN_SECRET,
  isEmbedded,
  modelLabel,
  readSettings,
  toModelSpec,
  withDownloadSettings,
  type Settings,
} from './settings';
import type { ModelStatusBar } from './statusBar';

/** What every feature (commands, hover, panels, the trainer) shares. Created once in activate(); creating it
 *  loads nothing — the worker and the model start on the first use. */
export interface Services {
  readonly context: vscode.ExtensionContext;
  /** The worker client: every engine call goes through it. */
  readonly client: EngineClient;
  readonly log: ExtensionLogger;
  readonly statusBar: ModelStatusBar;
  settings(): Settings;
  /** The ModelSpec for the configured model, or for `model` (as written in settings: '' = embedded). */
  spec(model?: string): ModelSpec;
  /** Loads (once per spec) and describes the model; hub downloads show a cancellable notification. */
  ensureModel(model?: string, token?: vscode.CancellationToken): Promise<ModelSummary>;
  /** The summary of the configured model (or `model`) if it has finished loading; never starts a load. */
  loadedSummary(model?: string): ModelSummary | undefined;
  /** Times an engine call, shows its latency in the status bar and logs it. */
  timed<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

export function createServices(
  context: vscode.ExtensionContext,
  log: ExtensionLogger,
  statusBar: ModelStatusBar,
): Services {
  const client = new EngineClient({
    workerPath: path.join(context.extensionPath, 'dist', 'engineWorker.js'),
    logger: log,
  });
  const summaries = new Map<string, Promise<ModelSummary>>();
  const loaded = new Map<string, ModelSummary>();
  let hfToken: string | undefined;
  const readToken = () =>
    void Promise.resolve(context.secrets.get(HF_TOKEN_SECRET)).then(
      (t) => (hfToken = t || undefined),
      () => undefined,
    );
  readToken();
  context.subscriptions.push(context.secrets.onDidChange((e) => e.key === HF_TOKEN_SECRET && readToken()));

  // Sessions opened on first use (saliency's backward graph …) take seconds at BERT-base scale: say so.
  const preparing = new PreparingSessions();
  const stopPreparing = client.onPreparing((p) => {
    statusBar.setPreparing(preparing.update(p));
    log.info(`${p.model}: ${p.state === 'opening' ? 'preparing' : p.state} ${p.preparing}`);
  });
  context.subscriptions.push({ dispose: stopPreparing });

  const services: Services = {
    context,
    client,
    log,
    statusBar,
    settings: readSettings,
    spec: (model) => withDownloadSettings(toModelSpec(readSettings(), context.extensionPath, model), hfToken),
    async ensureModel(model, token) {
      const name = model ?? readSettings().model;
      const spec = services.spec(name);
      const key = JSON.stringify(spec);
      let pending = summaries.get(key);
      if (!pending) {
        pending = loadWithProgress(services, name, spec, token);
        summaries.set(key, pending);
        const mine = pending;
        pending.then(
          (summary) => summaries.get(key) === mine && loaded.set(key, summary),
          () => summaries.delete(key),
        );
      }
      const summary = await pending;
      if (name === readSettings().model) {
        statusBar.setModel(modelLabel(name), summary.provider, summary.fallbackReason);
        // Context keys for `when` clauses: hide commands the loaded model cannot run.
        void vscode.commands.executeCommand('setContext', 'bertLens.modelHead', summary.head);
        void vscode.commands.executeCommand('setContext', 'bertLens.hasLabels', !!summary.labels?.length);
      }
      return summary;
    },
    loadedSummary(model) {
      return loaded.get(JSON.stringify(services.spec(model ?? readSettings().model)));
    },
    async timed(what, fn) {
      const t0 = performance.now();
      statusBar.setBusy(true);
      try {
        const r = await fn();
        const ms = performance.now() - t0;
        statusBar.setLatency(what, ms);
        log.info(`${what}: ${ms.toFixed(0)} ms`);
        return r;
      } finally {
        statusBar.setBusy(false);
      }
    },
  };

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (
        !e.affectsConfiguration('bertLens') &&
        !e.affectsConfiguration('http.proxy') &&
        !e.affectsConfiguration('http.proxyStrictSSL')
      )
        return;
      summaries.clear();
      loaded.clear();
      // The next model is unknown until it loads: show every command again (a stale head would hide the very
      // command that loads the newly chosen model).
      void vscode.commands.executeCommand('setContext', 'bertLens.modelHead', undefined);
      void vscode.commands.executeCommand('setContext', 'bertLens.hasLabels', undefined);
      const now = readSettings();
      log.info(
        `settings changed: model=${now.model || 'embedded'} provider=${now.executionProvider} variant=${now.variant} offline=${now.offline}`,
      );
      statusBar.setModel(modelLabel(now.model));
      // The head of the newly chosen model is unknown until it loads: show every command meanwhile (a saved
      // fine-tuned classifier must offer Classify Selection even though a masked-LM model was loaded before).
      if (e.affectsConfiguration('bertLens.model')) {
        void vscode.commands.executeCommand('setContext', 'bertLens.modelHead', undefined);
        void vscode.commands.executeCommand('setContext', 'bertLens.hasLabels', undefined);
      }
      if (e.affectsConfiguration('bertLens.executionProvider') || e.affectsConfiguration('bertLens.variant')) {
        client.unloadAll().catch((err) => log.warn(`unloadAll: ${String(err)}`));
      }
    }),
    // Restricted Mode ignored the workspace's bertLens.model / cacheDir; once the user trusts the folder they
    // apply: forget what was loaded under the user settings and show the now configured model.
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      summaries.clear();
      loaded.clear();
      const now = readSettings();
      log.info(`workspace trusted: model=${now.model || 'embedded'}`);
      statusBar.setModel(modelLabel(now.model));
    }),
    { dispose: () => void client.dispose() },
  );
  statusBar.setModel(modelLabel(readSettings().model));
  return services;
}

/** True when loading `model` needs no download (embedded, or a local folder). Passive features (hover, code
 *  actions) load only such models by themselves; a hub model must have been loaded by a command first. */
export function isLocal(model: string): boolean {
  return (
    isEmbedded(model) ||
    path.isAbsolute(model) ||
    model.startsWith('.') ||
    model.startsWith('~') ||
    fs.existsSync(model)
  );
}

async function loadWithProgress(
  services: Services,
  name: string,
  spec: ModelSpec,
  outer?: vscode.CancellationToken,
): Promise<ModelSummary> {
  const label = modelLabel(name);
  const t0 = performance.now();
  const load = (
    token?: vscode.CancellationToken,
    progress?: vscode.Progress<{ message?: string; increment?: number }>,
  ) => {
    const signal = toAbortSignal(token ?? outer);
    return services.client.loadModel(spec, {
      signal,
      onProgress: progress ? downloadProgressReporter(progress) : undefined,
    });
  };
  const summary = isLocal(name)
    ? await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('BERT Lens: loading {0}', label) },
        () => load(),
      )
    : await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('BERT Lens: loading {0}', label),
          cancellable: true,
        },
        (progress, token) => load(token, progress),
      );
  services.log.info(
    `model loaded: ${summary.id} (${summary.head}, ${summary.numLayers}×${summary.numHeads}, ${summary.variant}) on ${summary.provider}` +
      `${summary.fallbackReason ? ` — fallback: ${summary.fallbackReason}` : ''} in ${(performance.now() - t0).toFixed(0)} ms`,
  );
  return summary;
}
