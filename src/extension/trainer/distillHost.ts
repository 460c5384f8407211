// The Distill mode of the Classifier Trainer, host side: finds classifier folders in the workspace for the
// teacher picker, runs `trainingDistill` in the engine worker with progress and cancel, and saves the student
// (`trainingDistillSave`) after asking before overwriting anything. The trainer view forwards its messages here.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pickModelFolder } from './saveFolder';
import type { Services } from '../services';
import { isClassifierConfig } from './distillTeachers';
import {
  type DistillState,
  defaultDistillSettings,
  dsBrowseTeacher,
  dsCancel,
  dsRun,
  dsSave,
  dsSettings,
  dsState,
} from '../../webviews/protocol/distill';

export class DistillController {
  private state: DistillState = { settings: { ...defaultDistillSettings }, teachers: [], history: [] };
  private running?: AbortController;

  constructor(
    private readonly services: Services,
    private readonly post: (m: unknown) => void,
  ) {}

  private set(patch: Partial<DistillState>): void {
    this.state = { ...this.state, ...patch };
    this.post(dsState.create(this.state));
  }

  /** Sends the state (on the view's ready) and looks for teachers. */
  async ready(): Promise<void> {
    this.set({});
    await this.findTeachers();
  }

  /** Handles a Distill message; false for messages that are not its own. */
  handle(m: unknown): boolean {
    if (dsSettings.is(m)) this.set({ settings: m.params });
    else if (dsBrowseTeacher.is(m)) void this.browse();
    else if (dsRun.is(m)) void this.run(m.params.data);
    else if (dsCancel.is(m)) this.running?.abort();
    else if (dsSave.is(m)) void this.save();
    else return false;
    return true;
  }

  private async findTeachers(): Promise<void> {
    const uris = await vscode.workspace.findFiles('**/config.json', '**/{node_modules,.git,.e2e}/**', 200);
    const teachers: DistillState['teachers'] = [];
    for (const u of uris) {
      if (u.scheme !== 'file') continue;
      try {
        const config = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(u)).toString('utf8'));
        const dir = path.dirname(u.fsPath);
        if (isClassifierConfig(config))
          teachers.push({
            path: dir,
            label: vscode.l10n.t(
              '{0} ({1} labels)',
              vscode.workspace.asRelativePath(dir),
              Object.keys(config.id2label).length,
            ),
          });
      } catch {
        // not JSON: not a model folder
      }
    }
    teachers.sort((a, b) => a.label.localeCompare(b.label));
    this.set({ teachers });
  }

  private async browse(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      title: vscode.l10n.t('Teacher: a sequence-classification model folder'),
      openLabel: vscode.l10n.t('Use as Teacher'),
    });
    if (picked?.[0]) this.set({ settings: { ...this.state.settings, teacher: picked[0].fsPath } });
  }

  private async run(data: string): Promise<void> {
    const st = this.state.settings;
    if (this.running || !st.teacher) return;
    const controller = new AbortController();
    this.running = controller;
    this.set({
      busy: vscode.l10n.t('Loading the teacher and the student…'),
      error: undefined,
      history: [],
      step: undefined,
      result: undefined,
      savedTo: undefined,
    });
    try {
      const result = await this.services.client.trainingDistill(
        {
          teacher: this.services.spec(st.teacher),
          student: this.services.spec(st.student || 'embedded'),
          data,
          temperature: st.temperature,
          alpha: st.alpha,
          epochs: st.epochs,
          studentLayers: st.studentLayers,
        },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'loading') this.set({ busy: vscode.l10n.t('{0}…', p.message) });
            else if (p.phase === 'teacher')
              this.set({ busy: vscode.l10n.t('Teacher logits {0}/{1}…', p.done, p.total) });
            else if (p.phase === 'step')
              this.set({
                busy: vscode.l10n.t(
                  'Epoch {0}, step {1}/{2}, loss {3}…',
                  p.epoch,
                  p.step,
                  p.totalSteps,
                  p.loss.toFixed(3),
                ),
                step: { epoch: p.epoch, step: p.step, totalSteps: p.totalSteps, loss: p.loss },
              });
            else if (p.phase === 'epoch')
              this.set({
                history: [
                  ...this.state.history,
                  { epoch: p.epoch, train_loss: p.trainLoss, val_metric: p.valAccuracy },
                ],
              });
            else if (p.phase === 'evaluating')
              this.set({
                busy:
                  p.what === 'test'
                    ? vscode.l10n.t('Comparing teacher and student on the test split…')
                    : vscode.l10n.t('Validating…'),
              });
          },
        },
      );
      this.set({ result, busy: undefined, history: result.history });
      this.services.log.info(
        `distilled ${result.teacher.model} → ${result.student.model}: accuracy ${result.teacher.accuracy.toFixed(3)} → ${result.student.accuracy.toFixed(3)}, ${result.teacher.ms_per_example.toFixed(2)} → ${result.student.ms_per_example.toFixed(2)} ms/example`,
      );
    } catch (err) {
      const cancelled = (err as { code?: string })?.code === 'cancelled';
      const message =
        err instanceof Error
          ? err.message + ((err as { hint?: string }).hint ? ` ${(err as { hint?: string }).hint}` : '')
          : String(err);
      this.set({ busy: undefined, error: cancelled ? vscode.l10n.t('Cancelled.') : message });
      if (!cancelled) this.services.log.warn(`Distillation: ${message}`);
    } finally {
      this.running = undefined;
    }
  }

  private async save(): Promise<void> {
    const r = this.state.result;
    if (!r) return;
    const picked = await pickModelFolder(
      vscode.l10n.t('Save the distilled student as a model folder'),
      r.suggested_output,
    );
    if (!picked) return;
    const overwrite = picked.overwrite;
    try {
      const { dir } = await this.services.client.trainingDistillSave({ runId: r.runId, dir: picked.dir, overwrite });
      this.set({ savedTo: dir });
      void vscode.window.showInformationMessage(vscode.l10n.t('BERT Lens: distilled student saved to {0}.', dir));
    } catch (err) {
      this.set({ error: err instanceof Error ? err.message : String(err) });
    }
  }
}
