// `bert-lens distill`: teacher → student distillation through the worker client (trainingDistill, then
// trainingDistillSave), progress lines while it trains, then teacher and student side by side.
import type { ModelSpec, Variant } from '../engine/api';
import type { EngineClient } from '../engine/client';
import type { DistillSide } from '../engine/training/distill';
import { type DistillView, defaultDistilledDir } from '../engine/training/distillMethods';
import { checkOutputDir } from '../engine/training/fineTuneExport';
import { type ParsedArgs, UsageError, stringOption } from './args';
import { table } from './format';
import { emitJson } from './jsonWriter';
import type { Io } from './command';

export const DISTILL_USAGE = `distill --teacher M --data FILE|DIR   train a student on a classifier's soft labels; compare both
      [--student M] [--student-layers N] [--epochs N] [--temperature T] [--alpha A] [--lr X]
      [--batch-size N] [--max-length N] [--text-column C] [--label-column L] [--pair-column P]
      [--seed S] [--output DIR]   (M: a folder, a hub id, or "embedded"; the student defaults to embedded)`;

/** The stable --json shape: teacher and student with accuracy, macro_f1, ms_per_example, parameters (plus
 *  extras), and the output folder. */
export interface DistillJsonResult {
  teacher: DistillSide;
  student: DistillSide;
  output: string;
  labels: string[];
  temperature: number;
  alpha: number;
  epochs: number;
  best_epoch: number;
  history: DistillView['history'];
  train_size: number;
  test_size: number;
  teacher_logits: DistillView['teacher_logits'];
  student_head: DistillView['student_head'];
  accuracy_kept: number;
  seconds: number;
}

type DistillClient = Pick<EngineClient, 'trainingDistill' | 'trainingDistillSave'>;

function num(args: ParsedArgs, name: string, check: (x: number) => boolean, what: string): number | undefined {
  const v = stringOption(args, name);
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || !check(x)) throw new UsageError(`--${name} needs ${what}, not "${v}".`);
  return x;
}

function modelSpec(args: ParsedArgs, m: string | undefined): ModelSpec {
  return {
    model: m,
    variant: stringOption(args, 'variant') as Variant | undefined,
    offline: args.options.offline === true,
    cacheDir: stringOption(args, 'cache-dir'),
  };
}

export async function runDistill(args: ParsedArgs, io: Io, client: DistillClient): Promise<number> {
  const teacher = stringOption(args, 'teacher');
  if (!teacher)
    throw new UsageError(
      'distill needs --teacher M (a sequence-classification model, e.g. a folder saved by `bert-lens train --mode fine-tune`).',
    );
  const data = stringOption(args, 'data') ?? args.positionals[0];
  if (!data)
    throw new UsageError('distill needs --data FILE (CSV, TSV, JSONL) or a folder with train.* and test.* files.');
  const json = args.options.json === true;
  const log = (line: string) => (json ? io.err(line) : io.out(line));
  const opts = {
    epochs: num(args, 'epochs', (x) => x >= 1 && Number.isInteger(x), 'a whole number ≥ 1'),
    temperature: num(args, 'temperature', (x) => x > 0, 'a number > 0'),
    alpha: num(args, 'alpha', (x) => x >= 0 && x <= 1, 'a number between 0 and 1'),
    seed: num(args, 'seed', (x) => Number.isInteger(x), 'a whole number'),
    learningRate: num(args, 'lr', (x) => x > 0, 'a number > 0'),
    batchSize: num(args, 'batch-size', (x) => x >= 1 && Number.isInteger(x), 'a whole number ≥ 1'),
    maxLength: num(args, 'max-length', (x) => x >= 8 && Number.isInteger(x), 'a whole number ≥ 8'),
    studentLayers: num(args, 'student-layers', (x) => x >= 1 && Number.isInteger(x), 'a whole number ≥ 1'),
  };
  const output = stringOption(args, 'output') ?? defaultDistilledDir(data);
  checkOutputDir(output); // before the training, not after
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once('SIGINT', onInt);
  let lastLog = 0;
  let view: DistillView;
  try {
    log(`Distilling ${teacher} into ${stringOption(args, 'student') ?? 'the embedded model'}…`);
    view = await client.trainingDistill(
      {
        teacher: modelSpec(args, teacher),
        student: modelSpec(args, stringOption(args, 'student')),
        data,
        textColumn: stringOption(args, 'text-column'),
        labelColumn: stringOption(args, 'label-column'),
        pairColumn: stringOption(args, 'pair-column'),
        ...opts,
      },
      {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.phase === 'loading') log(`${p.message}…`);
          else if (p.phase === 'step') {
            const now = performance.now();
            if (now - lastLog > 5000 || p.step === 1 || p.step === p.totalSteps) {
              lastLog = now;
              log(
                `epoch ${p.epoch}  step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  ${p.examplesPerSecond.toFixed(1)} ex/s`,
              );
            }
          } else if (p.phase === 'epoch')
            log(
              `epoch ${p.epoch} done: train loss ${p.trainLoss.toFixed(4)}, validation accuracy ${(100 * p.valAccuracy).toFixed(1)}%${p.best ? ' (best so far)' : ''}`,
            );
        },
      },
    );
  } finally {
    process.off('SIGINT', onInt);
  }
  if (view.cancelled) log(`Cancelled: keeping the best epoch so far (${view.best_epoch}).`);
  const { dir } = await client.trainingDistillSave({ runId: view.runId, dir: output });
  const kept = view.teacher.accuracy > 0 ? view.student.accuracy / view.teacher.accuracy : 0;
  const r: DistillJsonResult = {
    teacher: view.teacher,
    student: view.student,
    output: dir,
    labels: view.labels,
    temperature: view.temperature,
    alpha: view.alpha,
    epochs: view.history.length,
    best_epoch: view.best_epoch,
    history: view.history,
    train_size: view.train_size,
    test_size: view.test_size,
    teacher_logits: view.teacher_logits,
    student_head: view.student_head,
    accuracy_kept: Math.round(kept * 10000) / 10000,
    seconds: view.seconds,
  };
  if (json) {
    await emitJson(io, r);
    return 0;
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const row = (name: string, s: DistillSide) => [
    name,
    s.model,
    String(s.layers),
    pct(s.accuracy),
    pct(s.macro_f1),
    s.ms_per_example.toFixed(2),
    (s.parameters / 1e6).toFixed(2) + 'M',
    mb(s.size_bytes),
  ];
  io.out('');
  io.out(
    `test split (${r.test_size} examples; student trained on ${r.train_size}, T = ${r.temperature}, α = ${r.alpha}):`,
  );
  io.out(
    table(
      ['', 'model', 'layers', 'accuracy', 'macro-F1', 'ms/example', 'parameters', 'size'],
      [row('teacher', r.teacher), row('student', r.student)],
    ),
  );
  io.out(
    `The student keeps ${pct(kept)} of the teacher's accuracy with ${pct(r.student.parameters / Math.max(1, r.teacher.parameters))} of its parameters, at ${(r.student.ms_per_example / Math.max(1e-9, r.teacher.ms_per_example)).toFixed(2)}× its time per example (both fp32, same batches, alternately).`,
  );
  io.out(`Saved to ${dir} (${r.seconds} s)`);
  return 0;
}
