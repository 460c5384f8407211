// The engine's public contract: plain, JSON-serialisable requests and results shared by the worker, the CLI,
// the extension and the webviews. Character offsets are JavaScript string (UTF-16) indices into the text that
// was passed in; the CLI converts them to Unicode code points for its JSON output (Python's convention).

export type Variant = 'fp32' | 'quantized' | 'fp16';
export type Device = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';
export type Family = 'bert' | 'distilbert' | 'roberta' | 'albert' | 'electra' | 'other';
/** What the model's head can do, derived from config.json `architectures` and the graph outputs. */
export type Head =
  | 'masked-lm'
  | 'pretraining' // masked LM + next-sentence (BertForPreTraining)
  | 'next-sentence'
  | 'token-classification'
  | 'question-answering'
  | 'sequence-classification'
  | 'replaced-token-detection'
  | 'feature-extraction';

export type TaskName =
  | 'tokenize'
  | 'fill-mask'
  | 'token-classification'
  | 'question-answering'
  | 'sequence-classification'
  | 'next-sentence'
  | 'replaced-token-detection'
  | 'embeddings'
  | 'attention';

/** Which model to use and how. Every field is optional: no `model` means the embedded default. */
export interface ModelSpec {
  /** A local folder in hub layout, a hub id (`org/name`), or undefined / 'embedded' for the embedded model. */
  model?: string;
  variant?: Variant;
  device?: Device;
  /** Never touch the network; a hub id must already be in the cache. */
  offline?: boolean;
  /** Hugging Face hub cache root (defaults to $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** Hub endpoint (defaults to $HF_ENDPOINT or https://huggingface.co). */
  endpoint?: string;
  revision?: string;
  /** Cap on tokens per window (never above the model's own maximum); longer texts use more windows. */
  maxLength?: number;
}

export interface ModelSummary {
  id: string;
  path: string;
  family: Family;
  modelType: string;
  architectures: string[];
  head: Head;
  tasks: TaskName[];
  variant: Variant;
  variants: Variant[];
  /** The execution provider actually running, after any fallback. */
  provider: Device;
  /** Why the requested provider was not used, if it was not. */
  fallbackReason?: string;
  numLayers: number;
  numHeads: number;
  hiddenSize: number;
  maxLength: number;
  vocabSize: number;
  maskToken?: string;
  labels?: string[];
  /** False when the export fuses attention (com.microsoft Attention), so probabilities cannot be read. */
  attentionAvailable: boolean;
}

export type Offset = [number, number];

export interface TokenizeResult {
  tokens: string[];
  ids: number[];
  offsets: Offset[];
  typeIds: number[];
  specialTokensMask: number[];
  /** Index of the word each token belongs to (null for special tokens). */
  wordIds: (number | null)[];
}

export interface FillMaskRequest {
  text: string;
  topK?: number;
  /** Words whose probability to report at every mask, whatever their rank. */
  targets?: string[];
  /** Character spans to mask (instead of mask tokens already in the text). A span of several pieces becomes
   *  one mask per piece. */
  spans?: Offset[];
}
export interface Prediction {
  token: string;
  id: number;
  score: number;
}
export interface MaskResult {
  /** Token index in the (windowed) sequence as the tokenizer produced it, special tokens included. */
  position: number;
  /** Character span of the masked text (or of the mask token). */
  offset: Offset;
  predictions: Prediction[];
  targets?: Prediction[];
}
export interface WordCandidate {
  /** The whole word rebuilt from one prediction per piece (joined with the tokenizer's decoder). */
  word: string;
  /** Product of the pieces' probabilities. */
  score: number;
  ids: number[];
}
export interface SpanResult {
  offset: Offset;
  original: string;
  pieces: string[];
  masks: number[]; // indexes into `masks`
  candidates: WordCandidate[];
}
export interface FillMaskResult {
  tokens: string[];
  masks: MaskResult[];
  spans?: SpanResult[];
  maskToken: string;
}

export type Aggregation = 'none' | 'simple' | 'first' | 'average' | 'max';
export interface Entity {
  label: string;
  start: number;
  end: number;
  text: string;
  score: number;
  /** Token indexes that make up the entity (aggregation 'none': one). */
  tokens: number[];
}
export interface TokenClassificationResult {
  entities: Entity[];
  tokens: string[];
  offsets: Offset[];
  /** Per token: best label and its probability. */
  tokenLabels: { label: string; score: number }[];
}

export interface QaAnswer {
  text: string;
  start: number;
  end: number;
  score: number;
}
export interface QaResult {
  answers: QaAnswer[];
}

export interface LabelScore {
  label: string;
  score: number;
}
export interface ClassifyResult {
  labels: LabelScore[];
  logits: number[];
}

export interface NextSentenceResult {
  is_next: number;
  logits: number[];
}

export interface ReplacedTokensResult {
  tokens: string[];
  offsets: Offset[];
  replaced: number[];
}

export type Pooling = 'cls' | 'mean' | 'max' | 'none';
export interface EmbedRequest {
  text: string;
  /** 0 = embeddings output, 1..L = layer outputs, negative counts from the end (-1 = last). */
  layer?: number;
  pooling?: Pooling;
}
export interface EmbedResult {
  tokens: string[];
  offsets: Offset[];
  layer: number;
  /** Per-token vectors (pooling 'none'), or absent. */
  vectors?: number[][];
  pooled?: number[];
}

export interface AttentionResult {
  tokens: string[];
  offsets: Offset[];
  /** [layer][head][from][to] softmax probabilities. */
  attentions: number[][][][];
  /** [layer][from][to], the mean over heads. */
  headMean: number[][][];
  /** [from][to]: attention rollout (Abnar & Zuidema 2020), residual-corrected, across all layers. */
  rollout: number[][];
}

/** Attention as flat float32 tensors (row-major): what the worker transfers and the webview receives. */
export interface AttentionTensors {
  tokens: string[];
  offsets: Offset[];
  layers: number;
  heads: number;
  /** Tokens (rows and columns of every matrix). */
  n: number;
  /** [layers, heads, n, n] softmax probabilities. */
  attentions: Float32Array;
  /** [layers, n, n] mean over heads. */
  headMean: Float32Array;
  /** [n, n] attention rollout across all layers. */
  rollout: Float32Array;
}

export interface EmbedBatchRequest {
  texts: string[];
  layer?: number;
  pooling?: Exclude<Pooling, 'none'>;
  /** Sentences per ONNX run (padded to the longest in the batch). */
  batchSize?: number;
}
export interface EmbedBatchResult {
  layer: number;
  /** One pooled vector per text, in order. */
  pooled: number[][];
}

export interface Occurrence {
  start: number;
  end: number;
  text: string;
  /** Cosine similarity with the occurrence at `index`. */
  similarity: number;
}
export interface SimilarityRequest {
  text: string;
  /** Character span of the word of interest. */
  span: Offset;
  layer?: number;
}
export interface SimilarityResult {
  word: string;
  layer: number;
  /** Other occurrences of the same word (case-insensitive, whole word) in the text, most similar first. */
  occurrences: Occurrence[];
  /** The word's contextual vector (mean of its pieces) at `layer`. */
  vector: number[];
  norm: number;
  pieces: string[];
  ids: number[];
}

export interface ModelListing {
  models: { id: string; path: string; variants: Variant[]; source: 'embedded' | 'cache' | 'folder' }[];
}

export interface DownloadProgress {
  file: string;
  loaded: number;
  total?: number;
}

/** Errors carry a stable code, one readable line, and a way forward. */
export interface EngineErrorInfo {
  code: string;
  message: string;
  hint?: string;
}
