// `bert-lens train --mode fine-tune`: loads the task data, fine-tunes, saves the hub-layout folder and returns
// the --json result (today's train keys plus mode, task, epochs, history and the per-task metrics). The CLI prints
// the table of the result (src/cli/trainTables.ts).
import type { ModelSpec } from '../api';
import type { Engine } from '../engine';
import { EngineError } from '../errors';
import { checkOutputDir, defaultFineTunedDir, saveFineTuned } from './fineTuneExport';
import {
  type FineTuneOptions,
  type FineTuneProgress,
  type EpochRecord,
  type TaskMetrics,
  type TrainLayers,
  evaluatingMessage,
  fineTune,
} from './fineTune';
import { type FineTuneTask, FINE_TUNE_TASKS, loadTaskData } from './taskData';
import { DEFAULT_SEED } from './data/split';
import type { Candidates, Recommendation } from './types';
import { formatDuration } from '../math';

export interface FineTuneArgs extends Omit<FineTuneOptions, 'trainLayers'> {
  data: string;
  task?: FineTuneTask;
  textColumn?: string;
  labelColumn?: string;
  pairColumn?: string;
  model?: string;
  variant?: ModelSpec['variant'];
  /** 'all', 'head', or 'top-K' / K. */
  trainLayers?: string | number;
  output?: string;
}

export interface FineTuneJsonResult {
  mode: 'fine-tune';
  task: FineTuneTask;
  epochs: number;
  train_size: number;
  test_size: number;
  metrics: TaskMetrics;
  baselines: Record<string, TaskMetrics>;
  history: EpochRecord[];
  seconds: number;
  output: string;
  /** Extras (not in the contract). */
  quantized_metrics?: TaskMetrics;
  best_epoch: number;
  stopped_early: boolean;
  cancelled: boolean;
  learning_rate: number;
  train_layers: string;
  pooling?: string;
  /** The class weights the loss used: the option (auto, balanced, none) and one weight per label, or null when
   *  the loss was unweighted. */
  class_weights: { mode: 'auto' | 'balanced' | 'none'; weights: Record<string, number> | null };
  examples_per_second: number;
  validation_size: number;
  /** The head-dropout rate training used (0: none). */
  dropout: number;
  /** The training seed (head, batch order, dropout masks) and the seed of the split, baselines and candidates. */
  seed: number;
  split_seed: number;
  /** Sequence: how long texts were read (windows, as classify reads them, or truncate). */
  long_texts?: 'windows' | 'truncate';
  /** Training inputs per epoch (windows of long texts and QA contexts count one each). */
  train_windows: number;
  /** Sequence/pair: frozen, fine_tuned, hybrid and tfidf scored on the same split (val and test). */
  candidates?: Candidates;
  /** The best candidate on the validation split, and why. */
  recommendation?: Recommendation;
}

/** Parses --train-layers: all | head | top-K | K. */
export function parseTrainLayers(v: string | number | undefined): TrainLayers {
  if (v === undefined || v === 'all') return 'all';
  if (v === 'head') return 'head';
  const m = /^(?:top-?)?(\d+)$/.exec(String(v));
  if (!m)
    throw new EngineError(
      'bad-option',
      `--train-layers "${v}" is not all, head or top-K.`,
      'For example --train-layers top-2 (the top two layers and the head).',
    );
  return Number(m[1]);
}

export async function runFineTuneCommand(
  args: FineTuneArgs,
  io: { log(line: string): void; onProgress?: (p: FineTuneProgress) => void },
  engine: Engine,
  signal?: AbortSignal,
): Promise<FineTuneJsonResult> {
  const t0 = performance.now();
  if (args.task && !FINE_TUNE_TASKS.includes(args.task))
    throw new EngineError('bad-option', `Unknown task "${args.task}".`, `Use one of: ${FINE_TUNE_TASKS.join(', ')}.`);
  const trainLayers = parseTrainLayers(args.trainLayers);
  if (args.classWeights !== undefined && !['auto', 'balanced', 'none'].includes(args.classWeights))
    throw new EngineError(
      'bad-option',
      `--class-weights "${args.classWeights}" is not auto, balanced or none.`,
      'auto (the default) weighs the classes (the tags, for token classification) when the largest is at least 3× the smallest; balanced always; none never.',
    );
  const seed = args.seed ?? DEFAULT_SEED;
  const splitSeed = args.splitSeed ?? seed;
  const data = loadTaskData(args.data, {
    task: args.task,
    seed: splitSeed,
    textColumn: args.textColumn,
    labelColumn: args.labelColumn,
    pairColumn: args.pairColumn,
  });
  for (const w of 'warnings' in data.dataset ? data.dataset.warnings : []) io.log(`warning: ${w.message}`);
  const output = args.output ?? defaultFineTunedDir(data.dataset.path);
  checkOutputDir(output); // before hours of training, not after
  io.log(`Loading model…`);
  const model = await engine.model({ model: args.model, variant: args.variant }, { signal });
  io.log(
    `Fine-tuning ${model.id} for ${data.task} (${data.split.train.length} train / ${data.split.val.length} validation / ${data.split.test.length} test)`,
  );
  let lastLog = 0;
  const outcome = await fineTune(
    model,
    data,
    { ...args, trainLayers },
    {
      signal,
      onProgress: (p) => {
        io.onProgress?.(p);
        if (p.phase === 'step') {
          const now = performance.now();
          if (now - lastLog > 5000 || p.step === p.totalSteps || p.step === 1) {
            lastLog = now;
            io.log(
              `epoch ${p.epoch}  step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  ${p.examplesPerSecond.toFixed(1)} ex/s  ETA ${formatDuration(p.etaSeconds)}`,
            );
          }
        } else if (p.phase === 'epoch')
          io.log(
            `epoch ${p.epoch} done: train loss ${p.trainLoss.toFixed(4)}, validation ${(100 * p.valMetric).toFixed(1)}%${p.best ? ' (best so far)' : ''}`,
          );
        else if (p.phase === 'loading') io.log(`${p.message}…`);
        else if (p.phase === 'evaluating' && p.what !== 'validation') io.log(`${evaluatingMessage(p.what)}…`);
      },
    },
  );
  if (outcome.cancelled)
    io.log(`Cancelled: keeping the best epoch so far (${outcome.bestEpoch}); resume with --resume.`);
  if (outcome.pooling) io.log(`Head pooling: ${outcome.pooling.kind} — ${outcome.pooling.reason}.`);
  const report = {
    created: new Date().toISOString(),
    data: args.data,
    task: outcome.task,
    model: model.id,
    split: {
      seed: splitSeed,
      train: outcome.trainSize,
      validation: outcome.valSize,
      test: outcome.testSize,
    },
    training: {
      seed,
      learning_rate: outcome.learningRate,
      epochs: outcome.epochs,
      best_epoch: outcome.bestEpoch,
      stopped_early: outcome.stoppedEarly,
      cancelled: outcome.cancelled,
      train_layers: String(trainLayers),
      trainable_values: outcome.trainable.values,
      max_length: outcome.maxLength,
      pooling: outcome.pooling,
      class_weights: outcome.classWeights ?? null,
      dropout: outcome.dropout,
      long_texts: outcome.longTexts,
    },
    metrics: outcome.metrics,
    quantized_metrics: outcome.quantizedMetrics,
    baselines: outcome.baselines,
    history: outcome.history,
    candidates: outcome.candidates,
    recommendation: outcome.recommendation,
  };
  const dir = saveFineTuned({
    dir: output,
    source: model.folder,
    task: outcome.task,
    labels: outcome.labels,
    bytes: outcome.bytes,
    maxLength: outcome.maxLength,
    report,
    info: { pooling: outcome.pooling?.kind, train_layers: String(trainLayers) },
  });
  const r: FineTuneJsonResult = {
    mode: 'fine-tune',
    task: outcome.task,
    epochs: outcome.history.length,
    train_size: outcome.trainSize,
    test_size: outcome.testSize,
    metrics: outcome.metrics,
    baselines: outcome.baselines,
    history: outcome.history,
    seconds: Math.round((performance.now() - t0) / 10) / 100,
    output: dir,
    quantized_metrics: outcome.quantizedMetrics,
    best_epoch: outcome.bestEpoch,
    stopped_early: outcome.stoppedEarly,
    cancelled: outcome.cancelled,
    learning_rate: outcome.learningRate,
    train_layers: String(trainLayers),
    pooling: outcome.pooling?.kind,
    class_weights: {
      mode: args.classWeights ?? 'auto',
      weights: outcome.classWeights
        ? Object.fromEntries(outcome.labels.map((l, i) => [l, Math.round(outcome.classWeights![i] * 1e4) / 1e4]))
        : null,
    },
    examples_per_second: Math.round(outcome.examplesPerSecond * 10) / 10,
    validation_size: outcome.valSize,
    dropout: outcome.dropout,
    seed,
    split_seed: splitSeed,
    ...(outcome.longTexts ? { long_texts: outcome.longTexts } : {}),
    train_windows: outcome.trainWindows,
    ...(outcome.candidates ? { candidates: outcome.candidates } : {}),
    ...(outcome.recommendation ? { recommendation: outcome.recommendation } : {}),
  };
  return r;
}
