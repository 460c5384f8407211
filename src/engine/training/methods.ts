// Worker methods of the classifier trainer (merged into the engine worker's method table). Trained runs stay in
// the worker, by id, so the sidebar can save them and classify with them without moving weights around.
import { EngineError } from '../errors';
import type { Method, MethodTable } from '../rpc';
import { findDatasets, previewDataset } from './discover';
import { saveClassifier } from './save';
import { type TrainRequest, type TrainRun, type TrainingProgress, runTraining } from './session';
import { predictTexts } from './train';
import type { DatasetCandidate, DatasetPreview, LoadOptions, TrainView } from './types';

/** The trainer's part of the method map (../rpc.ts). */
export interface TrainingMethods {
  trainingFindDatasets: Method<{ roots: string[]; maxDepth?: number }, DatasetCandidate[]>;
  trainingPreview: Method<{ path: string } & LoadOptions, DatasetPreview>;
  /** Trains and keeps the run in the worker under `runId` (the last few runs). */
  trainingTrain: Method<TrainRequest, TrainView, TrainingProgress>;
  trainingSave: Method<{ runId: string; dir?: string; overwrite?: boolean }, { dir: string }>;
  trainingClassify: Method<{ runId: string; texts: string[]; pairs?: string[] }, ClassifiedTexts>;
  trainingDispose: Method<{ runId: string }, void>;
}

/** Class probabilities of each text, in the order of `labels`. */
export interface ClassifiedTexts {
  labels: string[];
  probabilities: number[][];
}

export type { TestExampleView, TrainView } from './types';

const MAX_RUNS = 4;
const runs = new Map<string, TrainRun>();

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

export const trainingMethods: MethodTable<keyof TrainingMethods> = {
  trainingFindDatasets: async (_engine, params) => findDatasets(params.roots ?? [], params.maxDepth),
  trainingPreview: async (_engine, params) => previewDataset(params.path, params),
  trainingTrain: async (engine, params, ctx) => {
    const run = await runTraining(engine, params, { signal: ctx.signal, onProgress: ctx.progress });
    runs.set(run.id, run);
    while (runs.size > MAX_RUNS) runs.delete(runs.keys().next().value as string);
    return trainView(run);
  },
  trainingSave: async (_engine, params) => {
    const run = getRun(params.runId);
    return { dir: saveClassifier(run.outcome.classifier, run.report, { dir: params.dir, dataPath: run.dataset.path, overwrite: params.overwrite }) };
  },
  trainingClassify: async (_engine, params, ctx) => {
    const run = getRun(params.runId);
    const probabilities = await predictTexts(run.outcome.classifier, params.texts, params.pairs, ctx.signal);
    return { labels: run.dataset.labels, probabilities };
  },
  trainingDispose: async (_engine, params) => {
    runs.delete(params.runId);
  },
};
