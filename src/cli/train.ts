// `bert-lens train`: the CLI front end over the same training run as the sidebar, through the worker client
// (trainingTrain, then trainingSave): progress lines while it trains, then the comparison table.
import type { ModelSpec } from '../engine/api';
import type { EngineClient } from '../engine/client';
import { formatPercent } from '../engine/math';
import type { TrainingProgress } from '../engine/training/session';
import type { Candidates, Recommendation } from '../engine/training/types';
import { frozenTable } from './trainTables';

export interface TrainArgs {
  data: string;
  textColumn?: string;
  labelColumn?: string;
  pairColumn?: string;
  /** Model folder, hub id, or undefined for the embedded model. */
  model?: string;
  /** Hidden state to pool (0 = embeddings, negative from the end; default -1). */
  layer?: number;
  seed?: number;
  /** Output folder; by default a new `<data>-classifier[-N]` folder next to the data. Never overwritten. */
  output?: string;
  json?: boolean;
  /** Optional knobs, as in the sidebar: the model file, the head, the pooled layers, the feature cache. */
  variant?: ModelSpec['variant'];
  head?: 'logistic' | 'mlp';
  lastLayers?: number;
  pooling?: 'mean' | 'cls';
  cacheDir?: string;
  /** Balanced class weights (the frozen head's default) or none. */
  classWeights?: 'balanced' | 'none';
}

/** The stable `--json` shape. */
export interface TrainJsonResult {
  train_size: number;
  test_size: number;
  metrics: { accuracy: number; macro_f1: number };
  baselines: { majority: { accuracy: number; macro_f1: number }; tfidf_lr: { accuracy: number; macro_f1: number } };
  seconds: number;
  output: string;
  /** Added with fine-tuning (#8): this is the frozen mode; the head's epochs and their validation accuracy. */
  mode: 'frozen';
  task: 'sequence' | 'pair';
  epochs: number;
  history: { epoch: number; train_loss: number; val_metric: number }[];
  /** Added with the hybrid candidate (#8): frozen, hybrid and tfidf scored on the same split (val and test). */
  candidates?: Candidates;
  /** The best candidate on the validation split, and why. */
  recommendation?: Recommendation;
}

export interface TrainIo {
  /** Human-readable lines (stderr in --json mode is the caller's choice). */
  log(line: string): void;
  onProgress?: (p: TrainingProgress) => void;
}

/** What runTrain needs of the worker client. */
export type TrainingClient = Pick<EngineClient, 'trainingTrain' | 'trainingSave' | 'trainingDispose'>;

const pct = (x: number) => formatPercent(x).padStart(6);

/** Trains in the worker, evaluates against the baselines, saves the hub-layout folder and returns the --json
 *  result. Rejects with EngineError for bad input (the CLI prints formatError(e) and exits non-zero). */
export async function runTrain(args: TrainArgs, io: TrainIo, client: TrainingClient): Promise<TrainJsonResult> {
  const t0 = performance.now();
  let lastEpochLog = 0;
  const view = await client.trainingTrain(
    {
      data: args.data,
      textColumn: args.textColumn,
      labelColumn: args.labelColumn,
      pairColumn: args.pairColumn,
      spec: { model: args.model, variant: args.variant },
      layer: args.layer,
      lastLayers: args.lastLayers,
      pooling: args.pooling,
      head: args.head,
      seed: args.seed,
      cacheDir: args.cacheDir,
      classWeights: args.classWeights,
    },
    {
      onProgress: (q) => {
        io.onProgress?.(q);
        if (q.phase === 'loading') io.log(`${q.message}…`);
        else if (q.phase === 'features' && (q.done === q.total || q.cached))
          io.log(`Features: ${q.total} texts${q.cached ? ' (from cache)' : ''}`);
        else if (q.phase === 'train' && (q.epoch - lastEpochLog >= 10 || q.epoch === 1)) {
          lastEpochLog = q.epoch;
          io.log(`epoch ${String(q.epoch).padStart(3)}  loss ${q.loss.toFixed(4)}  val accuracy ${pct(q.valAccuracy)}`);
        }
      },
    },
  );
  try {
    const report = view.report;
    for (const w of report.data.warnings) io.log(`warning: ${w}`);
    const { dir: output } = await client.trainingSave({ runId: view.runId, dir: args.output });
    const r: TrainJsonResult = {
      train_size: report.split.train,
      test_size: report.split.test,
      metrics: { accuracy: report.metrics.accuracy, macro_f1: report.metrics.macro_f1 },
      baselines: {
        majority: { accuracy: report.baselines.majority.accuracy, macro_f1: report.baselines.majority.macro_f1 },
        tfidf_lr: { accuracy: report.baselines.tfidf_lr.accuracy, macro_f1: report.baselines.tfidf_lr.macro_f1 },
      },
      seconds: Math.round((performance.now() - t0) / 10) / 100,
      output,
      mode: 'frozen',
      task: report.data.pair_column ? 'pair' : 'sequence',
      epochs: report.history.length,
      history: report.history.map((h) => ({ epoch: h.epoch, train_loss: h.loss, val_metric: h.valAccuracy })),
      ...(report.candidates ? { candidates: report.candidates } : {}),
      ...(report.recommendation ? { recommendation: report.recommendation } : {}),
    };
    for (const line of frozenTable(r)) io.log(line);
    return r;
  } finally {
    await client.trainingDispose({ runId: view.runId });
  }
}
