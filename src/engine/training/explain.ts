// "Why this label?" for a test example of a trained run (the Classifier Trainer's results): gradient saliency of
// the predicted label through the trained network itself. The run is written once as a model folder in a
// temporary directory (the fine-tuned fp32 graph, or the frozen encoder + pooling + head graph that "Save as
// model folder" writes), loaded as any model, and explained with the `saliency` task, so the numbers are exactly
// those of `bert-lens saliency --label L` on the saved folder. The folder and its sessions go with the run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SaliencyMethod, SaliencyResult } from '../api';
import { EngineError } from '../errors';
import { LoadedModel } from '../model';
import { saliency } from '../tasks/saliency';
import { saveFineTuned } from './fineTuneExport';
import type { FineTunedRun } from './fineTuneSession';
import { saveClassifier } from './save';
import type { TrainRun } from './session';
import { EncoderFeatureExtractor } from './extractor';

export interface ExplainExampleRequest {
  runId: string;
  /** Index into the run's test examples (TrainView.examples; confusion cells hold these indexes). */
  example: number;
  method?: SaliencyMethod;
  steps?: number;
}

export interface ExplainedExample extends SaliencyResult {
  /** The example explained: where it came from, its true and predicted labels. */
  example: { index: number; file: string; line: number; label: string; predicted: string; text: string; pair?: string };
  /** Which network the gradients went through. */
  network: 'fine-tuned' | 'frozen-head';
}

interface Explainer {
  dir: string;
  model: Promise<LoadedModel>;
}

const explainers = new Map<string, Explainer>();
let exitHook = false;
const PREFIX = 'bert-lens-why-';
const DAY_MS = 24 * 3600 * 1000;

/** Folders left behind by a worker that was killed (an editor closed mid-session): removed after a day. */
function sweepStale(): void {
  try {
    for (const n of fs.readdirSync(os.tmpdir())) {
      if (!n.startsWith(PREFIX)) continue;
      const p = path.join(os.tmpdir(), n);
      if (Date.now() - fs.statSync(p).mtimeMs > DAY_MS) fs.rmSync(p, { recursive: true, force: true });
    }
  } catch {
    // a temporary folder we cannot list or remove: leave it
  }
}

/** The run written as a model folder (once) and loaded with its fp32 graph. */
function explainerFor(runId: string, write: (dir: string) => void): Explainer {
  let x = explainers.get(runId);
  if (x) return x;
  if (!exitHook) {
    exitHook = true;
    sweepStale();
    process.once('exit', () => {
      for (const e of explainers.values()) fs.rmSync(e.dir, { recursive: true, force: true });
    });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
  const model = (async () => {
    write(dir);
    return LoadedModel.load(`trained run ${runId}`, dir, 'fp32', 'cpu');
  })();
  x = { dir, model };
  explainers.set(runId, x);
  model.catch(() => disposeExplainer(runId));
  return x;
}

/** Frees the run's explanation model and deletes its temporary folder. */
export async function disposeExplainer(runId: string): Promise<void> {
  const x = explainers.get(runId);
  if (!x) return;
  explainers.delete(runId);
  try {
    await (await x.model).dispose();
  } catch {
    // failed to load: nothing to free
  }
  fs.rmSync(x.dir, { recursive: true, force: true });
}

function checkIndex(example: number, count: number): void {
  if (!Number.isInteger(example) || example < 0 || example >= count) {
    throw new EngineError(
      'explain-example',
      `Test example ${example} does not exist (the run has ${count}).`,
      'Pick an example from the results list.',
    );
  }
}

/** Saliency of the predicted label of a fine-tuned run's test example, through the fine-tuned graph. */
export async function explainFineTunedExample(
  run: FineTunedRun,
  req: ExplainExampleRequest,
  signal?: AbortSignal,
): Promise<ExplainedExample> {
  if (!('columns' in run.dataset))
    throw new EngineError(
      'explain-example',
      '"Why this label?" explains sequence and pair classification runs; this run tags tokens or answers questions.',
      'Use Explain Prediction on the saved model instead.',
    );
  const dataset = run.dataset;
  const preds = run.outcome.testPredictions ?? [];
  checkIndex(req.example, preds.length);
  const p = preds[req.example];
  const x = explainerFor(run.id, (dir) =>
    saveFineTuned({
      dir,
      overwrite: true,
      skipQuantized: true,
      source: run.model.folder,
      task: run.outcome.task,
      labels: run.outcome.labels,
      bytes: run.outcome.bytes,
      maxLength: run.outcome.maxLength,
      info: { pooling: run.outcome.pooling?.kind },
    }),
  );
  return explain(
    await x.model,
    dataset.examples[p.index],
    dataset.labels[p.label],
    run.outcome.labels[p.predicted],
    req,
    'fine-tuned',
    signal,
  );
}

/** Saliency of the predicted label of a frozen-head run's test example, through encoder + pooling + head. Only
 *  when the features came from the fp32 encoder: the int8 encoder has no gradients, and explaining the head on
 *  fp32 features would explain another network than the one that predicted. */
export async function explainFrozenExample(
  run: TrainRun,
  req: ExplainExampleRequest,
  signal?: AbortSignal,
): Promise<ExplainedExample> {
  const preds = run.outcome.predictions;
  checkIndex(req.example, preds.length);
  const c = run.outcome.classifier;
  if (!(c.extractor instanceof EncoderFeatureExtractor))
    throw new EngineError(
      'explain-frozen',
      'This classifier was not trained on an ONNX encoder, so its labels cannot be explained.',
      'Train with a model folder.',
    );
  const variant = c.extractor.model.variant;
  if (variant !== 'fp32') {
    throw new EngineError(
      'explain-frozen',
      `This head was trained on features of the ${variant === 'quantized' ? 'int8' : variant} encoder, which has no gradients, so its labels cannot be explained.`,
      'Train with Mode "fine-tune the encoder" (or set bertLens.variant to fp32) and ask again; a saved fine-tuned model can also be explained with Explain Prediction.',
    );
  }
  const p = preds[req.example];
  const x = explainerFor(run.id, (dir) =>
    saveClassifier(c, run.report, { dir, dataPath: run.dataset.path, overwrite: true }),
  );
  return explain(
    await x.model,
    run.dataset.examples[p.index],
    run.dataset.labels[p.label],
    run.dataset.labels[p.predicted],
    req,
    'frozen-head',
    signal,
  );
}

async function explain(
  m: LoadedModel,
  e: { text: string; pair?: string; source: { file: string; line: number } },
  label: string,
  predicted: string,
  req: ExplainExampleRequest,
  network: ExplainedExample['network'],
  signal?: AbortSignal,
): Promise<ExplainedExample> {
  const r = await saliency(
    m,
    { text: e.text, pair: e.pair, label: predicted, method: req.method ?? 'grad-input', steps: req.steps },
    { signal },
  );
  return {
    ...r,
    example: {
      index: req.example,
      file: e.source.file,
      line: e.source.line,
      label,
      predicted,
      text: e.text,
      ...(e.pair !== undefined ? { pair: e.pair } : {}),
    },
    network,
  };
}

/** The temporary folder a run is explained from, while it exists (tests). */
export function explainerFolder(runId: string): string | undefined {
  return explainers.get(runId)?.dir;
}
