// The one method map of the engine worker: method name → request, result and progress types. The worker's
// method table (worker/methods.ts) and the client (client.ts) are both typed by it, so a method that is renamed,
// mistyped, or given the wrong request or result fails to compile on both sides.
//
// Method names are camelCase identifiers, and the client method of the same name calls it. Methods of one area
// start with the area (`trainingTrain`, `trainingSave`). To add a method: an entry in the area's map (or a new
// area map added to `EngineMethods` below), its handler in that area's method table, and a client method.
import type {
  AttentionResult,
  AttentionTensors,
  Aggregation,
  ClassifyResult,
  DownloadProgress,
  DownloadSize,
  EmbedBatchRequest,
  EmbedBatchResult,
  EmbedRequest,
  EmbedResult,
  FillMaskRequest,
  FillMaskResult,
  InputEmbeddingsRequest,
  InputEmbeddingsResult,
  MaskPreviewRequest,
  MaskPreviewResult,
  ModelListing,
  ModelSpec,
  ModelSummary,
  NextSentenceResult,
  QaResult,
  ReplacedTokensResult,
  SaliencyRequest,
  SaliencyResult,
  SimilarityRequest,
  SimilarityResult,
  TokenClassificationResult,
  TokenizeResult,
  WindowProgress,
  PreparingProgress,
} from './api';
import type { Engine } from './engine';
import type { TrainingMethods } from './training/methods';
import type { CausalMethods } from './tasks/causalMethods';
import type { AdaptMethods } from './training/adaptMethods';
import type { DistillMethods } from './training/distillMethods';

/** One method: what the caller sends, what it gets back, and what it may hear while waiting. */
export interface Method<Params, Result, Progress = never> {
  params: Params;
  result: Result;
  progress: Progress;
}

/** A model-backed request: the model (`spec`, default the embedded one) plus the task's own fields. */
export type WithSpec<T> = T & { spec?: ModelSpec };

/** Progress of a model-backed task: the download while the model loads, a session opened on first use, then the
 *  windows done. */
export type TaskProgress = DownloadProgress | WindowProgress | PreparingProgress;
type Task<Req, Result> = Method<WithSpec<Req>, Result, TaskProgress>;

/** Models and the inference tasks (src/engine/tasks). */
export interface TaskMethods {
  loadModel: Method<{ spec?: ModelSpec }, ModelSummary, DownloadProgress>;
  listModels: Method<{ spec?: ModelSpec }, ModelListing>;
  /** What loading `spec` would download (HEAD only; nothing is written). */
  downloadSize: Method<{ spec?: ModelSpec }, DownloadSize>;
  /** Drop cached sessions (for example after settings change). */
  unloadAll: Method<Record<string, never>, void>;
  tokenize: Task<{ text: string; pair?: string }, TokenizeResult>;
  fillMask: Task<FillMaskRequest, FillMaskResult>;
  tokenClassification: Task<{ text: string; aggregation?: Aggregation }, TokenClassificationResult>;
  questionAnswering: Task<{ question: string; context: string; topK?: number }, QaResult>;
  classify: Task<{ text: string; pair?: string }, ClassifyResult>;
  nextSentence: Task<{ a: string; b: string }, NextSentenceResult>;
  replacedTokens: Task<{ text: string }, ReplacedTokensResult>;
  embed: Task<EmbedRequest, EmbedResult>;
  /** Pooled vectors for many texts, batched into few runs. */
  embedBatch: Task<EmbedBatchRequest, EmbedBatchResult>;
  attention: Task<{ text: string; pair?: string }, AttentionResult>;
  /** Attention as flat float32 tensors, transferred (not cloned) from the worker. */
  attentionTensors: Task<{ text: string; pair?: string }, AttentionTensors>;
  similarity: Task<SimilarityRequest, SimilarityResult>;
  /** Gradient saliency of a prediction, on the fp32 graph. */
  saliency: Task<SaliencyRequest, SaliencyResult>;
  /** BERT's pre-training masking of a text (seeded) and the predictions at every chosen position. */
  maskPreview: Task<MaskPreviewRequest, MaskPreviewResult>;
  /** The word, position and segment vectors the embedding block adds, per token. */
  inputEmbeddings: Task<InputEmbeddingsRequest, InputEmbeddingsResult>;
}

/** Every method the worker serves. A new area adds its map here. */
export interface EngineMethods extends TaskMethods, TrainingMethods, CausalMethods, AdaptMethods, DistillMethods {}

export type MethodName = keyof EngineMethods;
export type MethodParams<M extends MethodName> = EngineMethods[M]['params'];
export type MethodResult<M extends MethodName> = EngineMethods[M]['result'];
export type MethodProgress<M extends MethodName> = EngineMethods[M]['progress'];

/** What a handler gets besides its params: cancellation, and a channel for progress to the caller. */
export interface MethodContext<Progress = unknown> {
  signal: AbortSignal;
  progress(p: Progress): void;
}

/** A handler runs in the worker, on the worker's in-process `Engine`, and returns plain JSON. */
export type MethodHandler<M extends MethodName> = (
  engine: Engine,
  params: MethodParams<M>,
  ctx: MethodContext<MethodProgress<M>>,
) => Promise<MethodResult<M>>;

/** The handlers of some methods (an area's) or of all of them (the worker's table). */
export type MethodTable<K extends MethodName = MethodName> = { [M in K]: MethodHandler<M> };
