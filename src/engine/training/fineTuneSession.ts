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
import { type FineTuneOutcome, fineTune } from './fineTune';
import { type TrainingReport, summarize } from './report';
import type { TrainRequest, TrainingProgress } from './session';
import { DEFAULT_SEED } from './data/split';
import { type TaskData, loadTaskData } from './taskData';
import { loadSplitFiles } from './data/data';
import { ensureValidation } from './data/split';
import type { Dataset, TrainView } from './types';
import { labelCounts } from './data/dataChecks';

export interface FineTunedRun {
  id: string;
  dataset: Dataset;
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

export async function runFineTuneSession(engine: Engine, req: TrainRequest, ctx: { signal?: AbortSignal; onProgress?: (p: TrainingProgress) => void }): Promise<FineTunedRun> {
  ctx.onProgress?.({ phase: 'loading', message: 'Reading data' });
  const seed = req.seed ?? DEFAULT_SEED;
  const task = req.pairColumn ? 'pair' : 'sequence';
  let data: TaskData;
  if (req.splitFiles) {
    const ds = loadSplitFiles(req.splitFiles, req);
    data = { task, dataset: ds, split: ensureValidation(ds.givenSplit!, ds.examples, ds.labels, seed) };
  } else data = loadTaskData(req.data, { ...req, seed, task });
  if (data.task !== 'sequence' && data.task !== 'pair') throw new EngineError('internal', 'The sidebar fine-tunes sequence and pair classifiers.');
  ctx.onProgress?.({ phase: 'loading', message: 'Loading model' });
  const model = await engine.model(req.spec ?? {}, { signal: ctx.signal });
  const fmt = (s: number) => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);
  const outcome = await fineTune(model, data, { seed, epochs: req.epochs, learningRate: req.learningRate, maxLength: req.maxLength, classWeights: req.classWeights === 'none' ? 'none' : 'auto' }, {
    signal: ctx.signal,
    onProgress: (p) => {
      if (p.phase === 'loading') ctx.onProgress?.({ phase: 'loading', message: p.message });
      else if (p.phase === 'step') ctx.onProgress?.({ phase: 'loading', message: `Fine-tuning: epoch ${p.epoch}, step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(3)}, lr ${p.lr.toExponential(1)}, ${p.examplesPerSecond.toFixed(1)} ex/s, ETA ${fmt(p.etaSeconds)}` });
      else if (p.phase === 'epoch') ctx.onProgress?.({ phase: 'train', epoch: p.epoch, loss: p.trainLoss, valAccuracy: p.valMetric });
      else if (p.phase === 'evaluating') ctx.onProgress?.(p.what === 'test' ? { phase: 'baselines' } : { phase: 'loading', message: p.what === 'candidates' ? 'Scoring the frozen, hybrid and TF-IDF candidates' : `Evaluating on the ${p.what} split` });
    },
  });
  ctx.onProgress?.({ phase: 'done' });
  const ds = data.dataset;
  const full = outcome.sequenceMetrics!;
  const base = outcome.sequenceBaselines!;
  const report: TrainingReport = {
    created: new Date().toISOString(),
    data: { path: ds.path, format: ds.format, text_column: ds.textColumn, label_column: ds.labelColumn, ...(ds.pairColumn ? { pair_column: ds.pairColumn } : {}), size: ds.examples.length, label_counts: Object.fromEntries(ds.labels.map((l, i) => [l, labelCounts(ds.examples, ds.labels)[i]])), warnings: ds.warnings.map((w) => w.message) },
    split: { seed, given: !!ds.givenSplit, train: outcome.trainSize, validation: outcome.valSize, test: outcome.testSize },
    encoder: { model: model.id, variant: 'fp32 (fine-tuned)', layers: [model.folder.numLayers], pooling: outcome.pooling?.kind ?? 'cls', max_length: outcome.maxLength, dim: model.folder.hiddenSize },
    head: { kind: 'fine-tuned', best_epoch: outcome.bestEpoch, epochs_run: outcome.history.length, stopped_early: outcome.stoppedEarly, class_weights: 'auto' },
    metrics: summarize(full),
    baselines: { majority: summarize(base.majority), tfidf_lr: summarize(base.tfidf_lr) },
    history: outcome.history.map((h) => ({ epoch: h.epoch, loss: h.train_loss, valAccuracy: h.val_metric })),
    seconds: { features: 0, head: outcome.seconds, baselines: 0, total: outcome.seconds },
    ...(outcome.candidates ? { candidates: outcome.candidates } : {}),
    ...(outcome.recommendation ? { recommendation: outcome.recommendation } : {}),
  };
  return { id: `${path.basename(ds.path)}-ft-${Date.now().toString(36)}`, dataset: ds, model, outcome, report };
}

export function fineTunedView(run: FineTunedRun): TrainView {
  const { dataset, outcome } = run;
  const examples = (outcome.testPredictions ?? []).map((p) => {
    const e = dataset.examples[p.index];
    return { text: e.text.length > 240 ? `${e.text.slice(0, 240)}…` : e.text, file: e.source.file, line: e.source.line, label: dataset.labels[p.label], predicted: dataset.labels[p.predicted], score: p.probabilities[p.predicted] };
  });
  return { runId: run.id, labels: dataset.labels, report: run.report, examples, cells: outcome.sequenceMetrics!.confusionExamples };
}

export function saveFineTunedRun(run: FineTunedRun, dir: string | undefined, overwrite?: boolean): string {
  const base = run.dataset.path.replace(/\.(csv|tsv|tab|jsonl|ndjson)$/i, '');
  return saveFineTuned({ dir: dir ?? `${base}-finetuned`, source: run.model.folder, task: run.outcome.task, labels: run.outcome.labels, bytes: run.outcome.bytes, maxLength: run.outcome.maxLength, report: run.report, overwrite, info: { pooling: run.outcome.pooling?.kind } });
}

/** Probabilities of new texts with a fine-tuned run (in the worker, on its fp32 graph). */
export async function classifyWithFineTuned(run: FineTunedRun, texts: string[], pairs?: string[], signal?: AbortSignal): Promise<number[][]> {
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
