// Worker methods of domain adaptation (merged into the engine worker's method table): adapt a masked-LM model on
// text files, keep the run in the worker by id so the sidebar can save it later, or save it at once (the CLI).
import type { DownloadProgress, ModelSpec } from '../api';
import type { Method, MethodTable } from '../rpc';
import { EngineError } from '../errors';
import type { ModelFolder } from '../models/modelFolder';
import { type AdaptOptions, type AdaptOutcome, type AdaptProgress, adapt, checkAdaptable } from './adapt';
import { type AdaptReport, checkAdaptOutput, defaultAdaptedDir, saveAdapted } from './adaptExport';

export interface AdaptRequest extends AdaptOptions {
  /** The masked-LM model to adapt (default: the embedded one). */
  spec?: ModelSpec;
  /** Text files and/or folders (their .md, .txt, .rst… files). */
  data: string[];
  /** Save the adapted model here when done (checked before training starts). */
  output?: string;
  /** Replace the model files of an existing non-empty output folder. */
  overwrite?: boolean;
  /** Also write the int8 variant. */
  quantized?: boolean;
}

/** The result; the first five fields are the `bert-lens adapt --json` contract. */
export interface AdaptResult {
  masked_accuracy: { before: number; after: number };
  pseudo_perplexity: { before: number; after: number };
  chosen: { mask: number; random: number; kept: number };
  seconds: number;
  /** The saved folder, or null when the run is kept in the worker to be saved later. */
  output: string | null;
  runId: string;
  model: string;
  data: string[];
  nll: { before: number; after: number };
  held_out: { positions: number; chosen: { mask: number; random: number; kept: number } };
  history: { epoch: number; train_loss: number }[];
  corpus: AdaptOutcome['corpus'];
  epochs: number;
  steps: number;
  learning_rate: number;
  batch_size: number;
  max_length: number;
  seed: number;
  eval_seed: number;
  whole_word: boolean;
}

export type AdaptMethodProgress = AdaptProgress | DownloadProgress;

/** The adaptation part of the method map (../rpc.ts). */
export interface AdaptMethods {
  /** Adapts the model on the text; the run stays in the worker under `runId` (the last two runs). */
  trainingAdapt: Method<AdaptRequest, AdaptResult, AdaptMethodProgress>;
  trainingAdaptSave: Method<{ runId: string; dir?: string; overwrite?: boolean; quantized?: boolean }, { dir: string }>;
  trainingAdaptDispose: Method<{ runId: string }, void>;
}

interface AdaptRun {
  outcome: AdaptOutcome;
  source: ModelFolder;
  report: AdaptReport;
  data: string[];
}

const runs = new Map<string, AdaptRun>();
let counter = 0;

function reportOf(model: string, data: string[], o: AdaptOutcome): AdaptReport {
  return {
    base_model: model,
    data,
    masked_accuracy: { before: o.before.accuracy, after: o.after.accuracy },
    pseudo_perplexity: { before: o.before.pseudoPerplexity, after: o.after.pseudoPerplexity },
    chosen: o.chosen,
    epochs: o.epochs,
    steps: o.steps,
    learning_rate: o.learningRate,
    batch_size: o.batchSize,
    max_length: o.maxLength,
    seed: o.seed,
    eval_seed: o.evalSeed,
    whole_word: o.wholeWord,
    seconds: o.seconds,
    held_out: { positions: o.before.positions, chosen: o.heldOutChosen },
    history: o.history,
    corpus: o.corpus,
  };
}

export const adaptMethods: MethodTable<keyof AdaptMethods> = {
  trainingAdapt: async (engine, params, ctx) => {
    const { spec, data, output, overwrite, quantized, ...opts } = params;
    if (!Array.isArray(data) || !data.length)
      throw new EngineError(
        'no-data',
        'No data given.',
        'Pass --data with a text file or a folder of .md/.txt/.rst files.',
      );
    return engine.use(spec ?? {}, { signal: ctx.signal, onProgress: ctx.progress }, async (m) => {
      checkAdaptable(m);
      // The output folder is checked before minutes of training, not after.
      if (output !== undefined) checkAdaptOutput(output, m.folder.path, overwrite);
      const outcome = await adapt(m, data, opts, { signal: ctx.signal, onProgress: ctx.progress });
      const report = reportOf(m.id, data, outcome);
      const runId = `adapt-${Date.now().toString(36)}-${++counter}`;
      runs.set(runId, { outcome, source: m.folder, report, data });
      while (runs.size > 2) runs.delete(runs.keys().next().value as string);
      const saved =
        output !== undefined
          ? saveAdapted({ dir: output, source: m.folder, bytes: outcome.bytes, report, overwrite, quantized })
          : null;
      return {
        masked_accuracy: report.masked_accuracy,
        pseudo_perplexity: report.pseudo_perplexity,
        chosen: outcome.chosen,
        seconds: outcome.seconds,
        output: saved,
        runId,
        model: m.id,
        data,
        nll: { before: outcome.before.nll, after: outcome.after.nll },
        held_out: { positions: outcome.before.positions, chosen: outcome.heldOutChosen },
        history: outcome.history,
        corpus: outcome.corpus,
        epochs: outcome.epochs,
        steps: outcome.steps,
        learning_rate: outcome.learningRate,
        batch_size: outcome.batchSize,
        max_length: outcome.maxLength,
        seed: outcome.seed,
        eval_seed: outcome.evalSeed,
        whole_word: outcome.wholeWord,
      };
    });
  },
  trainingAdaptSave: async (_engine, params) => {
    const run = runs.get(params.runId);
    if (!run)
      throw new EngineError('training-run-missing', 'That adapted model is no longer in memory.', 'Adapt it again.');
    return {
      dir: saveAdapted({
        dir: params.dir ?? defaultAdaptedDir(run.data[0]),
        source: run.source,
        bytes: run.outcome.bytes,
        report: run.report,
        overwrite: params.overwrite,
        quantized: params.quantized,
      }),
    };
  },
  trainingAdaptDispose: async (_engine, params) => {
    runs.delete(params.runId);
  },
};
