// Worker methods of the classifier trainer (merged into the engine worker's method table). Trained runs stay in
// the worker, by id, so the sidebar can save them and classify with them without moving weights around.
import type { ModelLease } from '../engine';
import { EngineError } from '../errors';
import type { Method, MethodTable } from '../rpc';
import { findDatasets } from './data/discover';
import { previewTaskData } from './taskPreview';
import { saveClassifier } from './save';
import { type TrainRequest, type TrainRun, type TrainingProgress, runTraining } from './session';
import { predictTexts } from './train';
import {
  type FineTunedRun,
  classifyWithFineTuned,
  exampleRows,
  fineTunedView,
  runFineTuneSession,
  saveFineTunedRun,
  wantsFineTune,
} from './fineTuneSession';
import type { DatasetCandidate, DatasetPreview, LoadOptions, TrainView } from './types';
import {
  type ExplainExampleRequest,
  type ExplainedExample,
  disposeExplainer,
  explainFineTunedExample,
  explainFrozenExample,
} from './explain';

/** The trainer's part of the method map (../rpc.ts). */
export interface TrainingMethods {
  trainingFindDatasets: Method<{ roots: string[]; maxDepth?: number }, DatasetCandidate[]>;
  trainingPreview: Method<{ path: string } & LoadOptions, DatasetPreview>;
  /** Trains and keeps the run in the worker under `runId` (the last few runs). */
  trainingTrain: Method<TrainRequest, TrainView, TrainingProgress>;
  trainingSave: Method<{ runId: string; dir?: string; overwrite?: boolean }, { dir: string }>;
  trainingClassify: Method<{ runId: string; texts: string[]; pairs?: string[] }, ClassifiedTexts>;
  trainingDispose: Method<{ runId: string }, void>;
  /** "Why this label?": saliency of a test example's predicted label through the run's trained network. */
  trainingExplain: Method<ExplainExampleRequest, ExplainedExample>;
}

/** Class probabilities of each text, in the order of `labels`. */
export interface ClassifiedTexts {
  labels: string[];
  probabilities: number[][];
}

export type { TestExampleView, TrainView } from './types';
export type { ExplainExampleRequest, ExplainedExample } from './explain';

const MAX_RUNS = 4;
const runs = new Map<string, TrainRun>();
/** Each kept run holds its model (its classifier embeds with it), so that evicting the model from the engine's
 *  cache never disposes it while the run can still classify; released when the run goes. */
const leases = new Map<string, ModelLease>();
function dropRun(id: string): Promise<void> {
  runs.delete(id);
  leases.get(id)?.release();
  leases.delete(id);
  return disposeExplainer(id);
}
const fineRuns = new Map<string, FineTunedRun>();
function dropFineRun(id: string): Promise<void> {
  fineRuns.delete(id);
  return disposeExplainer(id);
}

function getRun(id: string): TrainRun {
  const r = runs.get(id);
  if (!r)
    throw new EngineError(
      'training-run-missing',
      'That trained classifier is no longer in memory.',
      'Train it again (the features are cached, so it is quick).',
    );
  return r;
}

export function trainView(run: TrainRun): TrainView {
  const { dataset, outcome } = run;
  const examples = exampleRows(dataset, outcome.predictions);
  return {
    runId: run.id,
    labels: dataset.labels,
    report: run.report,
    examples,
    cells: outcome.metrics.confusionExamples,
  };
}

export const trainingMethods: MethodTable<keyof TrainingMethods> = {
  trainingFindDatasets: async (_engine, params) => findDatasets(params.roots ?? [], params.maxDepth),
  trainingPreview: async (_engine, params) => previewTaskData(params.path, params),
  trainingTrain: async (engine, params, ctx) => {
    if (await wantsFineTune(engine, params, ctx.signal)) {
      // Held while it runs, so that evicting the base model for another request never disposes it under us.
      const fr = await engine.use(params.spec ?? {}, { signal: ctx.signal }, () =>
        runFineTuneSession(engine, params, { signal: ctx.signal, onProgress: ctx.progress }),
      );
      fineRuns.set(fr.id, fr);
      while (fineRuns.size > 2) void dropFineRun(fineRuns.keys().next().value as string);
      return fineTunedView(fr);
    }
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
    while (runs.size > MAX_RUNS) void dropRun(runs.keys().next().value as string);
    return trainView(run);
  },
  trainingSave: async (_engine, params) => {
    const fr = fineRuns.get(params.runId);
    if (fr) return { dir: saveFineTunedRun(fr, params.dir, params.overwrite) };
    const run = getRun(params.runId);
    return {
      dir: saveClassifier(run.outcome.classifier, run.report, {
        dir: params.dir,
        dataPath: run.dataset.path,
        overwrite: params.overwrite,
      }),
    };
  },
  trainingClassify: async (_engine, params, ctx) => {
    const fr = fineRuns.get(params.runId);
    if (fr)
      return {
        labels: fr.outcome.labels,
        probabilities: await classifyWithFineTuned(fr, params.texts, params.pairs, ctx.signal),
      };
    const run = getRun(params.runId);
    const probabilities = await predictTexts(run.outcome.classifier, params.texts, params.pairs, ctx.signal);
    return { labels: run.dataset.labels, probabilities };
  },
  trainingDispose: async (_engine, params) => {
    await dropRun(params.runId);
    await dropFineRun(params.runId);
  },
  trainingExplain: async (_engine, params, ctx) => {
    const fr = fineRuns.get(params.runId);
    if (fr) return explainFineTunedExample(fr, params, ctx.signal);
    return explainFrozenExample(getRun(params.runId), params, ctx.signal);
  },
};
