// The host side of the Classifier Trainer's "Adapt" mode: continued masked-LM training of the configured model on
// the workspace's text files (trainingAdapt in the engine worker), the live masking sample and counts pushed to the
// view, then Save (a folder the user picks; asks before replacing anything) and Use (select the adapted model).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pickModelFolder } from './saveFolder';
import { setModel } from '../commands/selectModel';
import { reportError } from '../errors';
import type { Services } from '../services';
import { modelLabel } from '../settings';
import { MAX_FILES, TEXT_EXTENSIONS, TEXT_GLOB, skippedByWalk, walkOrder } from '../../engine/training/corpusFiles';
import {
  type AdaptState,
  adCancel,
  adSave,
  adSettings,
  adShow,
  adStart,
  adState,
  adUse,
  defaultAdaptSettings,
} from '../../webviews/protocol/adapt';

export class AdaptHost {
  private state: AdaptState = { settings: { ...defaultAdaptSettings }, roots: [], model: '', losses: [] };
  private running?: AbortController;
  private lastPush = 0;
  private pendingShow = false;

  constructor(
    private readonly services: Services,
    /** Posts to the view when it is there and ready; false otherwise. */
    private readonly post: (m: unknown) => boolean,
  ) {}

  /** The view (re)loaded: send the state, and the mode switch if a command asked for it before. */
  ready(): void {
    this.refreshContext();
    this.push();
    if (this.pendingShow && this.post(adShow.create({}))) this.pendingShow = false;
  }

  /** Switches the view to the Adapt mode (now, or as soon as it is ready). */
  show(): void {
    this.refreshContext();
    this.push();
    if (!this.post(adShow.create({}))) this.pendingShow = true;
  }

  /** Handles the Adapt mode's messages; false for any other message. */
  async handle(m: unknown): Promise<boolean> {
    if (adSettings.is(m)) {
      const p = m.params;
      this.set({ settings: { epochs: Math.max(1, Math.min(50, p.epochs)), wholeWord: p.wholeWord, seed: p.seed } });
    } else if (adStart.is(m)) await this.start();
    else if (adCancel.is(m)) this.running?.abort();
    else if (adSave.is(m)) await this.save();
    else if (adUse.is(m)) {
      if (this.state.savedTo) await setModel(this.services, this.state.savedTo);
      this.refreshContext();
      this.push();
    } else return false;
    return true;
  }

  private roots(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  }

  /** The workspace's text files as the engine's folder walk would read them (same files, same order), less what
   *  files.exclude hides: `findFiles` applies that setting, the walk cannot. */
  private async corpusFiles(roots: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const root of roots) {
      const found = await vscode.workspace.findFiles(
        new vscode.RelativePattern(root, TEXT_GLOB),
        undefined,
        4 * MAX_FILES,
      );
      const rel = found
        .map((u) => path.relative(root, u.fsPath))
        .filter((r) => TEXT_EXTENSIONS.includes(path.extname(r).toLowerCase()) && !skippedByWalk(r))
        .sort(walkOrder);
      for (const r of rel) if (out.length < MAX_FILES) out.push(path.join(root, r));
    }
    return out;
  }

  private refreshContext(): void {
    this.state = { ...this.state, roots: this.roots(), model: modelLabel(this.services.settings().model) };
  }

  private push(throttle = false): void {
    const now = Date.now();
    if (throttle && now - this.lastPush < 150) return;
    this.lastPush = now;
    this.post(adState.create(this.state));
  }

  private set(patch: Partial<AdaptState>, throttle = false): void {
    this.state = { ...this.state, ...patch };
    this.push(throttle);
  }

  private async start(): Promise<void> {
    if (this.running) return;
    this.refreshContext();
    const roots = this.state.roots;
    if (!roots.length) {
      this.set({
        error: vscode.l10n.t(
          'Open a folder first: adaptation reads the text files (.md, .txt, .rst …) of the workspace.',
        ),
      });
      return;
    }
    const files = await this.corpusFiles(roots);
    if (!files.length) {
      this.set({
        error: vscode.l10n.t(
          'No text files (.md, .txt, .rst …) in the workspace outside files.exclude: adaptation reads those. Add one, or show a folder that files.exclude hides.',
        ),
      });
      return;
    }
    const controller = new AbortController();
    this.running = controller;
    const s = this.state.settings;
    this.set({
      busy: vscode.l10n.t('Loading model…'),
      error: undefined,
      step: undefined,
      chosen: undefined,
      sample: undefined,
      before: undefined,
      after: undefined,
      losses: [],
      corpus: undefined,
      runId: undefined,
      seconds: undefined,
      savedTo: undefined,
    });
    const losses: number[] = [];
    try {
      const r = await this.services.client.trainingAdapt(
        { spec: this.services.spec(), data: files, epochs: s.epochs, seed: s.seed, wholeWord: s.wholeWord },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (!('phase' in p)) return this.set({ busy: vscode.l10n.t('Downloading {0}…', p.file) }, true);
            if (p.phase === 'loading') this.set({ busy: `${p.message}…` });
            else if (p.phase === 'evaluating')
              this.set(
                { busy: vscode.l10n.t('Scoring the held-out lines ({0}) {1}/{2}…', p.which, p.done, p.total) },
                p.done !== p.total,
              );
            else if (p.phase === 'evaluated')
              this.set(p.which === 'before' ? { before: p.metrics } : { after: p.metrics });
            else if (p.phase === 'step') {
              losses.push(p.loss);
              const patch: Partial<AdaptState> = {
                step: { epoch: p.epoch, epochs: p.epochs, step: p.step, totalSteps: p.totalSteps, loss: p.loss },
                chosen: p.chosen,
                losses: [...losses],
                busy: vscode.l10n.t(
                  'Adapting: epoch {0}/{1}, step {2}/{3}, ETA {4} s…',
                  p.epoch,
                  p.epochs,
                  p.step,
                  p.totalSteps,
                  Math.round(p.etaSeconds),
                ),
              };
              if (p.sample) patch.sample = p.sample;
              this.set(patch, !p.sample && p.step !== p.totalSteps);
            }
          },
        },
      );
      this.set({
        busy: undefined,
        runId: r.runId,
        seconds: r.seconds,
        chosen: r.chosen,
        corpus: { files: r.corpus.files, lines: r.corpus.lines, heldOutLines: r.corpus.heldOutLines },
      });
      this.services.log.info(
        `adapted ${this.state.model} on ${r.corpus.files} file(s): masked accuracy ${r.masked_accuracy.before.toFixed(3)} -> ${r.masked_accuracy.after.toFixed(3)}, pseudo-perplexity ${r.pseudo_perplexity.before.toFixed(2)} -> ${r.pseudo_perplexity.after.toFixed(2)} (${r.seconds.toFixed(1)} s)`,
      );
    } catch (err) {
      if ((err as { code?: string })?.code === 'cancelled')
        this.set({ busy: undefined, error: vscode.l10n.t('Cancelled; nothing was saved.') });
      else {
        const hint = (err as { hint?: string }).hint;
        this.set({
          busy: undefined,
          error: err instanceof Error ? err.message + (hint ? ` ${hint}` : '') : String(err),
        });
        reportError(this.services.log, err, 'Adapt Model to Workspace');
      }
    } finally {
      this.running = undefined;
    }
  }

  private async save(): Promise<void> {
    const runId = this.state.runId;
    if (!runId) return;
    const root = this.state.roots[0] ?? this.services.context.globalStorageUri.fsPath;
    const base = this.state.model.replace(/ \(embedded\)$/, '').replace(/[\\/:]+/g, '-');
    const picked = await pickModelFolder(
      vscode.l10n.t('Save the adapted model as a folder'),
      path.join(root, `${base}-adapted`),
    );
    if (!picked) return;
    const overwrite = picked.overwrite;
    try {
      const { dir } = await this.services.client.trainingAdaptSave({ runId, dir: picked.dir, overwrite });
      this.set({ savedTo: dir });
      const use = vscode.l10n.t('Use This Model');
      const card = vscode.l10n.t('Open Model Card');
      const choice = await vscode.window.showInformationMessage(
        vscode.l10n.t('BERT Lens: adapted model saved to {0}.', dir),
        use,
        card,
      );
      if (choice === use) await this.handle(adUse.create({}));
      else if (choice === card) await vscode.window.showTextDocument(vscode.Uri.file(path.join(dir, 'MODEL_CARD.md')));
    } catch (err) {
      this.set({ error: err instanceof Error ? err.message : String(err) });
      reportError(this.services.log, err, 'Saving the adapted model');
    }
  }
}
