// Worker methods of the classifier trainer (merged into the engine worker's method table). Trained runs stay in
// the worker, by id, so the sidebar can save them and classify with them without moving weights around.
import type { Engine, ModelLease } from '../engine';
import { EngineError } from '../errors';
import { findDatasets, previewDataset } from './discover';
import { saveClassifier } from './save';
import { type TrainRequest, type TrainRun, runTraining } from './session';
import { predictTexts } from './train';
import type { TrainingReport } from './report';
import type { LoadOptions } from './types';

interface MethodContext {
  signal: AbortSignal;
  progress(p: unknown): void;
}
type TrainingMethod = (engine: Engine, params: any, ctx: MethodContext) => Promise<unknown>;

/** A test-set example as the sidebar lists it (confusion-matrix cells hold indexes into this list). */
export interface TestExampleView {
  text: string;
  file: string;
  line: number;
  label: string;
  predicted: string;
  score: number;
}

export interface TrainView {
  runId: string;
  labels: string[];
  report: TrainingReport;
  examples: TestExampleView[];
  /** confusion[true][pred] → indexes into `examples`. */
  cells: number[][][];
  /** Per-class precision/recall/F1 for the baselines are inside report.baselines. */
}

const MAX_RUNS = 4;
const runs = new Map<string, TrainRun>();
/** Each kept run holds its model (its classifier embeds with it), so that evicting the model from the engine's
 *  cache never disposes it while the run can still classify; released when the run goes. */
const leases = new Map<string, ModelLease>();
function dropRun(id: string): void {
  runs.delete(id);
  leases.get(id)?.release();
  leases.delete(id);
}

function getRun(id: string): TrainRun {
  const r = runs.get(id);
  if (!r) throw new EngineError('training-run-missing', 'That trained classifier is no longer in memory.', 'Train it again (the features are cached, so it is quick).');
  return r;
}

export function trainView(run: TrainRun): TrainView {
  const { dataset, outcome } = run;
  const examples = outcome.predictions.map((p) => {
    const e = dataset.examples[p.index];
    return {
      text: e.text.length > 240 ? `${e.text.slice(0, 240)}…` : e.text,
      file: e.source.file,
      line: e.source.line,
      label: dataset.labels[p.label],
      predicted: dataset.labels[p.predicted],
      score: p.probabilities[p.predicted],
    };
  });
  return { runId: run.id, labels: dataset.labels, report: run.report, examples, cells: outcome.metrics.confusionExamples };
}

export const trainingMethods: Record<string, TrainingMethod> = {
  'training.findDatasets': async (_engine, params: { roots: string[]; maxDepth?: number }) => findDatasets(params.roots ?? [], params.maxDepth),
  'training.preview': async (_engine, params: { path: string } & LoadOptions) => previewDataset(params.path, params),
  'training.train': async (engine, params: TrainRequest, ctx) => {
    const lease = await engine.acquire(params.spec ?? {}, { signal: ctx.signal });
    let run: TrainRun;
    try {
      run = await runTraining(engine, params, { signal: ctx.signal, onProgress: ctx.progress });
    } catch (err) {
      lease.release();
      throw err;
    }
    runs.set(run.id, run);
    leases.set(run.id, lease);
    while (runs.size > MAX_RUNS) dropRun(runs.keys().next().value as string);
    return trainView(run);
  },
  'training.save': async (_engine, params: { runId: string; dir?: string; overwrite?: boolean }) => {
    const run = getRun(params.runId);
    return { dir: saveClassifier(run.outcome.classifier, run.report, { dir: params.dir, dataPath: run.dataset.path, overwrite: params.overwrite }) };
  },
  'training.classify': async (_engine, params: { runId: string; texts: string[]; pairs?: string[] }, ctx) => {
    const run = getRun(params.runId);
    const probabilities = await predictTexts(run.outcome.classifier, params.texts, params.pairs, ctx.signal);
    return { labels: run.dataset.labels, probabilities };
  },
  'training.dispose': async (_engine, params: { runId: string }) => {
    dropRun(params.runId);
  },
};
