// The adapted model in hub layout: the source model's config.json (same architecture, so it loads and fills masks
// like any masked-LM model) with a `bert_lens.adapted` note, its tokenizer files, onnx/model.onnx with the new
// weights (fp32) and, when asked, onnx/model_quantized.onnx (dynamic int8). Never overwrites without `overwrite`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import type { ModelFolder } from '../models/modelFolder';
import { quantizeDynamic } from './fineTuneExport';

const TOKENIZER_FILE =
  /^(tokenizer\.json|tokenizer_config\.json|vocab\.(txt|json)|merges\.txt|special_tokens_map\.json|added_tokens\.json|spiece\.model|sentencepiece\.bpe\.model)$/;

/** `<data>-adapted` next to the data (a file loses its extension), then `-2`, `-3`…: the first that does not exist. */
export function defaultAdaptedDir(dataPath: string): string {
  const abs = path.resolve(dataPath);
  const base = path.join(path.dirname(abs), `${path.basename(abs).replace(/\.[A-Za-z0-9]{1,10}$/, '')}-adapted`);
  if (!fs.existsSync(base)) return base;
  for (let i = 2; ; i++) if (!fs.existsSync(`${base}-${i}`)) return `${base}-${i}`;
}

/** Refuses a file, the source model's own folder, and an existing non-empty folder unless `overwrite`. */
export function checkAdaptOutput(dir: string, source: string, overwrite = false): void {
  const abs = path.resolve(dir);
  if (abs === path.resolve(source))
    throw new EngineError(
      'output-exists',
      `${abs} is the folder of the model being adapted; it is never overwritten.`,
      'Choose another --output folder.',
    );
  if (!fs.existsSync(abs)) return;
  if (!fs.statSync(abs).isDirectory())
    throw new EngineError('output-exists', `${abs} exists and is a file.`, 'Choose another --output folder.');
  if (fs.readdirSync(abs).length && !overwrite)
    throw new EngineError(
      'output-exists',
      `${abs} already exists and is not empty; nothing was written.`,
      'Choose another --output folder, leave --output out for a new one next to the data, or pass --overwrite to replace the model files in it.',
    );
}

export interface AdaptedSave {
  dir: string;
  source: ModelFolder;
  /** The adapted fp32 graph. */
  bytes: Uint8Array;
  /** Written as adapt-report.json and summarised in MODEL_CARD.md. */
  report: AdaptReport;
  overwrite?: boolean;
  /** Also write the dynamic int8 variant. */
  quantized?: boolean;
}

export interface AdaptReport {
  base_model: string;
  data: string[];
  masked_accuracy: { before: number; after: number };
  pseudo_perplexity: { before: number; after: number };
  chosen: { mask: number; random: number; kept: number };
  epochs: number;
  steps: number;
  learning_rate: number;
  max_length: number;
  seed: number;
  eval_seed: number;
  whole_word: boolean;
  seconds: number;
  [k: string]: unknown;
}

export function saveAdapted(s: AdaptedSave): string {
  const dir = path.resolve(s.dir);
  checkAdaptOutput(dir, s.source.path, s.overwrite);
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  // A previous model's variants must not stay next to the new weights.
  for (const f of fs.readdirSync(path.join(dir, 'onnx')))
    if (/\.onnx(_data)?$/.test(f)) fs.rmSync(path.join(dir, 'onnx', f));
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), s.bytes);
  if (s.quantized) fs.writeFileSync(path.join(dir, 'onnx', 'model_quantized.onnx'), quantizeDynamic(s.bytes));
  for (const f of fs.readdirSync(s.source.path))
    if (TOKENIZER_FILE.test(f)) fs.copyFileSync(path.join(s.source.path, f), path.join(dir, f));
  const config = {
    ...s.source.config,
    bert_lens: {
      ...((s.source.config.bert_lens as object | undefined) ?? {}),
      adapted: true,
      base_model: s.report.base_model,
      data: s.report.data,
      max_length: s.report.max_length,
    },
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'adapt-report.json'), JSON.stringify(s.report, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'MODEL_CARD.md'), card(s));
  return dir;
}

function card(s: AdaptedSave): string {
  const r = s.report;
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const arch = s.source.config.architectures?.[0] ?? 'masked-LM model';
  return `# ${arch} adapted with BERT Lens

\`${r.base_model}\` after ${r.epochs} epoch(s) (${r.steps} optimiser steps) of continued masked-LM pre-training on
${r.data.map((d) => `\`${d}\``).join(', ')}: 15 % of the tokens chosen${r.whole_word ? ' (whole words)' : ''}, 80 % masked / 10 % random / 10 % kept,
the loss over the chosen positions only; AdamW, peak learning rate ${r.learning_rate}, ${r.max_length} tokens per input, seed ${r.seed}.

Held-out 10 % of the lines, masked with the fixed seed ${r.eval_seed}:

| | before | after |
| --- | --- | --- |
| masked-token accuracy | ${pct(r.masked_accuracy.before)} | ${pct(r.masked_accuracy.after)} |
| pseudo-perplexity | ${r.pseudo_perplexity.before.toFixed(2)} | ${r.pseudo_perplexity.after.toFixed(2)} |

\`onnx/model.onnx\` is the source graph with the adapted weights (fp32)${s.quantized ? '; `onnx/model_quantized.onnx` its dynamic int8 quantisation' : ''}.
Details in \`adapt-report.json\`.
`;
}
