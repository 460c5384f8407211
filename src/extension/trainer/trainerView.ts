import * as path from 'node:path';
import * as vscode from 'vscode';
import { pickModelFolder } from './saveFolder';
import type { TrainView } from '../../engine/training/methods';
import type { DatasetCandidate } from '../../engine/training/types';
import { reportError } from '../errors';
import { webviewHtml, webviewOptions } from '../panels/webviewHtml';
import { type Services, isLocal } from '../services';
import { AdaptHost } from './adaptHost';
import { DistillController } from './distillHost';
import {
  defaultSettings,
  type TrainerState,
  trCancel,
  trClassify,
  trLabelFile,
  trOpen,
  trReady,
  trRefresh,
  trSave,
  trSelect,
  trSettings,
  trState,
  trTrain,
  trWhy,
} from '../../webviews/protocol/trainer';
import { explainExample } from './why';

/** The "Classifier Trainer" webview view. All work runs in the engine worker (training* methods); this side
 *  holds the UI state, talks to the workspace (files, editors) and asks before overwriting anything. */
export class TrainerViewProvider implements vscode.WebviewViewProvider {
  private view?: vscode.WebviewView;
  private ready = false;
  private state: TrainerState = { datasets: [], settings: { ...defaultSettings }, history: [] };
  private running?: AbortController;
  private lastPush = 0;
  /** The view's Adapt mode (domain-adaptive masked-LM training). */
  readonly adapt: AdaptHost;
  private readonly distill: DistillController;

  constructor(private readonly services: Services) {
    this.adapt = new AdaptHost(services, (m) => {
      if (!this.view || !this.ready) return false;
      void this.view.webview.postMessage(m);
      return true;
    });
    this.distill = new DistillController(services, (m) => this.ready && void this.view?.webview.postMessage(m));
  }

  /** The current trained run, for the editor commands. */
  get result(): TrainView | undefined {
    return this.state.result;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = webviewOptions(this.services.context.extensionUri);
    const title = vscode.l10n.t('Classifier Trainer');
    view.webview.html = webviewHtml(view.webview, this.services.context.extensionUri, 'trainer', title);
    view.webview.onDidReceiveMessage((m) => this.onMessage(m).catch((err) => this.fail(err, 'Classifier Trainer')));
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
    });
  }

  private push(throttle = false): void {
    if (!this.view || !this.ready) return;
    const now = Date.now();
    if (throttle && now - this.lastPush < 100) return;
    this.lastPush = now;
    void this.view.webview.postMessage(trState.create(this.state));
  }

  private set(patch: Partial<TrainerState>, throttle = false): void {
    this.state = { ...this.state, ...patch };
    this.push(throttle);
  }

  private fail(err: unknown, what: string): void {
    const message =
      err instanceof Error
        ? err.message + ((err as { hint?: string }).hint ? ` ${(err as { hint?: string }).hint}` : '')
        : String(err);
    if ((err as { code?: string })?.code === 'cancelled')
      this.set({ busy: undefined, error: vscode.l10n.t('Cancelled.') });
    else {
      this.set({ busy: undefined, error: message });
      reportError(this.services.log, err, what);
    }
  }

  private async onMessage(m: unknown): Promise<void> {
    if (trReady.is(m)) {
      this.ready = true;
      this.push();
      this.adapt.ready();
      void this.distill.ready().catch((err) => this.fail(err, 'Distill'));
      if (!this.state.datasets.length) await this.refresh();
      return;
    }
    if (await this.adapt.handle(m)) return;
    if (this.distill.handle(m)) return;
    if (trRefresh.is(m)) return this.refresh();
    if (trSelect.is(m)) {
      this.state.settings = {
        ...this.state.settings,
        textColumn: undefined,
        labelColumn: undefined,
        pairColumn: undefined,
      };
      return this.select(m.params.path);
    }
    if (trSettings.is(m)) {
      const before = this.state.settings;
      this.state.settings = m.params;
      if (
        this.state.selected &&
        (before.textColumn !== m.params.textColumn ||
          before.labelColumn !== m.params.labelColumn ||
          before.pairColumn !== m.params.pairColumn)
      ) {
        return this.select(this.state.selected);
      }
      return this.push();
    }
    if (trTrain.is(m)) return this.train(m.params?.resume === true);
    if (trCancel.is(m)) {
      this.running?.abort();
      return;
    }
    if (trSave.is(m)) return this.save();
    if (trOpen.is(m)) return this.open(m.params.file, m.params.line);
    if (trClassify.is(m)) return void vscode.commands.executeCommand('bertLens.trainer.classifySelection');
    if (trLabelFile.is(m)) return void vscode.commands.executeCommand('bertLens.trainer.labelParagraphs');
    if (trWhy.is(m))
      return explainExample(
        this.services,
        () => this.state,
        (why) => this.set({ why }),
        m.params.example,
      );
  }

  /** Labelled-data candidates: files through `workspace.findFiles` (which respects files.exclude), and
   *  folder-per-label datasets from the engine. The selected dataset stays listed. */
  async refresh(): Promise<void> {
    const roots = (vscode.workspace.workspaceFolders ?? [])
      .filter((f) => f.uri.scheme === 'file')
      .map((f) => f.uri.fsPath);
    const folders = (await this.services.client.trainingFindDatasets({ roots })).filter((d) => d.format === 'folder');
    const uris = [
      ...(await vscode.workspace.findFiles(
        '**/*.{csv,tsv,tab,jsonl,ndjson,conll,conllu,bio,iob,iob2}',
        undefined,
        200,
      )),
      ...(await squadFiles()),
    ];
    const files = uris
      .filter((u) => u.scheme === 'file' && !/[\\/](node_modules|\.git|\.e2e|dist|out)[\\/]/.test(u.fsPath))
      .map((u): DatasetCandidate => ({ path: u.fsPath, format: formatOf(u.fsPath) }))
      .sort((a, b) => a.path.localeCompare(b.path));
    const datasets = [...folders, ...files];
    const sel = this.state.selected;
    if (sel && !datasets.some((d) => d.path === sel)) datasets.unshift({ path: sel, format: formatOf(sel) });
    this.set({ datasets });
    if (!this.state.selected && datasets.length === 1) await this.select(datasets[0].path);
  }

  /** Explorer "Train Classifier on This File": list the file (even if files.exclude hides it) and select it. */
  async useFile(file: string): Promise<void> {
    if (!this.state.datasets.some((d) => d.path === file))
      this.set({ datasets: [{ path: file, format: formatOf(file) }, ...this.state.datasets] });
    this.state.settings = {
      ...this.state.settings,
      textColumn: undefined,
      labelColumn: undefined,
      pairColumn: undefined,
    };
    await this.select(file);
  }

  private async select(p: string): Promise<void> {
    const s = this.state.settings;
    this.set({ selected: p, preview: undefined, error: undefined, busy: vscode.l10n.t('Reading data…') });
    try {
      const preview = await this.services.client.trainingPreview({
        path: p,
        textColumn: s.textColumn,
        labelColumn: s.labelColumn,
        pairColumn: s.pairColumn,
      });
      this.set({
        preview,
        busy: undefined,
        settings: {
          ...s,
          textColumn: preview.textColumn,
          labelColumn: preview.labelColumn,
          pairColumn: preview.pairColumn,
        },
      });
      if (this.state.numLayers === undefined) this.learnLayers();
    } catch (err) {
      this.fail(err, 'Reading the dataset');
    }
  }

  /** The layer count for the layer and train-layers pickers before the first run: from the loaded model, or by
   *  loading a local one (the embedded model, a folder); never starts a hub download just for that. */
  private learnLayers(): void {
    const known = this.services.loadedSummary();
    if (known) return this.set({ numLayers: known.numLayers });
    if (!isLocal(vscode.workspace.getConfiguration('bertLens').get<string>('model') ?? '')) return;
    void this.services.ensureModel().then(
      (summary) => this.set({ numLayers: summary.numLayers }),
      () => undefined, // a load error shows when training starts
    );
  }

  private async train(resume = false): Promise<void> {
    if (!this.state.selected || this.running) return;
    const s = this.state.settings;
    const controller = new AbortController();
    this.running = controller;
    let fineTuning = false;
    const tokenOrQa = this.state.preview?.task === 'token' || this.state.preview?.task === 'qa';
    this.set({
      busy: resume ? vscode.l10n.t('Resuming from the last epoch’s checkpoint…') : vscode.l10n.t('Loading model…'),
      error: undefined,
      history: [],
      featureProgress: undefined,
      result: undefined,
      savedTo: undefined,
      why: undefined,
      resumable: false,
    });
    try {
      const summary = await this.services.ensureModel();
      this.set({ numLayers: summary.numLayers, busy: vscode.l10n.t('Computing features…') });
      const history: TrainerState['history'] = [];
      const result = await this.services.client.trainingTrain(
        {
          data: this.state.selected,
          spec: this.services.spec(),
          textColumn: s.textColumn,
          labelColumn: s.labelColumn,
          pairColumn: s.pairColumn,
          layer: s.layer,
          lastLayers: s.lastLayers,
          pooling: s.pooling,
          head: s.head,
          seed: s.seed,
          testFraction: s.testFraction,
          valFraction: s.valFraction,
          // Token and QA data can only be fine-tuned (the frozen mode trains sequence/pair classifiers).
          mode: resume || tokenOrQa ? 'fine-tune' : (s.mode ?? 'auto'),
          ...(tokenOrQa ? { task: this.state.preview!.task } : {}),
          epochs: s.epochs,
          learningRate: s.learningRate,
          trainLayers: s.trainLayers,
          freezeEmbeddings: s.freezeEmbeddings,
          dropout: s.dropout,
          longTexts: s.longTexts,
          resume,
          cacheDir: this.services.context.globalStorageUri.fsPath
            ? path.join(this.services.context.globalStorageUri.fsPath, 'features')
            : undefined,
        },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'features')
              this.set(
                {
                  featureProgress: { done: p.done, total: p.total },
                  busy: vscode.l10n.t('Computing features {0}/{1}…', p.done, p.total),
                },
                p.done !== p.total,
              );
            else if (p.phase === 'train') {
              history.push({ epoch: p.epoch, loss: p.loss, valAccuracy: p.valAccuracy });
              this.set({ history: [...history], busy: vscode.l10n.t('Training, epoch {0}…', p.epoch) }, true);
            } else if (p.phase === 'baselines') this.set({ busy: vscode.l10n.t('Baselines (majority, TF-IDF)…') });
            else if (p.phase === 'loading') {
              if (p.message.startsWith('Fine-tuning')) fineTuning = true;
              this.set({ busy: `${p.message}…` });
            }
          },
        },
      );
      this.set({ result, busy: undefined, history: result.report.history });
      void vscode.commands.executeCommand('setContext', 'bertLens.hasClassifier', true);
      const m = result.report.metrics;
      if (result.report.task_metrics)
        this.services.log.info(
          `fine-tuned ${path.basename(this.state.selected)} (${result.report.task}): ${JSON.stringify(result.report.task_metrics.metrics)}`,
        );
      else
        this.services.log.info(
          `trained ${path.basename(this.state.selected)}: accuracy ${m.accuracy.toFixed(3)}, macro-F1 ${m.macro_f1.toFixed(3)} (majority ${result.report.baselines.majority.macro_f1.toFixed(3)}, TF-IDF ${result.report.baselines.tfidf_lr.macro_f1.toFixed(3)})`,
        );
    } catch (err) {
      this.fail(err, 'Training');
      // A fine-tuning run cancelled after an epoch keeps that epoch's checkpoint (fineTune.ts): offer Resume. The
      // worker may still finish the epoch under way when the cancel reaches it (its progress no longer arrives
      // here), so the checkpoint can be a later epoch than the last one reported: Resume's results name it.
      if ((err as { code?: string })?.code === 'cancelled' && fineTuning && this.state.history.length)
        this.set({
          resumable: true,
          error: vscode.l10n.t(
            'Cancelled (last epoch reported: {0}). Resume continues from the checkpoint of the last finished epoch.',
            this.state.history[this.state.history.length - 1].epoch,
          ),
        });
    } finally {
      this.running = undefined;
    }
  }

  private async save(): Promise<void> {
    const r = this.state.result;
    if (!r || !this.state.selected) return;
    const data = this.state.selected;
    const base = data.replace(/\.(csv|tsv|tab|jsonl|ndjson|conll|conllu|bio|iob|iob2|ner|json)$/i, '');
    const suffix = r.report.head.kind === 'fine-tuned' ? 'finetuned' : 'classifier';
    const picked = await pickModelFolder(vscode.l10n.t('Save classifier as a model folder'), `${base}-${suffix}`);
    if (!picked) return;
    const overwrite = picked.overwrite;
    try {
      const { dir } = await this.services.client.trainingSave({ runId: r.runId, dir: picked.dir, overwrite });
      this.set({ savedTo: dir });
      const choice = await vscode.window.showInformationMessage(
        vscode.l10n.t('BERT Lens: classifier saved to {0}.', dir),
        vscode.l10n.t('Open Model Card'),
      );
      if (choice) await vscode.window.showTextDocument(vscode.Uri.file(path.join(dir, 'MODEL_CARD.md')));
    } catch (err) {
      this.fail(err, 'Saving the classifier');
    }
  }

  private async open(file: string, line: number): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const pos = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: true });
  }
}

/** SQuAD-format JSON files of the workspace (a few, by content: "paragraphs" and "qas" near the start). */
async function squadFiles(): Promise<vscode.Uri[]> {
  const out: vscode.Uri[] = [];
  for (const u of await vscode.workspace.findFiles('**/*.json', '**/{node_modules,.git,.vscode,dist,out}/**', 100)) {
    try {
      const head = Buffer.from((await vscode.workspace.fs.readFile(u)).subarray(0, 4096)).toString('utf8');
      if (/"paragraphs"\s*:/.test(head) && /"qas"\s*:/.test(head)) out.push(u);
    } catch {
      // unreadable: not a candidate
    }
  }
  return out;
}

function formatOf(file: string): DatasetCandidate['format'] {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (['.conll', '.conllu', '.bio', '.iob', '.iob2'].includes(ext)) return 'conll';
  if (ext === '.json') return 'squad';
  return 'csv';
}
