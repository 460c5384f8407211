// One training run from plain parameters: what the worker methods (sidebar) and `bert-lens train` (CLI) share.
import * as path from 'node:path';
import type { ModelSpec } from '../api';
import type { Engine } from '../engine';
import { EngineError } from '../errors';
import { loadDataset, loadSplitFiles } from './data/data';
import { EncoderFeatureExtractor } from './extractor';
import { capLongTexts } from './longTexts';
import { type TrainingReport, buildReport } from './report';
import { DEFAULT_SEED } from './data/split';
import { type TrainOptions, type TrainOutcome, type TrainProgress, trainClassifier } from './train';
import type { Dataset, LoadOptions } from './types';
import type { PoolingKind } from './onnxHead';

export interface TrainRequest extends LoadOptions, Omit<TrainOptions, 'l2' | 'skipTfidf'> {
  /** A CSV/TSV/JSONL file or a folder-per-label folder. */
  data: string;
  /** Separate files that define the split (same columns as `data`, which is then ignored). */
  splitFiles?: { train: string; val?: string; test: string };
  spec?: ModelSpec;
  layer?: number;
  lastLayers?: number;
  pooling?: PoolingKind;
  maxLength?: number;
  /** 'fine-tune' trains the encoder (fineTuneSession.ts); 'auto' fine-tunes when the model has an fp32 variant;
   *  'frozen' (default here) trains a head on frozen features. */
  mode?: 'auto' | 'fine-tune' | 'frozen';
  /** Fine-tuning only. */
  epochs?: number;
  learningRate?: number;
  /** 'all' (default), 'head', 'top-K' or K. */
  trainLayers?: string | number;
  freezeEmbeddings?: boolean;
  /** Fine-tuning: the head's dropout rate while training (default: the model's config; 0: none). */
  dropout?: number;
  /** Fine-tuning single texts: 'windows' (default) or 'truncate'. */
  longTexts?: 'windows' | 'truncate';
  /** Continue from the last epoch's checkpoint of the same run (same data and settings). */
  resume?: boolean;
  /** Fine-tuning shape; default: detected from the data (CoNLL / token JSONL → token, SQuAD → qa). */
  task?: 'sequence' | 'pair' | 'token' | 'qa';
}

export interface TrainRun {
  id: string;
  dataset: Dataset;
  outcome: TrainOutcome;
  report: TrainingReport;
}

/** What a training run reports: reading data and loading the model, then the phases of trainClassifier. */
export type TrainingProgress = TrainProgress | { phase: 'loading'; message: string };

export async function runTraining(
  engine: Engine,
  req: TrainRequest,
  ctx: { signal?: AbortSignal; onProgress?: (p: TrainingProgress) => void },
): Promise<TrainRun> {
  if (!req.data && !req.splitFiles)
    throw new EngineError(
      'data-missing',
      'No data given.',
      'Pass a CSV, TSV or JSONL file, or a folder with one sub-folder per label.',
    );
  ctx.onProgress?.({ phase: 'loading', message: 'Reading data' });
  const dataset = req.splitFiles ? loadSplitFiles(req.splitFiles, req) : loadDataset(req.data, req);
  ctx.onProgress?.({ phase: 'loading', message: 'Loading model' });
  const model = await engine.model(req.spec ?? {}, { signal: ctx.signal });
  const extractor = await EncoderFeatureExtractor.create(model, {
    layer: req.layer,
    lastLayers: req.lastLayers,
    pooling: req.pooling,
    maxLength: req.maxLength,
  });
  const capped = capLongTexts(dataset, extractor.maxLength);
  if (capped) dataset.warnings.push(capped);
  const seed = req.seed ?? DEFAULT_SEED;
  const outcome = await trainClassifier(
    dataset,
    extractor,
    {
      head: req.head,
      hidden: req.hidden,
      seed,
      valFraction: req.valFraction,
      testFraction: req.testFraction,
      classWeights: req.classWeights,
      maxEpochs: req.maxEpochs,
      cacheDir: req.cacheDir,
    },
    ctx,
  );
  const report = buildReport(dataset, outcome, {
    seed,
    model: model.id,
    variant: model.variant,
    layers: extractor.layers,
    pooling: extractor.spec.pooling,
    maxLength: extractor.maxLength,
    classWeights: req.classWeights ?? 'balanced',
  });
  return { id: `${path.basename(dataset.path)}-${Date.now().toString(36)}`, dataset, outcome, report };
}
