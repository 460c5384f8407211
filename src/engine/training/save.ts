import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { EncoderFeatureExtractor } from './extractor';
import { type TrainingReport, modelCard } from './report';
import type { TrainedClassifier } from './train';

const TOKENIZER_FILES = [
  'tokenizer.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  'special_tokens_map.json',
  'spiece.model',
  'sentencepiece.bpe.model',
];

/** `<data>-classifier`, then `-2`, `-3`… next to the data: the first name that does not exist yet. */
export function defaultOutputDir(dataPath: string): string {
  const abs = path.resolve(dataPath);
  const base = path.join(
    path.dirname(abs),
    `${path.basename(abs).replace(/\.(csv|tsv|tab|jsonl|ndjson)$/i, '')}-classifier`,
  );
  if (!fs.existsSync(base)) return base;
  for (let i = 2; ; i++) if (!fs.existsSync(`${base}-${i}`)) return `${base}-${i}`;
}

function isEmptyDir(p: string): boolean {
  try {
    return fs.readdirSync(p).length === 0;
  } catch {
    return false;
  }
}

/** Which weights or metrics hold NaN or infinity (a model saved with them would answer NaN). */
function nonFiniteParts(c: TrainedClassifier, report: TrainingReport): string[] {
  const arrays: [string, ArrayLike<number> | undefined][] = [
    ['mean', c.mean],
    ['scale', c.scale],
    ['w1', c.head.w1],
    ['b1', c.head.b1],
    ['w2', c.head.w2],
    ['b2', c.head.b2],
  ];
  const bad = arrays
    .filter(([, a]) => a && Array.prototype.some.call(a, (x: number) => !Number.isFinite(x)))
    .map(([n]) => `weights ${n}`);
  if (![report.metrics.accuracy, report.metrics.macro_f1].every(Number.isFinite)) bad.push('test metrics');
  if (
    report.history.some(
      (h) =>
        !Number.isFinite(h.loss) ||
        !Number.isFinite(h.valAccuracy) ||
        (h.valLoss !== undefined && !Number.isFinite(h.valLoss)),
    )
  )
    bad.push('training history');
  return bad;
}

/** Writes the classifier as a hub-layout model folder. An existing non-empty folder is refused unless
 *  `overwrite` is set (the sidebar asks the user first). */
export function saveClassifier(
  c: TrainedClassifier,
  report: TrainingReport,
  out: { dir?: string; dataPath: string; overwrite?: boolean },
): string {
  if (!(c.extractor instanceof EncoderFeatureExtractor))
    throw new EngineError(
      'export-unsupported',
      'This classifier was not trained on an ONNX encoder, so it cannot be exported.',
      'Train with a model folder.',
    );
  const ex = c.extractor;
  const dir = path.resolve(out.dir ?? defaultOutputDir(out.dataPath));
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory())
      throw new EngineError('output-exists', `${dir} exists and is a file.`, 'Choose another output folder.');
    if (!isEmptyDir(dir) && !out.overwrite)
      throw new EngineError(
        'output-exists',
        `${dir} already exists and is not empty; nothing was overwritten.`,
        'Choose another output folder, or leave --output out for a new one next to the data.',
      );
  }
  const nonFinite = nonFiniteParts(c, report);
  if (nonFinite.length) {
    throw new EngineError(
      'non-finite',
      `The trained classifier has non-finite values (NaN or infinity) in ${nonFinite.join(', ')}; nothing was saved.`,
      'Check the data and the model (a corrupt feature cache or model gives NaN features), then train again.',
    );
  }
  const bytes = ex.classifierBytes({
    mean: c.mean,
    scale: c.scale,
    w1: c.head.w1,
    b1: c.head.b1,
    w2: c.head.w2,
    b2: c.head.b2,
    hidden: c.head.hidden,
    numClasses: c.labels.length,
  });
  const src = ex.model.folder;
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), bytes);
  for (const f of TOKENIZER_FILES)
    if (fs.existsSync(path.join(src.path, f))) fs.copyFileSync(path.join(src.path, f), path.join(dir, f));
  // The classifier was trained on inputs cut to maxLength tokens: loaders that honour model_max_length cut the same.
  const tokenizerConfig = { ...src.tokenizerConfig, model_max_length: ex.maxLength };
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');
  const id2label = Object.fromEntries(c.labels.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(c.labels.map((l, i) => [l, i]));
  const config = {
    ...src.config,
    architectures: ['BertLensClassifier'],
    model_type: src.config.model_type,
    id2label,
    label2id,
    num_labels: c.labels.length,
    problem_type: 'single_label_classification',
    bert_lens: {
      base_model: ex.model.id,
      base_variant: ex.model.variant,
      hidden_states: ex.layers,
      pooling: ex.spec.pooling,
      excluded_token_ids: ex.spec.pooling === 'mean' ? ex.spec.specialIds : [],
      max_length: ex.maxLength,
      head: c.head.kind,
      ...(c.head.hidden ? { head_hidden: c.head.hidden } : {}),
    },
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'training-report.json'), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'MODEL_CARD.md'), modelCard(report, c.labels));
  return dir;
}
