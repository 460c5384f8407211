// The engine's public contract: plain, JSON-serialisable requests and results shared by the worker, the CLI,
// the extension and the webviews. Character offsets are JavaScript string (UTF-16) indices into the text that
// was passed in; the CLI converts them to Unicode code points for its JSON output (Python's convention).

export type Variant = 'fp32' | 'quantized' | 'fp16';
export type Device = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';
export type Family = 'bert' | 'distilbert' | 'roberta' | 'albert' | 'electra' | 'gpt2' | 'other';
/** What the model's head can do, derived from config.json `architectures` and the graph outputs. */
export type Head =
  | 'masked-lm'
  | 'pretraining' // masked LM + next-sentence (BertForPreTraining)
  | 'next-sentence'
  | 'token-classification'
  | 'question-answering'
  | 'sequence-classification'
  | 'replaced-token-detection'
  | 'causal-lm' // decoder-only (GPT-2 family): logits[:, i] predicts token i + 1
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
  | 'attention'
  | 'next-token'
  | 'generate'
  | 'surprisal';

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
  /** Hugging Face token for gated/private repositories (else $HF_TOKEN, else $HF_HOME/token); sent to the
   *  endpoint's origin only. */
  token?: string;
  /** Proxy URL for hub downloads (else HTTPS_PROXY / HTTP_PROXY, honouring NO_PROXY). */
  proxy?: string;
  /** Verify TLS certificates through the proxy (default true). */
  proxyStrictSSL?: boolean;
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
  /** The candidate's own pieces (tokens of `ids`). */
  pieces?: string[];
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

/** What loading a model would download (`downloadSize`, HEAD requests only): `cached` when nothing (the
 *  embedded model, a folder, a model already in the hub cache); else the files with the hub's sizes, and their
 *  sum in bytes when every size is known. */
export interface DownloadSize {
  id: string;
  cached: boolean;
  files: { file: string; size?: number }[];
  total?: number;
}

export interface ModelListing {
  models: { id: string; path: string; variants: Variant[]; source: 'embedded' | 'cache' | 'folder' }[];
}

export interface DownloadProgress {
  file: string;
  loaded: number;
  total?: number;
  /** Bytes of the whole download so far (all files, announced sizes first), and their sum: a progress bar
   *  should use these, so that small files do not fill it before the large one starts. */
  overallLoaded?: number;
  overallTotal?: number;
  /** Another process is downloading this file; this one waits for it and then uses its blob. */
  waiting?: boolean;
  message?: string;
}

/** Masking preview: BERT's pre-training corruption (15 %, then 80/10/10) of one text, seeded. */
export interface MaskPreviewRequest {
  text: string;
  seed?: number;
  topK?: number;
}
export interface MaskPreviewChoice {
  position: number;
  /** The token at that position before corruption. */
  original: string;
  /** What the model reads there: the mask token, a random token, or the original (kept). */
  replacement: string;
  kind: 'mask' | 'random' | 'kept';
}
export interface MaskPreviewPrediction {
  position: number;
  predictions: Prediction[];
  /** The original token's probability and rank (1 = best) at that position. */
  original: Prediction & { rank: number };
}
export interface MaskPreviewResult {
  tokens: string[];
  /** The tokens the model reads (after corruption). */
  corrupted: string[];
  offsets: Offset[];
  seed: number;
  maskToken: string;
  chosen: MaskPreviewChoice[];
  /** One entry per chosen position, in the same order. */
  predictions: MaskPreviewPrediction[];
}

/** Input embeddings: the token, position and segment (token-type) vectors that the embedding block adds. */
export interface InputEmbeddingsRequest {
  text: string;
  pair?: string;
}
export interface InputEmbeddingRow {
  token: string;
  position: number;
  segment: number;
  token_norm: number;
  position_norm: number;
  segment_norm: number;
  sum_norm: number;
  cos_token: number;
  cos_position: number;
  cos_segment: number;
  /** Norm of the embedding block's output (after its LayerNorm; before ALBERT's or ELECTRA's projection). */
  output_norm: number;
}
export interface InputEmbeddingsResult {
  tokens: string[];
  rows: InputEmbeddingRow[];
  /** Where the segment vector comes from: a token-type embedding read by `token_type_ids`; the single row of a
   *  one-type table that the graph adds as a constant (RoBERTa); or none at all (DistilBERT: segment_norm 0). */
  segment_source: 'token_type_ids' | 'single-row' | 'none';
  /** Width of the embedding vectors (ALBERT: the factorised embedding size, before the projection). */
  embedding_size: number;
  hidden_size: number;
  /** Cosine similarity of the position vectors of this sequence, [position][position]. */
  position_similarity: number[][];
  /** Note on the family (factorised embeddings, single token type, no token types). */
  note?: string;
}

/** Progress of windowed work: windows (or batches) done out of total. */
export interface WindowProgress {
  done: number;
  total: number;
}

/** A session opened on first use (the backward graph of saliency, an extra-outputs variant): sent with
 *  `opening` before ORT opens it (seconds at BERT-base scale) and `ready` (or `failed`) after, so that a front end
 *  can say why the first call waits. */
export interface PreparingProgress {
  /** What the session serves, in a few words ("saliency", "hidden states"). */
  preparing: string;
  state: 'opening' | 'ready' | 'failed';
  /** The model's id. */
  model: string;
}

/** Errors carry a stable code, one readable line, and a way forward. */
export interface EngineErrorInfo {
  code: string;
  message: string;
  hint?: string;
}

// Causal (GPT-style) language models, surprisal and the directions comparison (issue #12).
export interface NextTokenRequest {
  text: string;
  topK?: number;
}
export interface NextTokenResult {
  /** The distribution after the last token: vocabulary tokens as the tokenizer spells them, `text` decoded. */
  predictions: (Prediction & { text: string })[];
  tokens: string[];
}
export interface GenerateRequest {
  text: string;
  maxNewTokens?: number;
  /** 0 (the default) = greedy; above 0, sampling from softmax(logits / temperature). */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Seed of the sampler (sampling with the same seed gives the same text). */
  seed?: number;
  /** Reuse the export's key/value cache when it has one (default true). */
  useCache?: boolean;
}
export interface GeneratedToken extends Prediction {
  /** The token decoded (with its leading space, if any). `score` is the model's probability of it (softmax of
   *  the raw logits, before temperature, top-k and top-p). */
  text: string;
}
/** Generation progress: one event per token as it comes. */
export interface GenerateProgress {
  done: number;
  total: number;
  token: GeneratedToken;
}
export interface GenerateResult {
  /** The continuation only (the prompt is not repeated). */
  text: string;
  tokens: GeneratedToken[];
  stop: 'eos' | 'max-new-tokens' | 'context';
  /** Set when --max-new-tokens was clamped to the model's context. */
  note?: string;
  cached: boolean;
}
export interface SurprisalRequest {
  text: string;
  /** Masked models: mask every piece of a multi-piece word together (default: one piece at a time). */
  wholeWord?: boolean;
  /** Masked models: masked copies per ONNX run. */
  batchSize?: number;
  /** How many of the model's top predictions to keep per token (for the hover); default 5. */
  topK?: number;
}
export interface SurprisalResult {
  method: 'causal' | 'pseudo-likelihood';
  tokens: string[];
  offsets: Offset[];
  /** Natural-log probability of each token (causal: given the tokens before it; the first has none: null). */
  logprobs: (number | null)[];
  /** 1 = the model's top prediction there. */
  ranks: (number | null)[];
  /** The model's top predictions at each token (null where logprobs is null). */
  top: (Prediction[] | null)[];
  /** exp(−mean log p) over the scored tokens: perplexity (causal) or pseudo-perplexity (masked). */
  perplexity: number;
  wholeWord?: boolean;
}
export interface DirectionsRequest {
  text: string;
  span: Offset;
  topK?: number;
  /** The causal model for the `causal` column (none: null). */
  causalSpec?: ModelSpec;
}
export interface DirectionsResult {
  word: string;
  /** BERT with the word masked in full context. */
  bidirectional: WordCandidate[];
  /** BERT with the text cut after the masked word: it sees only the left side. */
  left_only: WordCandidate[];
  /** BERT with the text cut before the masked word: it sees only the right side. */
  right_only: WordCandidate[];
  /** The causal model given the left context: first-piece candidates from its next-token distribution. */
  causal: WordCandidate[] | null;
  /** The probability each column gives the original word (causal: the product over its pieces). */
  original: { bidirectional: number; left_only: number; right_only: number; causal: number | null };
  /** What each column is, in words (BERT with one side removed is not a trained one-directional model). */
  labels: { bidirectional: string; left_only: string; right_only: string; causal: string | null };
  texts: { bidirectional: string; left_only: string; right_only: string; causal: string | null };
}

export type SaliencyMethod = 'grad-l2' | 'grad-input' | 'integrated-gradients';

export interface SaliencyRequest {
  text: string;
  /** Second sequence (sentence-pair classification), or the context when `text` is a QA question. */
  pair?: string;
  method?: SaliencyMethod;
  /** Integrated-gradients steps (batch size of its one session call); default 16. */
  steps?: number;
  /** Masked LM: the word whose log-probability to explain (one vocabulary piece); default the top-1. */
  target?: string;
  /** Classification heads: the label to explain; default the predicted one. */
  label?: string;
  /** Token index (of the whole text's tokens): the mask (masked LM), the token (NER, ELECTRA). */
  position?: number;
  /** Masked LM: character spans to mask piece by piece (as fill-mask's spans) instead of mask tokens in the text. */
  spans?: Offset[];
}

export interface SaliencyResult {
  /** Tokens the scores cover: the whole text, or the window containing the target when the text is longer. */
  tokens: string[];
  offsets: Offset[];
  /** Sequence (0, or 1 for the pair / QA context) of each token, for mapping offsets back. */
  sequenceIds: (number | null)[];
  method: SaliencyMethod;
  target: { position: number; id: number; token: string } | { label: string; index: number; position?: number };
  /** log p of the target (log σ for ELECTRA's replaced probability), from the fp32 graph. */
  logprob: number;
  /** One value per token, special tokens included. */
  scores: number[];
  steps?: number;
  /** Always 'fp32': gradients are computed on the fp32 graph whatever variant serves predictions. */
  variant: 'fp32';
  /** Present when the text needed several windows: the window explained, as a range of the whole text's tokens
   *  (of the context's tokens for QA; special tokens not counted). */
  window?: { start: number; end: number; totalTokens: number };
}
