// A loaded model: its folder, tokenizer and ONNX sessions. The plain session serves predictions; the
// introspection session (extra outputs for attention and hidden states) and the masked-LM session (head run
// for the masked rows only) are opened the first time they are needed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Device, ModelSummary, Variant } from './api';
import { EngineError } from './errors';
import type { ModelFolder } from './models/modelFolder';
import { VARIANT_FILES, chooseVariant, readModelFolder, tasksFor, variantFile } from './models/modelFolder';
import { GATHER_POSITIONS_INPUT, addGraphOutputs, findAttentionOutputs, findHiddenStateOutputs, findPreLnHiddenStateOutputs, gatherBeforeHead, hasFusedAttention, inspectGraph, type GraphInfo } from './onnx/graph';
import { type GradientGraph, type GradientOptions, buildGradientGraph } from './grad/gradient';
import { type InputTensor, type OutputTensor, RuntimeSession, openSession } from './runtime';
import type { Encoded } from './tokenizer';
import { TextTokenizer } from './tokenizer';

/** Past key/value inputs of a decoder export (`past_key_values.0.key`, or `past.0` in older exports). */
export const PAST_INPUT = /^past_key_values\.|^past\.\d+/;

export interface Tensor3 {
  data: Float32Array;
  dims: number[];
}

export class LoadedModel {
  private graph?: GraphInfo;
  private bytes?: Uint8Array;
  /** Sessions with extra outputs: 'attention' (probabilities) and 'hidden' (layer outputs), opened apart so
   *  that reading hidden states keeps ORT's attention fusions and skips copying attention maps. */
  private readonly introspect = new Map<'attention' | 'hidden', Promise<RuntimeSession>>();
  private mlm?: Promise<RuntimeSession>;
  private readonly gradients = new Map<string, Promise<{ graph: GradientGraph; session: RuntimeSession }>>();
  /** Sessions that also output named intermediate tensors (input embeddings), keyed by the names. */
  private readonly extra = new Map<string, Promise<RuntimeSession>>();
  /** Set by dispose(): no session is opened after it (one would never be released). */
  private disposed = false;

  private constructor(
    readonly id: string,
    readonly folder: ModelFolder,
    readonly variant: Variant,
    readonly tokenizer: TextTokenizer,
    readonly plain: RuntimeSession,
    private readonly device: Device,
  ) {}

  static async load(id: string, folderPath: string, variant: Variant | undefined, device: Device = 'cpu', maxLength?: number): Promise<LoadedModel> {
    const folder = readModelFolder(folderPath);
    if (maxLength !== undefined && Number.isFinite(maxLength) && maxLength >= 16) folder.maxLength = Math.min(folder.maxLength, Math.floor(maxLength));
    const v = chooseVariant(folder, variant);
    const tokenizer = TextTokenizer.load(folder.path, folder.tokenizerConfig);
    const onnxPath = path.join(folder.path, variantFile(folder.path, v));
    const plain = await openSession(onnxPath, device);
    return new LoadedModel(id, folder, v, tokenizer, plain, device);
  }

  get onnxPath(): string {
    return path.join(this.folder.path, variantFile(this.folder.path, this.variant));
  }

  private modelBytes(): Uint8Array {
    this.bytes ??= new Uint8Array(fs.readFileSync(this.onnxPath));
    return this.bytes;
  }

  graphInfo(): GraphInfo {
    this.graph ??= inspectGraph(this.modelBytes());
    return this.graph;
  }

  attentionAvailable(): boolean {
    return !hasFusedAttention(this.graphInfo()) && findAttentionOutputs(this.graphInfo(), this.folder.numLayers) !== undefined;
  }

  summary(): ModelSummary {
    const f = this.folder;
    return {
      id: this.id,
      path: f.path,
      family: f.family,
      modelType: f.config.model_type ?? 'unknown',
      architectures: f.config.architectures ?? [],
      head: f.head,
      tasks: tasksFor(f.head),
      variant: this.variant,
      variants: f.variants,
      provider: this.plain.provider,
      fallbackReason: this.plain.fallbackReason,
      numLayers: f.numLayers,
      numHeads: f.numHeads,
      hiddenSize: f.hiddenSize,
      maxLength: f.maxLength,
      vocabSize: Number(f.config.vocab_size ?? this.tokenizer.vocabSize()),
      maskToken: this.tokenizer.maskToken,
      labels: f.labels,
      attentionAvailable: this.attentionAvailable(),
    };
  }

  /** Builds the graph inputs the session declares (token_type_ids only when the graph has it), padding a batch
   *  to its longest sequence. */
  feeds(batch: Encoded[], session: RuntimeSession): Record<string, InputTensor> {
    const len = Math.max(...batch.map((e) => e.ids.length));
    const n = batch.length;
    const ids = new BigInt64Array(n * len).fill(BigInt(this.tokenizer.padId));
    const mask = new BigInt64Array(n * len);
    const types = new BigInt64Array(n * len);
    batch.forEach((e, b) => {
      for (let i = 0; i < e.ids.length; i++) {
        ids[b * len + i] = BigInt(e.ids[i]);
        mask[b * len + i] = 1n;
        types[b * len + i] = BigInt(e.typeIds[i] ?? 0);
      }
    });
    const feeds: Record<string, InputTensor> = {};
    for (const name of session.inputNames) {
      if (name === 'input_ids') feeds[name] = { type: 'int64', data: ids, dims: [n, len] };
      else if (name === 'attention_mask') feeds[name] = { type: 'int64', data: mask, dims: [n, len] };
      else if (name === 'token_type_ids') feeds[name] = { type: 'int64', data: types, dims: [n, len] };
      else if (name === 'position_ids') {
        const pos = new BigInt64Array(n * len);
        for (let b = 0; b < n; b++) for (let i = 0; i < len; i++) pos[b * len + i] = BigInt(i);
        feeds[name] = { type: 'int64', data: pos, dims: [n, len] };
      } else if (PAST_INPUT.test(name)) {
        // A decoder with a key/value cache, run without one: zero-length past (see causal.ts for the cached steps).
        feeds[name] = this.emptyPast(session, name, n);
      } else if (name === 'use_cache_branch') {
        feeds[name] = { type: 'bool', data: new Uint8Array([0]), dims: [1] };
      } else if (name !== GATHER_POSITIONS_INPUT) {
        throw new EngineError('unsupported-inputs', `The model's graph needs an input BERT Lens does not know: ${name}.`, 'Supported inputs: input_ids, attention_mask, token_type_ids, position_ids.');
      }
    }
    return feeds;
  }

  /** A zero-length past key/value tensor [batch, kv heads, 0, head dim] for `name`, shaped as the graph declares. */
  emptyPast(session: RuntimeSession, name: string, batch: number): InputTensor {
    const shape = session.inputShape(name) ?? [];
    const heads = typeof shape[1] === 'number' ? shape[1] : this.folder.numHeads;
    const dim = typeof shape[3] === 'number' ? shape[3] : Math.floor(this.folder.hiddenSize / Math.max(1, this.folder.numHeads));
    return { type: 'float32', data: new Float32Array(0), dims: [batch, heads, 0, dim] };
  }

  /** Runs the plain graph and returns the named outputs (all of them when omitted). */
  async run(batch: Encoded[], outputs?: string[]): Promise<Record<string, OutputTensor>> {
    this.checkNotDisposed();
    return this.plain.run(this.feeds(batch, this.plain), outputs ?? [...this.plain.outputNames]);
  }

  private introspectionNames(): { attentions?: string[]; hidden?: string[] } {
    const g = this.graphInfo();
    const hidden = this.folder.head === 'causal-lm' ? findPreLnHiddenStateOutputs(g, this.folder.numLayers) : findHiddenStateOutputs(g, this.folder.numLayers);
    return { attentions: findAttentionOutputs(g, this.folder.numLayers), hidden };
  }

  private introspectionSession(kind: 'attention' | 'hidden'): Promise<RuntimeSession> {
    this.checkNotDisposed();
    let p = this.introspect.get(kind);
    if (!p) {
      const names = this.introspectionNames();
      const extra = (kind === 'attention' ? names.attentions : names.hidden) ?? [];
      const missing = extra.filter((n) => !this.plain.outputNames.includes(n));
      p = missing.length ? openSession(addGraphOutputs(this.modelBytes(), missing), this.device) : Promise.resolve(this.plain);
      this.introspect.set(kind, p);
    }
    return p;
  }

  /** Attention probabilities, one [batch, heads, seq, seq] tensor per layer. */
  async attentions(batch: Encoded[]): Promise<Tensor3[]> {
    const { attentions } = this.introspectionNames();
    if (!attentions) {
      throw new EngineError('attention-unavailable', 'Attention is not available in this export: its attention is fused into one operator (an optimised ONNX graph), so the probabilities are never computed as a tensor.', 'Use the unoptimised export (onnx/model.onnx or model_quantized.onnx from the same repository).');
    }
    const s = await this.introspectionSession('attention');
    const out = await s.run(this.feeds(batch, s), attentions);
    return attentions.map((n) => out[n]);
  }

  /** Hidden states [batch, seq, hidden] for the given layer indexes (0 = embeddings, L = last layer). */
  async hiddenStates(batch: Encoded[], layers: number[]): Promise<Tensor3[]> {
    const { hidden } = this.introspectionNames();
    if (!hidden) {
      throw new EngineError('hidden-unavailable', 'The per-layer hidden states cannot be located in this export.', 'Use an export with plain LayerNorm operators (a hub ONNX export such as Xenova/*), or the embeddings of the last layer only via a feature-extraction model.');
    }
    const names = layers.map((l) => hidden[l]);
    // A feature-extraction export already outputs the last layer: no edited session needed for it.
    const lastOut = this.plain.outputNames.find((n) => n === 'last_hidden_state');
    if (lastOut && layers.every((l) => l === this.folder.numLayers)) {
      const out = await this.plain.run(this.feeds(batch, this.plain), [lastOut]);
      return layers.map(() => out[lastOut]);
    }
    const s = await this.introspectionSession('hidden');
    const out = await s.run(this.feeds(batch, s), [...new Set(names)]);
    return names.map((n) => out[n]);
  }

  /** Name of the vocabulary-logits output of a masked-LM head. */
  mlmOutput(): string {
    const names = this.plain.outputNames;
    return names.find((n) => n === 'prediction_logits') ?? names.find((n) => n === 'logits') ?? names[0];
  }

  /** Vocabulary logits [k, vocab] at the given positions of one sequence, computing the head for those rows
   *  only. Falls back to the full head when the graph cannot be cut. */
  async maskedLogits(enc: Encoded, positions: number[]): Promise<Tensor3> {
    const s = await this.maskedLmSession();
    const out = this.mlmOutput();
    if (s.inputNames.includes(GATHER_POSITIONS_INPUT)) {
      const feeds = this.feeds([enc], s);
      feeds[GATHER_POSITIONS_INPUT] = { type: 'int64', data: BigInt64Array.from(positions.map(BigInt)), dims: [positions.length] };
      const r = (await s.run(feeds, [out]))[out];
      return { data: r.data, dims: [positions.length, r.dims[r.dims.length - 1]] };
    }
    const r = (await s.run(this.feeds([enc], s), [out]))[out];
    const v = r.dims[r.dims.length - 1];
    const data = new Float32Array(positions.length * v);
    positions.forEach((p, i) => data.set(r.data.subarray(p * v, (p + 1) * v), i * v));
    return { data, dims: [positions.length, v] };
  }

  /** Vocabulary logits [batch, k, vocab] at the k given positions of every sequence of a batch (the head runs for
   *  batch × k rows): pseudo-log-likelihood masks one position per sequence and reads row b of sequence b. */
  async maskedLogitsBatch(batch: Encoded[], positions: number[]): Promise<Tensor3> {
    const s = await this.maskedLmSession();
    const out = this.mlmOutput();
    if (s.inputNames.includes(GATHER_POSITIONS_INPUT)) {
      const feeds = this.feeds(batch, s);
      feeds[GATHER_POSITIONS_INPUT] = { type: 'int64', data: BigInt64Array.from(positions.map(BigInt)), dims: [positions.length] };
      const r = (await s.run(feeds, [out]))[out];
      return { data: r.data, dims: [batch.length, positions.length, r.dims[r.dims.length - 1]] };
    }
    const r = (await s.run(this.feeds(batch, s), [out]))[out];
    const [, len, v] = r.dims;
    const data = new Float32Array(batch.length * positions.length * v);
    for (let b = 0; b < batch.length; b++) positions.forEach((p, i) => data.set(r.data.subarray((b * len + p) * v, (b * len + p + 1) * v), (b * positions.length + i) * v));
    return { data, dims: [batch.length, positions.length, v] };
  }

  private checkNotDisposed(): void {
    if (this.disposed) throw new EngineError('model-disposed', `The model ${this.id} was unloaded while a request still used it.`, 'Try again; please report it if it happens again.');
  }

  private maskedLmSession(): Promise<RuntimeSession> {
    this.checkNotDisposed();
    this.mlm ??= (async () => {
      const hidden = findHiddenStateOutputs(this.graphInfo(), this.folder.numLayers);
      if (!hidden) return this.plain;
      try {
        return await openSession(gatherBeforeHead(this.modelBytes(), hidden[hidden.length - 1], this.mlmOutput()), this.device);
      } catch {
        return this.plain;
      }
    })();
    return this.mlm;
  }

  /** A gradient graph built from the fp32 variant (whatever variant serves predictions) and its session,
   *  opened the first time `key` is asked for and disposed with the model. */
  gradientSession(key: string, options: (fp32Bytes: Uint8Array) => GradientOptions): Promise<{ graph: GradientGraph; session: RuntimeSession }> {
    this.checkNotDisposed();
    let p = this.gradients.get(key);
    if (!p) {
      p = (async () => {
        if (!this.folder.variants.includes('fp32')) {
          throw new EngineError('grad-int8', `Gradients need the fp32 variant; this model has only ${this.folder.variants.map((v) => VARIANT_FILES[v]).join(', ')}.`, 'Use a model folder with onnx/model.onnx (the fp32 export).');
        }
        const bytes = this.variant === 'fp32' ? this.modelBytes() : new Uint8Array(fs.readFileSync(path.join(this.folder.path, VARIANT_FILES.fp32)));
        const graph = await buildGradientGraph(bytes, options(bytes));
        return { graph, session: await openSession(graph.bytes, this.device) };
      })();
      p.catch(() => this.gradients.delete(key));
      this.gradients.set(key, p);
    }
    return p;
  }

  /** A session whose outputs include the named intermediate tensors, opened once per set of names. */
  sessionWithOutputs(names: string[]): Promise<RuntimeSession> {
    this.checkNotDisposed();
    const key = names.join('\n');
    let p = this.extra.get(key);
    if (!p) {
      const missing = names.filter((n) => !this.plain.outputNames.includes(n));
      p = missing.length ? openSession(addGraphOutputs(this.modelBytes(), missing), this.device) : Promise.resolve(this.plain);
      this.extra.set(key, p);
    }
    return p;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const sessions = new Set<RuntimeSession>([this.plain]);
    for (const p of this.gradients.values()) await p.then((g) => sessions.add(g.session), () => undefined);
    for (const p of this.extra.values()) sessions.add(await p.catch(() => this.plain));
    for (const p of this.introspect.values()) sessions.add(await p.catch(() => this.plain));
    if (this.mlm) sessions.add(await this.mlm.catch(() => this.plain));
    for (const s of sessions) await s.dispose().catch(() => undefined);
    this.bytes = undefined;
  }
}
