// Worker methods of distillation (merged into the engine worker's method table): `trainingDistill` distils and
// keeps the student in the worker by run id; `trainingDistillSave` writes it in hub layout. The CLI's
// `bert-lens distill` and the sidebar's Distill mode both call them through the worker client.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelSpec } from '../api';
import { EngineError } from '../errors';
import type { Method, MethodTable } from '../rpc';
import { type DistillOptions, type DistillOutcome, type DistillProgress, type DistillSide, distill } from './distill';
import type { EpochRecord } from './fineTune';
import { checkOutputDir, saveFineTuned } from './fineTuneExport';
import { loadTaskData } from './taskData';

export interface DistillRequest extends Omit<DistillOptions, 'cacheDir'> {
  /** Any sequence-classification model (folder, hub id). */
  teacher: ModelSpec;
  /** The student (default: the embedded model). */
  student?: ModelSpec;
  /** CSV, TSV, JSONL, or a folder with train.* and test.*. */
  data: string;
  textColumn?: string;
  labelColumn?: string;
  pairColumn?: string;
}

/** What the caller gets back: the comparison, the training history and the run id to save the student. */
export interface DistillView {
  runId: string;
  teacher: DistillSide;
  student: DistillSide;
  labels: string[];
  history: EpochRecord[];
  best_epoch: number;
  cancelled: boolean;
  temperature: number;
  alpha: number;
  epochs: number;
  learning_rate: number;
  max_length: number;
  train_size: number;
  validation_size: number;
  test_size: number;
  /** Where the teacher's logits came from: computed now, or the memory / disk cache. */
  teacher_logits: DistillOutcome['teacherLogits'];
  student_head: DistillOutcome['studentHead'];
  pooling?: string;
  seconds: number;
  /** The default output folder (`<data>-distilled[-N]`). */
  suggested_output: string;
}

export interface DistillMethods {
  trainingDistill: Method<DistillRequest, DistillView, DistillProgress>;
  trainingDistillSave: Method<{ runId: string; dir?: string; overwrite?: boolean }, { dir: string }>;
}

interface DistillRun {
  id: string;
  request: DistillRequest;
  outcome: DistillOutcome;
  dataPath: string;
}

const runs = new Map<string, DistillRun>();
const MAX_RUNS = 2;

/** `<data>-distilled`, then `-2`, `-3`…: the first name that does not exist yet. */
export function defaultDistilledDir(dataPath: string): string {
  const abs = path.resolve(dataPath);
  const base = path.join(
    path.dirname(abs),
    `${path.basename(abs).replace(/\.(csv|tsv|tab|jsonl|ndjson)$/i, '')}-distilled`,
  );
  if (!fs.existsSync(base)) return base;
  for (let i = 2; ; i++) if (!fs.existsSync(`${base}-${i}`)) return `${base}-${i}`;
}

export function distillView(run: DistillRun): DistillView {
  const o = run.outcome;
  return {
    runId: run.id,
    teacher: o.teacher,
    student: o.student,
    labels: o.labels,
    history: o.history,
    best_epoch: o.bestEpoch,
    cancelled: o.cancelled,
    temperature: o.temperature,
    alpha: o.alpha,
    epochs: o.epochs,
    learning_rate: o.learningRate,
    max_length: o.maxLength,
    train_size: o.trainSize,
    validation_size: o.valSize,
    test_size: o.testSize,
    teacher_logits: o.teacherLogits,
    student_head: o.studentHead,
    pooling: o.pooling?.kind,
    seconds: Math.round(o.seconds * 100) / 100,
    suggested_output: defaultDistilledDir(run.dataPath),
  };
}

/** Writes a distilled student in hub layout (config with id2label, onnx/model.onnx and its int8 file). */
export function saveDistilled(run: DistillRun, dir: string, overwrite = false): string {
  const o = run.outcome;
  checkOutputDir(dir, overwrite);
  const report = {
    created: new Date().toISOString(),
    data: run.dataPath,
    kind: 'distillation',
    teacher: o.teacher,
    student: o.student,
    temperature: o.temperature,
    alpha: o.alpha,
    learning_rate: o.learningRate,
    epochs: o.epochs,
    best_epoch: o.bestEpoch,
    history: o.history,
    split: { train: o.trainSize, validation: o.valSize, test: o.testSize },
  };
  return saveFineTuned({
    dir,
    source: o.studentFolder,
    task: 'sequence',
    labels: o.labels,
    bytes: o.bytes,
    maxLength: o.maxLength,
    report,
    overwrite,
    info: {
      distilled_from: o.teacher.model,
      temperature: o.temperature,
      alpha: o.alpha,
      layers: o.student.layers,
      pooling: o.pooling?.kind,
    },
  });
}

export const distillMethods: MethodTable<keyof DistillMethods> = {
  trainingDistill: async (engine, params, ctx) => {
    if (!params.teacher)
      throw new EngineError(
        'bad-option',
        'Distillation needs a teacher model.',
        'Name a sequence-classification model, e.g. one saved by `bert-lens train --mode fine-tune`.',
      );
    ctx.progress({ phase: 'loading', message: 'Reading data' });
    const data = loadTaskData(params.data, {
      seed: params.seed,
      textColumn: params.textColumn,
      labelColumn: params.labelColumn,
      pairColumn: params.pairColumn,
      task: params.pairColumn ? 'pair' : undefined,
    });
    ctx.progress({ phase: 'loading', message: 'Loading the teacher and the student' });
    const outcome = await engine.use(params.teacher, { signal: ctx.signal }, (teacher) =>
      engine.use(params.student ?? {}, { signal: ctx.signal }, (student) => {
        const {
          teacher: _t,
          student: _s,
          data: _d,
          textColumn: _tc,
          labelColumn: _lc,
          pairColumn: _pc,
          ...opts
        } = params;
        return distill(teacher, student, data, opts, { signal: ctx.signal, onProgress: ctx.progress });
      }),
    );
    const run: DistillRun = {
      id: `distill-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`,
      request: params,
      outcome,
      dataPath: data.dataset.path,
    };
    runs.set(run.id, run);
    while (runs.size > MAX_RUNS) runs.delete(runs.keys().next().value as string);
    return distillView(run);
  },
  trainingDistillSave: async (_engine, params) => {
    const run = runs.get(params.runId);
    if (!run)
      throw new EngineError(
        'training-run-missing',
        'That distilled student is no longer in memory.',
        'Distil it again (the teacher’s logits are cached, so it is quicker).',
      );
    return { dir: saveDistilled(run, params.dir ?? defaultDistilledDir(run.dataPath), params.overwrite) };
  },
};
