import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import type {
  AttentionResult,
  AttentionTensors,
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
  Aggregation,
  DirectionsRequest,
  DirectionsResult,
  GenerateRequest,
  GenerateResult,
  GenerateProgress,
  NextTokenRequest,
  NextTokenResult,
  PreparingProgress,
  SurprisalRequest,
  SurprisalResult,
} from './api';
import { CancelledError, EngineError } from './errors';
import { nestAttention } from './tasks/attentionTensors';
import type { Logger } from './logger';
import { silentLogger } from './logger';
import type { MethodName, MethodParams, MethodProgress, MethodResult, TaskProgress } from './rpc';
import type { ClassifiedTexts, ExplainExampleRequest, ExplainedExample, TrainView } from './training/methods';
import type { AdaptMethodProgress, AdaptRequest, AdaptResult } from './training/adaptMethods';
import type { DatasetCandidate } from './training/data/discover';
import type { DistillProgress } from './training/distill';
import type { DistillRequest, DistillView } from './training/distillMethods';
import type { TrainRequest, TrainingProgress } from './training/session';
import type { DatasetPreview, LoadOptions } from './training/types';
import type { FromWorker, ToWorker } from './worker/protocol';

export interface CallOptions<P = unknown> {
  signal?: AbortSignal;
  onProgress?: (progress: P) => void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onProgress?: (p: unknown) => void;
  cleanup(): void;
}

/** The worker client: how every front end (extension, CLI) reaches the engine. Each call runs on the in-process
 *  `Engine` of a worker thread (onnxruntime's `run` blocks its thread), can be cancelled with an AbortSignal, and
 *  resolves to plain JSON. Every call goes through `call`, typed by the method map in rpc.ts. */
export class EngineClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly preparingListeners = new Set<(p: PreparingProgress) => void>();

  constructor(private readonly options: { workerPath?: string; logger?: Logger } = {}) {}

  private get logger(): Logger {
    return this.options.logger ?? silentLogger;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const workerPath = this.options.workerPath ?? path.join(__dirname, 'engineWorker.js');
    const worker = new Worker(workerPath);
    worker.unref();
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (err) => {
      this.logger.error(`engine worker crashed: ${err.stack ?? err.message}`);
      this.failAll(
        new EngineError('worker-crashed', `The inference worker stopped: ${err.message}`, 'Try again; see the log.'),
      );
      this.worker = undefined;
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) {
        this.worker = undefined;
        if (this.pending.size)
          this.failAll(
            new EngineError('worker-exited', `The inference worker exited (code ${code}).`, 'Try again; see the log.'),
          );
      }
    });
    this.worker = worker;
    return worker;
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type === 'log') {
      this.logger[msg.level](msg.message);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') {
      if (isPreparing(msg.progress)) for (const l of this.preparingListeners) l(msg.progress);
      p.onProgress?.(msg.progress);
      return;
    }
    this.pending.delete(msg.id);
    p.cleanup();
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(msg.error.code === 'cancelled' ? new CancelledError() : EngineError.from(msg.error));
    if (this.pending.size === 0) this.worker?.unref();
  }

  private failAll(err: Error): void {
    for (const [, p] of this.pending) {
      p.cleanup();
      p.reject(err);
    }
    this.pending.clear();
  }

  /** Hears every call's "a session is being opened on first use" progress (the status bar says so); returns the
   *  function that stops listening. */
  onPreparing(listener: (p: PreparingProgress) => void): () => void {
    this.preparingListeners.add(listener);
    return () => this.preparingListeners.delete(listener);
  }

  /** Calls a worker method (rpc.ts names them and their types; worker/methods.ts holds the handlers). */
  call<M extends MethodName>(
    method: M,
    params: MethodParams<M>,
    options: CallOptions<MethodProgress<M>> = {},
  ): Promise<MethodResult<M>> {
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const worker = this.ensureWorker();
    worker.ref();
    const id = this.nextId++;
    return new Promise<MethodResult<M>>((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
        reject(new CancelledError());
        if (this.pending.size === 0) this.worker?.unref();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: onProgress as ((p: unknown) => void) | undefined,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      try {
        worker.postMessage({ type: 'call', id, method, params } satisfies ToWorker);
      } catch (err) {
        // Not cloneable (a function, a class instance with methods…): nothing reached the worker, so nothing
        // must wait for it.
        const p = this.pending.get(id);
        this.pending.delete(id);
        p?.cleanup();
        if (this.pending.size === 0) this.worker?.unref();
        reject(
          new EngineError(
            'bad-request',
            `Cannot send ${method} to the engine: ${(err as Error).message.split('\n')[0]}`,
            'Pass plain data (strings, numbers, arrays, objects).',
          ),
        );
      }
    });
  }

  loadModel(spec: ModelSpec, o?: CallOptions<DownloadProgress>): Promise<ModelSummary> {
    return this.call('loadModel', { spec }, o);
  }
  tokenize(
    spec: ModelSpec,
    req: { text: string; pair?: string },
    o?: CallOptions<TaskProgress>,
  ): Promise<TokenizeResult> {
    return this.call('tokenize', { spec, ...req }, o);
  }
  fillMask(spec: ModelSpec, req: FillMaskRequest, o?: CallOptions<TaskProgress>): Promise<FillMaskResult> {
    return this.call('fillMask', { spec, ...req }, o);
  }
  tokenClassification(
    spec: ModelSpec,
    req: { text: string; aggregation?: Aggregation },
    o?: CallOptions<TaskProgress>,
  ): Promise<TokenClassificationResult> {
    return this.call('tokenClassification', { spec, ...req }, o);
  }
  questionAnswering(
    spec: ModelSpec,
    req: { question: string; context: string; topK?: number },
    o?: CallOptions<TaskProgress>,
  ): Promise<QaResult> {
    return this.call('questionAnswering', { spec, ...req }, o);
  }
  classify(
    spec: ModelSpec,
    req: { text: string; pair?: string },
    o?: CallOptions<TaskProgress>,
  ): Promise<ClassifyResult> {
    return this.call('classify', { spec, ...req }, o);
  }
  nextSentence(
    spec: ModelSpec,
    req: { a: string; b: string },
    o?: CallOptions<TaskProgress>,
  ): Promise<NextSentenceResult> {
    return this.call('nextSentence', { spec, ...req }, o);
  }
  replacedTokens(spec: ModelSpec, req: { text: string }, o?: CallOptions<TaskProgress>): Promise<ReplacedTokensResult> {
    return this.call('replacedTokens', { spec, ...req }, o);
  }
  embed(spec: ModelSpec, req: EmbedRequest, o?: CallOptions<TaskProgress>): Promise<EmbedResult> {
    return this.call('embed', { spec, ...req }, o);
  }
  /** Pooled vectors for many texts, batched into few runs. */
  embedBatch(spec: ModelSpec, req: EmbedBatchRequest, o?: CallOptions<TaskProgress>): Promise<EmbedBatchResult> {
    return this.call('embedBatch', { spec, ...req }, o);
  }
  /** Nested arrays, built on this side from the transferred tensors (see attentionTensors). */
  async attention(
    spec: ModelSpec,
    req: { text: string; pair?: string },
    o?: CallOptions<TaskProgress>,
  ): Promise<AttentionResult> {
    return nestAttention(await this.attentionTensors(spec, req, o));
  }

  /** Attention as flat float32 tensors, transferred from the worker without a copy. */
  attentionTensors(
    spec: ModelSpec,
    req: { text: string; pair?: string },
    o?: CallOptions<TaskProgress>,
  ): Promise<AttentionTensors> {
    return this.call('attentionTensors', { spec, ...req }, o);
  }
  similarity(spec: ModelSpec, req: SimilarityRequest, o?: CallOptions<TaskProgress>): Promise<SimilarityResult> {
    return this.call('similarity', { spec, ...req }, o);
  }
  /** Causal LM: the distribution after the text. */
  nextToken(spec: ModelSpec, req: NextTokenRequest, o?: CallOptions<TaskProgress>): Promise<NextTokenResult> {
    return this.call('nextToken', { spec, ...req }, o);
  }
  /** Causal LM: a continuation; progress reports each token as it comes ({done, total, token}). */
  generate(
    spec: ModelSpec,
    req: GenerateRequest,
    o?: CallOptions<TaskProgress | GenerateProgress>,
  ): Promise<GenerateResult> {
    return this.call('generate', { spec, ...req }, o);
  }
  /** Per-token log-probability and rank: causal, or pseudo-likelihood for a masked LM. */
  surprisal(spec: ModelSpec, req: SurprisalRequest, o?: CallOptions<TaskProgress>): Promise<SurprisalResult> {
    return this.call('surprisal', { spec, ...req }, o);
  }
  /** A word predicted from both sides, one side, and by a causal model (req.causalSpec). */
  directions(spec: ModelSpec, req: DirectionsRequest, o?: CallOptions<TaskProgress>): Promise<DirectionsResult> {
    return this.call('directions', { spec, ...req }, o);
  }

  /** Gradient saliency of a prediction (fp32 graph, in the worker, cancellable). */
  saliency(spec: ModelSpec, req: SaliencyRequest, o?: CallOptions<TaskProgress>): Promise<SaliencyResult> {
    return this.call('saliency', { spec, ...req }, o);
  }
  /** BERT's pre-training corruption of a text (seeded) and the predictions at every chosen position. */
  maskPreview(spec: ModelSpec, req: MaskPreviewRequest, o?: CallOptions<TaskProgress>): Promise<MaskPreviewResult> {
    return this.call('maskPreview', { spec, ...req }, o);
  }
  /** The word, position and segment vectors the embedding block adds, per token. */
  inputEmbeddings(
    spec: ModelSpec,
    req: InputEmbeddingsRequest,
    o?: CallOptions<TaskProgress>,
  ): Promise<InputEmbeddingsResult> {
    return this.call('inputEmbeddings', { spec, ...req }, o);
  }
  listModels(spec: ModelSpec = {}): Promise<ModelListing> {
    return this.call('listModels', { spec });
  }
  /** What loading `spec` would download: the hub's file sizes (HEAD only), or `cached` when nothing. */
  downloadSize(spec: ModelSpec, o?: CallOptions<never>): Promise<DownloadSize> {
    return this.call('downloadSize', { spec }, o);
  }
  /** Drop cached sessions (for example after settings change). */
  unloadAll(): Promise<void> {
    return this.call('unloadAll', {});
  }

  // The classifier trainer (src/engine/training/methods.ts).
  trainingFindDatasets(
    req: { roots: string[]; maxDepth?: number },
    o?: CallOptions<never>,
  ): Promise<DatasetCandidate[]> {
    return this.call('trainingFindDatasets', req, o);
  }
  trainingPreview(req: { path: string } & LoadOptions, o?: CallOptions<never>): Promise<DatasetPreview> {
    return this.call('trainingPreview', req, o);
  }
  /** Trains in the worker; the run stays there under the returned `runId` for save and classify. */
  trainingTrain(req: TrainRequest, o?: CallOptions<TrainingProgress>): Promise<TrainView> {
    return this.call('trainingTrain', req, o);
  }
  trainingSave(
    req: { runId: string; dir?: string; overwrite?: boolean },
    o?: CallOptions<never>,
  ): Promise<{ dir: string }> {
    return this.call('trainingSave', req, o);
  }
  trainingClassify(
    req: { runId: string; texts: string[]; pairs?: string[] },
    o?: CallOptions<never>,
  ): Promise<ClassifiedTexts> {
    return this.call('trainingClassify', req, o);
  }
  trainingDispose(req: { runId: string }, o?: CallOptions<never>): Promise<void> {
    return this.call('trainingDispose', req, o);
  }
  /** Distils the teacher into the student in the worker (src/engine/training/distillMethods.ts); the student
   *  stays there under the returned `runId` until saved. */
  trainingDistill(req: DistillRequest, o?: CallOptions<DistillProgress>): Promise<DistillView> {
    return this.call('trainingDistill', req, o);
  }
  trainingDistillSave(
    req: { runId: string; dir?: string; overwrite?: boolean },
    o?: CallOptions<never>,
  ): Promise<{ dir: string }> {
    return this.call('trainingDistillSave', req, o);
  }
  /** "Why this label?" for a trained run's test example (saliency through the trained network, cancellable). */
  trainingExplain(req: ExplainExampleRequest, o?: CallOptions<never>): Promise<ExplainedExample> {
    return this.call('trainingExplain', req, o);
  }
  // Domain adaptation (src/engine/training/adaptMethods.ts).
  trainingAdapt(req: AdaptRequest, o?: CallOptions<AdaptMethodProgress>): Promise<AdaptResult> {
    return this.call('trainingAdapt', req, o);
  }
  trainingAdaptSave(
    req: { runId: string; dir?: string; overwrite?: boolean; quantized?: boolean },
    o?: CallOptions<never>,
  ): Promise<{ dir: string }> {
    return this.call('trainingAdaptSave', req, o);
  }
  trainingAdaptDispose(req: { runId: string }, o?: CallOptions<never>): Promise<void> {
    return this.call('trainingAdaptDispose', req, o);
  }

  async dispose(): Promise<void> {
    this.failAll(new CancelledError());
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

function isPreparing(p: unknown): p is PreparingProgress {
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof (p as PreparingProgress).preparing === 'string' &&
    typeof (p as PreparingProgress).state === 'string'
  );
}
