// A model folder in hub layout: config.json, tokenizer.json, tokenizer_config.json, onnx/model*.onnx.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Family, Head, TaskName, Variant } from '../api';
import { EngineError } from '../errors';

export const VARIANT_FILES: Record<Variant, string> = {
  fp32: 'onnx/model.onnx',
  quantized: 'onnx/model_quantized.onnx',
  fp16: 'onnx/model_fp16.onnx',
};
/** Decoder-only (causal LM) hub exports ship a merged decoder (with and without past key/values) instead. */
export const DECODER_FILES: Record<Variant, string> = {
  fp32: 'onnx/decoder_model_merged.onnx',
  quantized: 'onnx/decoder_model_merged_quantized.onnx',
  fp16: 'onnx/decoder_model_merged_fp16.onnx',
};

/** The ONNX file of a variant in `folder`: onnx/model*.onnx, else the merged decoder of a causal export. */
export function variantFile(folder: string, v: Variant): string {
  return fs.existsSync(path.join(folder, VARIANT_FILES[v])) || !fs.existsSync(path.join(folder, DECODER_FILES[v])) ? VARIANT_FILES[v] : DECODER_FILES[v];
}
/** Files every model needs, in download order; the variant's ONNX file comes on top. */
export const REQUIRED_FILES = ['config.json', 'tokenizer.json'];
export const OPTIONAL_FILES = ['tokenizer_config.json', 'special_tokens_map.json'];

export interface ModelConfig {
  model_type?: string;
  architectures?: string[];
  id2label?: Record<string, string>;
  num_hidden_layers?: number;
  n_layers?: number;
  num_attention_heads?: number;
  n_heads?: number;
  hidden_size?: number;
  dim?: number;
  max_position_embeddings?: number;
  vocab_size?: number;
  pad_token_id?: number;
  [k: string]: unknown;
}
export interface TokenizerConfig {
  mask_token?: string | { content: string };
  cls_token?: string | { content: string };
  sep_token?: string | { content: string };
  pad_token?: string | { content: string };
  model_max_length?: number;
  [k: string]: unknown;
}

export interface ModelFolder {
  path: string;
  config: ModelConfig;
  tokenizerConfig: TokenizerConfig;
  family: Family;
  head: Head;
  variants: Variant[];
  numLayers: number;
  numHeads: number;
  hiddenSize: number;
  maxLength: number;
  labels?: string[];
}

function readJson<T>(file: string, what: string, hint: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new EngineError('model-incomplete', `${what} is missing: ${file}`, hint);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new EngineError('model-corrupt-json', `${what} is not valid JSON: ${file}`, 'Re-download the model or fix the file.');
  }
}

export function variantsIn(folder: string): Variant[] {
  return (Object.keys(VARIANT_FILES) as Variant[]).filter((v) => fs.existsSync(path.join(folder, variantFile(folder, v))));
}

export function familyOf(modelType: string | undefined): Family {
  switch (modelType) {
    case 'bert':
    case 'distilbert':
    case 'roberta':
    case 'albert':
    case 'electra':
      return modelType;
    case 'gpt2':
      return modelType;
    case 'xlm-roberta':
    case 'camembert':
      return 'roberta';
    default:
      return 'other';
  }
}

/** Decoder-only model types: logits[:, i] predicts token i + 1. */
export const CAUSAL_TYPES = new Set(['gpt2', 'gpt_neo', 'gptj', 'gpt_neox', 'gpt_bigcode', 'opt', 'bloom', 'llama', 'mistral', 'qwen2', 'phi', 'codegen']);

/** The head from `architectures` (transformers' class names); unknown classes with labels are classifiers. */
export function headOf(config: ModelConfig): Head {
  const arch = config.architectures?.[0] ?? '';
  if (/ForCausalLM$|LMHeadModel$/.test(arch) || (!arch && CAUSAL_TYPES.has(config.model_type ?? ''))) return 'causal-lm';
  if (/ForPreTraining$/.test(arch)) return config.model_type === 'electra' ? 'replaced-token-detection' : 'pretraining';
  if (/ForMaskedLM$/.test(arch)) return 'masked-lm';
  if (/ForNextSentencePrediction$/.test(arch)) return 'next-sentence';
  if (/ForTokenClassification$/.test(arch)) return 'token-classification';
  if (/ForQuestionAnswering$/.test(arch)) return 'question-answering';
  if (/ForSequenceClassification$/.test(arch) || /Classifier$/.test(arch)) return 'sequence-classification';
  if (/Model$/.test(arch) || !arch) return config.id2label && arch ? 'sequence-classification' : 'feature-extraction';
  return 'feature-extraction';
}

export function tasksFor(head: Head): TaskName[] {
  const common: TaskName[] = ['tokenize', 'embeddings', 'attention'];
  switch (head) {
    case 'masked-lm': return ['fill-mask', 'surprisal', ...common];
    case 'pretraining': return ['fill-mask', 'surprisal', 'next-sentence', ...common];
    case 'next-sentence': return ['next-sentence', ...common];
    case 'token-classification': return ['token-classification', ...common];
    case 'question-answering': return ['question-answering', ...common];
    case 'sequence-classification': return ['sequence-classification', ...common];
    case 'replaced-token-detection': return ['replaced-token-detection', ...common];
    case 'causal-lm': return ['next-token', 'generate', 'surprisal', ...common];
    case 'feature-extraction': return common;
  }
}

export function tokenString(t: TokenizerConfig[keyof TokenizerConfig]): string | undefined {
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object' && typeof (t as { content?: unknown }).content === 'string') return (t as { content: string }).content;
  return undefined;
}

export function readModelFolder(folder: string): ModelFolder {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch {
    throw new EngineError('model-not-found', `No model folder at ${folder}.`, 'Pass a folder with config.json, tokenizer.json and onnx/model.onnx, a hub id such as Xenova/bert-base-uncased, or leave --model out for the embedded model.');
  }
  if (!stat.isDirectory()) throw new EngineError('model-not-found', `${folder} is not a folder.`, 'Pass the model folder (the one holding config.json), not a file inside it.');
  try {
    fs.accessSync(folder, fs.constants.R_OK);
  } catch {
    throw new EngineError('model-unreadable', `The model folder ${folder} cannot be read.`, 'Check its permissions.');
  }
  const config = readJson<ModelConfig>(path.join(folder, 'config.json'), 'config.json', 'A hub-layout model folder needs config.json next to tokenizer.json and onnx/.');
  if (!fs.existsSync(path.join(folder, 'tokenizer.json'))) {
    throw new EngineError('no-tokenizer', `tokenizer.json is missing in ${folder}.`, 'Export it with `AutoTokenizer.from_pretrained(...).save_pretrained(dir)` (a fast tokenizer), or use a hub ONNX repository, which ships it.');
  }
  const tokenizerConfigPath = path.join(folder, 'tokenizer_config.json');
  const tokenizerConfig = fs.existsSync(tokenizerConfigPath) ? readJson<TokenizerConfig>(tokenizerConfigPath, 'tokenizer_config.json', '') : {};
  const variants = variantsIn(folder);
  if (variants.length === 0) {
    throw new EngineError('no-onnx', `No ONNX model in ${path.join(folder, 'onnx')}.`, 'Expected onnx/model.onnx, onnx/model_quantized.onnx or onnx/model_fp16.onnx (or onnx/decoder_model_merged.onnx for a causal LM: the layout of hub ONNX repositories).');
  }
  const family = familyOf(config.model_type);
  // GPT-2 configs name these n_layer, n_head, n_embd and n_positions.
  const numLayers = Number(config.num_hidden_layers ?? config.n_layers ?? config.n_layer ?? 0);
  const numHeads = Number(config.num_attention_heads ?? config.n_heads ?? config.n_head ?? 0);
  const hiddenSize = Number(config.hidden_size ?? config.dim ?? config.n_embd ?? 0);
  const positions = Number(config.max_position_embeddings ?? config.n_positions ?? 512);
  // RoBERTa-style position ids start after the padding index, so two positions are unusable.
  const usable = family === 'roberta' ? positions - (Number(config.pad_token_id ?? 1) + 1) : positions;
  const tmax = Number(tokenizerConfig.model_max_length ?? Infinity);
  const maxLength = Math.min(usable, tmax > 0 && tmax < 1e6 ? tmax : usable);
  const head = headOf(config);
  const labels = config.id2label
    ? Object.entries(config.id2label).sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v)
    : undefined;
  return { path: folder, config, tokenizerConfig, family, head, variants, numLayers, numHeads, hiddenSize, maxLength, labels };
}

/** Default variant: fp32 when it is small enough to be quick (exact numbers), otherwise the int8 export. */
export function defaultVariant(folder: string, variants: Variant[]): Variant {
  if (variants.includes('fp32')) {
    const size = fs.statSync(path.join(folder, variantFile(folder, 'fp32'))).size;
    if (size <= 200 * 1024 * 1024 || !variants.includes('quantized')) return 'fp32';
  }
  return variants.includes('quantized') ? 'quantized' : variants[0];
}

export function chooseVariant(folder: ModelFolder, requested?: Variant): Variant {
  if (!requested) return defaultVariant(folder.path, folder.variants);
  if (!folder.variants.includes(requested)) {
    throw new EngineError('variant-missing', `The ${requested} variant (${VARIANT_FILES[requested]}) is not in ${folder.path}.`, `Available: ${folder.variants.join(', ')}. Pass --variant ${folder.variants[0]}.`);
  }
  return requested;
}
