// Fine-tuning from the sidebar: the same worker call as the frozen trainer (trainingTrain with mode), returning
// the same view (report, test examples, confusion cells), so the sidebar shows metrics beside the baselines,
// saves and classifies with either kind of run.
import * as path from 'node:path';
import type { Engine } from '../engine';
import { EngineError, throwIfAborted } from '../errors';
import type { LoadedModel } from '../model';
import { openSession } from '../runtime';
import { truncateEncoded } from './extractor';
import { saveFineTuned } from './fineTuneExport';
import { type FineTuneOutcome, evaluatingMessage, fineTune } from './fineTune';
import { parseTrainLayers } from './fineTuneCommand';
import { type TrainingReport, summarize } from './report';
import type { TrainRequest, TrainingProgress } from './session';
import { DEFAULT_SEED } from './data/split';
import { type TaskData, loadTaskData } from './taskData';
import { loadSplitFiles } from './data/data';
import { ensureValidation } from './data/split';
import type { Dataset, TrainView } from './types';
import { labelCounts } from './data/dataChecks';
import { formatDuration } from '../math';

export interface FineTunedRun {
  id: string;
  /** Sequence/pair: the labelled texts; token and QA runs keep their own datasets. */
  dataset: TaskData['dataset'];
  model: LoadedModel;
  outcome: FineTuneOutcome;
  report: TrainingReport;
}

/** True when the request asks for fine-tuning, or for 'auto' and the model has an fp32 variant. */
export async function wantsFineTune(engine: Engine, req: TrainRequest, signal?: AbortSignal): Promise<boolean> {
  if (req.mode === 'fine-tune') return true;
  if (req.mode !== 'auto') return false;
  const m = await engine.model(req.spec ?? {}, { signal });
  return m.folder.variants.includes('fp32');
}

export async function runFineTuneSession(
  engine: Engine,
  req: TrainRequest,
  ctx: { signal?: AbortSignal; onProgress?: (p: TrainingProgress) => void },
): Promise<FineTunedRun> {
  ctx.onProgress?.({ phase: 'loading', message: 'Reading data' });
  const seed = req.seed ?? DEFAULT_SEED;
  const task = req.task ?? (req.pairColumn ? 'pair' : undefined);
  let data: TaskData;
  if (req.splitFiles) {
    const ds = loadSplitFiles(req.splitFiles, req);
    data = {
      task: task === 'pair' ? 'pair' : 'sequence',
      dataset: ds,
      split: ensureValidation(ds.givenSplit!, ds.examples, ds.labels, seed),
    };
  } else data = loadTaskData(req.data, { ...req, seed, task });
  ctx.onProgress?.({ phase: 'loading', message: 'Loading model' });
  const model = await engine.model(req.spec ?? {}, { signal: ctx.signal });
  const outcome = await fineTune(
    model,
    data,
    {
      seed,
      epochs: req.epochs,
      learningRate: req.learningRate,
      maxLength: req.maxLength,
      classWeights: req.classWeights === 'none' ? 'none' : 'auto',
      trainLayers: parseTrainLayers(req.trainLayers),
      freezeEmbeddings: req.freezeEmbeddings,
      dropout: req.dropout,
      longTexts: req.longTexts,
      resume: req.resume,
    },
    {
      signal: ctx.signal,
      onProgress: (p) => {
        if (p.phase === 'loading') ctx.onProgress?.({ phase: 'loading', message: p.message });
        else if (p.phase === 'step')
          ctx.onProgress?.({
            phase: 'loading',
            message: `Fine-tuning: epoch ${p.epoch}, step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(3)}, lr ${p.lr.toExponential(1)}, ${p.examplesPerSecond.toFixed(1)} ex/s, ETA ${formatDuration(p.etaSeconds)}`,
          });
        else if (p.phase === 'epoch')
          ctx.onProgress?.({ phase: 'train', epoch: p.epoch, loss: p.trainLoss, valAccuracy: p.valMetric });
        else if (p.phase === 'evaluating')
          ctx.onProgress?.(
            p.what === 'test' ? { phase: 'baselines' } : { phase: 'loading', message: evaluatingMessage(p.what) },
          );
      },
    },
  );
  ctx.onProgress?.({ phase: 'done' });
  const head: TrainingReport['head'] = {
    kind: 'fine-tuned',
    best_epoch: outcome.bestEpoch,
    epochs_run: outcome.history.length,
    stopped_early: outcome.stoppedEarly,
    class_weights: 'auto',
    learning_rate: outcome.learningRate,
    train_layers: String(req.trainLayers ?? 'all'),
    freeze_embeddings: !!req.freezeEmbeddings,
    dropout: outcome.dropout,
    ...(outcome.longTexts ? { long_texts: outcome.longTexts } : {}),
    ...(outcome.cancelled ? { cancelled: true } : {}),
    ...(outcome.resumedFrom !== undefined ? { resumed_from: outcome.resumedFrom } : {}),
  };
  const history = outcome.history.map((h) => ({ epoch: h.epoch, loss: h.train_loss, valAccuracy: h.val_metric }));
  const split = { seed, given: false, train: outcome.trainSize, validation: outcome.valSize, test: outcome.testSize };
  const encoder = {
    model: model.id,
    variant: 'fp32 (fine-tuned)',
    layers: [model.folder.numLayers],
    pooling: outcome.pooling?.kind ?? 'cls',
    max_length: outcome.maxLength,
    dim: model.folder.hiddenSize,
  };
  if (data.task === 'token' || data.task === 'qa') {
    // Entity P/R/F1 or SQuAD exact/F1 beside the task's baselines; no confusion matrix.
    const tds = data.dataset;
    const none = { accuracy: 0, macro_f1: 0, per_class: [], confusion: [] };
    const num = (m: object) => m as Record<string, number>;
    const report: TrainingReport = {
      created: new Date().toISOString(),
      data: {
        path: tds.path,
        format: tds.format,
        text_column: data.task === 'qa' ? 'question' : 'tokens',
        label_column: data.task === 'qa' ? 'answer' : 'tags',
        size: tds.examples.length,
        label_counts: {},
        warnings: tds.warnings.map((w) => w.message),
      },
      split,
      encoder,
      head,
      metrics: none,
      baselines: { majority: none, tfidf_lr: none },
      history,
      seconds: { features: 0, head: outcome.seconds, baselines: 0, total: outcome.seconds },
      task: data.task,
      task_metrics: {
        metrics: num(outcome.metrics),
        ...(outcome.quantizedMetrics ? { quantized: num(outcome.quantizedMetrics) } : {}),
        baselines: Object.fromEntries(Object.entries(outcome.baselines).map(([k, v]) => [k, num(v)])),
      },
    };
    return { id: `${path.basename(tds.path)}-ft-${Date.now().toString(36)}`, dataset: tds, model, outcome, report };
  }
  const ds = data.dataset;
  const full = outcome.sequenceMetrics!;
  const base = outcome.sequenceBaselines!;
  const report: TrainingReport = {
    created: new Date().toISOString(),
    data: {
      path: ds.path,
      format: ds.format,
      text_column: ds.textColumn,
      label_column: ds.labelColumn,
      ...(ds.pairColumn ? { pair_column: ds.pairColumn } : {}),
      size: ds.examples.length,
      label_counts: Object.fromEntries(ds.labels.map((l, i) => [l, labelCounts(ds.examples, ds.labels)[i]])),
      warnings: ds.warnings.map((w) => w.message),
    },
    split: { ...split, given: !!ds.givenSplit },
    encoder,
    head,
    metrics: summarize(full),
    baselines: { majority: summarize(base.majority), tfidf_lr: summarize(base.tfidf_lr) },
    history,
    seconds: { features: 0, head: outcome.seconds, baselines: 0, total: outcome.seconds },
    task: data.task,
    ...(outcome.candidates ? { candidates: outcome.candidates } : {}),
    ...(outcome.recommendation ? { recommendation: outcome.recommendation } : {}),
  };
  return { id: `${path.basename(ds.path)}-ft-${Date.now().toString(36)}`, dataset: ds, model, outcome, report };
}

export function fineTunedView(run: FineTunedRun): TrainView {
  const { outcome } = run;
  if (outcome.task === 'token' || outcome.task === 'qa')
    return {
      runId: run.id,
      labels: outcome.labels,
      report: run.report,
      examples: [],
      cells: [],
      ...(outcome.cancelled ? { resumable: true } : {}),
    };
  const dataset = run.dataset as Dataset;
  const examples = exampleRows(dataset, outcome.testPredictions ?? []);
  return {
    runId: run.id,
    labels: dataset.labels,
    report: run.report,
    examples,
    cells: outcome.sequenceMetrics!.confusionExamples,
    ...(outcome.cancelled ? { resumable: true } : {}),
  };
}

export function saveFineTunedRun(run: FineTunedRun, dir: string | undefined, overwrite?: boolean): string {
  const base = run.dataset.path.replace(/\.(csv|tsv|tab|jsonl|ndjson|json|conll|conllu|bio|iob|iob2|ner)$/i, '');
  return saveFineTuned({
    dir: dir ?? `${base}-finetuned`,
    source: run.model.folder,
    task: run.outcome.task,
    labels: run.outcome.labels,
    bytes: run.outcome.bytes,
    maxLength: run.outcome.maxLength,
    report: run.report,
    overwrite,
    info: { pooling: run.outcome.pooling?.kind },
  });
}

/** Probabilities of new texts with a fine-tuned run (in the worker, on its fp32 graph). */
export async function classifyWithFineTuned(
  run: FineTunedRun,
  texts: string[],
  pairs?: string[],
  signal?: AbortSignal,
): Promise<number[][]> {
  if (run.outcome.task !== 'sequence' && run.outcome.task !== 'pair')
    throw new EngineError(
      'bad-option',
      `This run fine-tuned a ${run.outcome.task === 'qa' ? 'QA' : 'token-classification'} model, which does not classify texts.`,
      `Save it, select the saved folder as the model, then use ${run.outcome.task === 'qa' ? 'Ask a Question' : 'Recognize Entities'}.`,
    );
  const session = await openSession(run.outcome.bytes, 'cpu');
  try {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i++) {
      throwIfAborted(signal);
      const enc = truncateEncoded(await run.model.tokenizer.encode(texts[i], pairs?.[i]), run.outcome.maxLength);
      const r = await session.run(run.model.feeds([enc], session), ['logits']);
      const z = Array.from(r.logits.data);
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      const s = e.reduce((a, b) => a + b, 0);
      out.push(e.map((v) => v / s));
    }
    return out;
  } finally {
    await session.dispose();
  }
}

/** The test examples as the sidebar lists them (text cut to 240 characters, label, prediction and its score);
 *  shared by frozen-head and fine-tuned runs. */
export function exampleRows(
  dataset: Dataset,
  predictions: readonly { index: number; label: number; predicted: number; probabilities: ArrayLike<number> }[],
): TrainView['examples'] {
  return predictions.map((p) => {
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
}
