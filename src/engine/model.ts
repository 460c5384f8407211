// A loaded model: its folder, tokenizer and ONE ONNX session holding one copy of the weights.
//
// At BERT-base scale every extra session used to cost its own copy of the weights (400–500 MiB each) and a full
// in-memory copy of the file for graph surgery. Now:
//  - the file is scanned as a stream into a "skeleton" (onnx/scan.ts): its structure, with every weight an ONNX
//    external-data reference to its byte range in the original model.onnx. Capabilities (attention available,
//    hidden states) come from the skeleton; the file's bytes are never held in JS;
//  - the session that serves every task is one edited skeleton: the plain graph, plus a row Gather before a
//    masked-LM head (fill-mask computes the vocabulary head for the masked rows only; plain calls feed every row),
//    plus the attention probabilities and per-layer hidden states as extra outputs. Each task fetches only what it
//    needs. ORT reads the weights from the file itself (memory-mapped) and packs them once;
//  - graphs that cannot be folded into that one session (a backward graph, a pooled encoder) open through
//    `openVariant` / `gradientSession`: an edit of the same skeleton, opened on first use, reading the same file's
//    weights without packing its own copy (so that the operating system's page cache holds them once). Before the
//    first of them opens, the one session is reopened the same way (`shareWeights`): from then on every session
//    of the model reads one copy of the weights with the same kernels, and all paths agree to 1e-6;
//  - once none of those has run for a while (`repackAfterMs`), they are released (their graphs stay built) and the
//    one session is reopened packed again (`repack`): the fastest kernels come back for hovers and fill-mask; the
//    next variant or backward use shares again.
// Measurements behind these choices: docs/benchmarks.md, "BERT-base scale".
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Device, ModelSummary, PreparingProgress, Variant } from './api';
import { EngineError } from './errors';
import type { ModelFolder } from './models/modelFolder';
import { VARIANT_FILES, chooseVariant, readModelFolder, tasksFor, variantFile } from './models/modelFolder';
import {
  GATHER_POSITIONS_INPUT,
  addGraphOutputs,
  findAttentionOutputs,
  findHiddenStateOutputs,
  findPreLnHiddenStateOutputs,
  gatherBeforeHead,
  hasFusedAttention,
  inspectGraph,
  type GraphInfo,
} from './onnx/graph';
import { type GradientGraph, type GradientOptions, buildGradientGraph } from './grad/gradient';
import { scanModel } from './onnx/scan';
import { type InputTensor, type OpenOptions, type OutputTensor, RuntimeSession, openSession } from './runtime';
import type { Encoded } from './tokenizer';
import { TextTokenizer } from './tokenizer';

/** Past key/value inputs of a decoder export (`past_key_values.0.key`, or `past.0` in older exports). */
export const PAST_INPUT = /^past_key_values\.|^past\.\d+/;

export interface Tensor3 {
  data: Float32Array;
  dims: number[];
}

/** The vocabulary-logits output of a masked-LM head among a graph's outputs. */
function mlmOutputOf(outputs: readonly string[]): string {
  return outputs.find((n) => n === 'prediction_logits') ?? outputs.find((n) => n === 'logits') ?? outputs[0];
}

interface MainSession {
  session: RuntimeSession;
  /** The row Gather before the masked-LM head is in the graph. */
  gathered: boolean;
  /** Introspection outputs present in the session. */
  attentions?: string[];
  hidden?: string[];
  /** What each rejected combination failed with (for the log). */
  notes: string[];
  /** The graph the session runs (rebuilt from the skeleton to reopen it with shared weights). */
  build?: () => Uint8Array;
  /** Reopened without its packed copy (and, fp32, with the backward graphs' kernels), next to a variant or
   *  backward graph that reads the same file's weights. */
  shared: boolean;
  /** Dynamic int8: no backward graph reads this file (gradients use the fp32 one), and its integer kernels give
   *  the same numbers packed or not, so only prepacking is left out when it shares its weights. */
  quantized: boolean;
  /** Reopening it shared failed once (see notes): it stays packed. */
  shareFailed?: boolean;
}

/** The file that holds a model's weights: a link resolved (the hub cache links snapshot files to blobs/<etag>).
 *  Skeletons reference their weights by file name inside one folder, and ONNX Runtime refuses external data
 *  that a link would lead out of that folder, so edited graphs (attention, hidden states, gradients) must name
 *  the blob itself. */
export function weightsFile(p: string): string {
  try {
    return fs.lstatSync(p).isSymbolicLink() ? fs.realpathSync(p) : p;
  } catch {
    return p; // missing: opening it gives the error
  }
}

/** Opens the one session: the most complete combination that ORT accepts (with gather and extra outputs, then
 *  without the gather, then the plain skeleton, then the file itself). */
async function openMain(
  onnxPath: string,
  folder: ModelFolder,
  device: Device,
  skeleton: Uint8Array | undefined,
  graph: GraphInfo | undefined,
): Promise<MainSession> {
  const notes: string[] = [];
  const attempts: { build: () => Uint8Array; gathered: boolean; extras: boolean }[] = [];
  if (skeleton && graph) {
    const attentions = findAttentionOutputs(graph, folder.numLayers);
    const hidden =
      folder.head === 'causal-lm'
        ? findPreLnHiddenStateOutputs(graph, folder.numLayers)
        : findHiddenStateOutputs(graph, folder.numLayers);
    const extra = [...(attentions ?? []), ...(hidden ?? [])].filter((n) => !graph.outputs.includes(n));
    const headOut = mlmOutputOf(graph.outputs);
    // Dynamic int8 quantization scales each MatMul input by its own min/max: gathering rows first would change
    // the head's quantization (logits off by ~0.03), so quantized heads keep every row.
    const dynamicQuant = graph.nodes.some(
      (n) => n.opType === 'DynamicQuantizeLinear' || n.opType === 'DynamicQuantizeMatMul',
    );
    const wantsGather = !!hidden && !dynamicQuant && (folder.head === 'masked-lm' || folder.head === 'pretraining');
    const withExtras = (b: Uint8Array) => (extra.length ? addGraphOutputs(b, extra) : b);
    if (wantsGather)
      attempts.push({
        build: () => withExtras(gatherBeforeHead(skeleton, hidden[hidden.length - 1], headOut)),
        gathered: true,
        extras: true,
      });
    attempts.push({ build: () => withExtras(skeleton), gathered: false, extras: true });
    attempts.push({ build: () => skeleton, gathered: false, extras: false });
    for (const a of attempts) {
      try {
        const session = await openSession(a.build(), device, { externalDataFolder: path.dirname(onnxPath) });
        return {
          session,
          gathered: a.gathered,
          attentions: a.extras ? attentions : undefined,
          hidden: a.extras ? hidden : undefined,
          notes,
          build: a.build,
          shared: false,
          quantized: dynamicQuant,
        };
      } catch (err) {
        notes.push(err instanceof Error ? err.message : String(err));
      }
    }
  }
  // The file itself: ORT's own error (corrupt-model) is the one the user sees when nothing opens.
  const session = await openSession(onnxPath, device);
  return { session, gathered: false, notes, shared: false, quantized: false };
}

/** Default of `ModelOptions.repackAfterMs`: a minute without a variant or backward run. */
export const REPACK_AFTER_MS = 60_000;

export interface ModelOptions {
  /** After this many ms without a run on any variant or backward session, those sessions are released (their
   *  built graphs kept) and the one session is reopened with packed weights and the default fusions. 0 or
   *  Infinity: never (the model keeps sharing until it is unloaded). */
  repackAfterMs?: number;
}

/** Who hears that a session opened on first use is being prepared, and what to call it ("saliency"). */
export interface Preparing {
  preparing?: string;
  onPreparing?: (p: PreparingProgress) => void;
}

export class LoadedModel {
  private readonly variants = new Map<string, Promise<RuntimeSession>>();
  private readonly gradients = new Map<string, Promise<{ graph: GradientGraph; session: RuntimeSession }>>();
  /** The model's own outputs on the one session (what a plain export would show). */
  readonly plain: RuntimeSession;
  /** Set by dispose(): no session is opened after it (one would never be released). */
  private disposed = false;
  /** The one session's reopenings (shared, packed again), one after the other. */
  private switching: Promise<void> = Promise.resolve();
  /** Counts the calls to shareWeights: a repack gives up when one came after it was asked for. */
  private shareRequests = 0;
  /** Every variant and backward session opened (released when idle, reopened on their next use). */
  private readonly secondary = new Set<RuntimeSession>();
  /** Variants and backward sessions being opened for the first time. */
  private opening = 0;
  private idleTimer?: ReturnType<typeof setTimeout>;
  /** The release of idle sessions and repack in progress. */
  private idling: Promise<void> = Promise.resolve();
  /** Times the one session was reopened packed after sharing. */
  private repacks = 0;

  private constructor(
    readonly id: string,
    readonly folder: ModelFolder,
    readonly variant: Variant,
    readonly tokenizer: TextTokenizer,
    private readonly main: MainSession,
    private readonly skeletonBytes: Uint8Array | undefined,
    private readonly graph: GraphInfo | undefined,
    private readonly device: Device,
    private readonly repackAfterMs: number,
  ) {
    const own = graph ? graph.outputs : [...main.session.outputNames];
    this.plain = main.session.view(own.filter((n) => main.session.outputNames.includes(n)));
  }

  static async load(
    id: string,
    folderPath: string,
    variant: Variant | undefined,
    device: Device = 'cpu',
    maxLength?: number,
    options: ModelOptions = {},
  ): Promise<LoadedModel> {
    const folder = readModelFolder(folderPath);
    if (maxLength !== undefined && Number.isFinite(maxLength) && maxLength >= 16)
      folder.maxLength = Math.min(folder.maxLength, Math.floor(maxLength));
    const v = chooseVariant(folder, variant);
    const tokenizer = TextTokenizer.load(folder.path, folder.tokenizerConfig);
    const onnxPath = weightsFile(path.join(folder.path, variantFile(folder.path, v)));
    let skeleton: Uint8Array | undefined;
    let graph: GraphInfo | undefined;
    try {
      skeleton = scanModel(onnxPath).bytes;
      graph = inspectGraph(skeleton);
    } catch {
      skeleton = undefined; // not readable as ONNX: opening the file gives ORT's own explanation
      graph = undefined;
    }
    const main = await openMain(onnxPath, folder, device, skeleton, graph);
    return new LoadedModel(
      id,
      folder,
      v,
      tokenizer,
      main,
      skeleton,
      graph,
      device,
      options.repackAfterMs ?? REPACK_AFTER_MS,
    );
  }

  get onnxPath(): string {
    return weightsFile(path.join(this.folder.path, variantFile(this.folder.path, this.variant)));
  }

  /** The model's structure: nodes, inputs, outputs (from the streamed scan; no weights). */
  graphInfo(): GraphInfo {
    if (!this.graph)
      throw new EngineError(
        'corrupt-model',
        'The ONNX graph of this model could not be read.',
        'Check that the file is a complete ONNX export (re-download or re-export it).',
      );
    return this.graph;
  }

  /** The model as a small ModelProto whose weights are external-data references to `onnxPath` (byte ranges of its
   *  raw_data). Edit it (addGraphOutputs, gatherBeforeHead, a backward graph …) and open the result with
   *  `openVariant`: the edited graph then shares the file's weights instead of copying them. */
  skeleton(): Uint8Array {
    if (!this.skeletonBytes)
      throw new EngineError(
        'corrupt-model',
        'The ONNX graph of this model could not be read.',
        'Check that the file is a complete ONNX export (re-download or re-export it).',
      );
    return this.skeletonBytes;
  }

  /** Opens (once per `key`, on first use) an edited graph that reads this model's weights from its file:
   *  `build` gets the skeleton and returns the edited ModelProto. By default ORT does not pack a private copy of
   *  the MatMul weights for it (`disablePrepacking`), so that the weights stay one copy in the page cache, and the one
   *  session is first reopened the same way (shareWeights), so that both compute the same numbers. `prepack`
   *  opts out of both (a private packed copy). The session is disposed with the model. */
  openVariant(
    key: string,
    build: (skeleton: Uint8Array) => Uint8Array,
    o: { prepack?: boolean; device?: Device } & Preparing = {},
  ): Promise<RuntimeSession> {
    this.checkNotDisposed();
    this.touch();
    let p = this.variants.get(key);
    if (!p) {
      const externalDataFolder = path.dirname(this.onnxPath);
      const options: OpenOptions = o.prepack ? { externalDataFolder } : this.sharedOptions();
      const device = o.device ?? this.device;
      p = this.announced(
        o,
        this.firstOpen(async () => {
          const bytes = build(this.skeleton()); // kept: reopening after a repack skips the edit
          const open = async () => {
            if (!o.prepack) await this.shareWeights();
            return openSession(bytes, device, options);
          };
          return this.track(await open(), open);
        }),
      );
      this.variants.set(key, p);
      p.catch(() => this.variants.delete(key));
      return p;
    }
    return p.then(async (s) => {
      if (s.suspended) await this.announced(o, s.resume());
      return s;
    });
  }

  /** Counts a first opening (a repack waits for it). */
  private async firstOpen<T>(open: () => Promise<T>): Promise<T> {
    this.opening++;
    try {
      return await open();
    } finally {
      this.opening--;
    }
  }

  /** A variant or backward session: released when the model's variants are idle, reopened by `reopen` (which
   *  shares the weights again first) on its next use; every run restarts the idle timer. */
  private track(s: RuntimeSession, reopen: () => Promise<RuntimeSession>): RuntimeSession {
    this.secondary.add(s);
    s.suspendable(
      async () => {
        this.checkNotDisposed();
        return reopen();
      },
      () => this.touch(),
    );
    this.touch();
    return s;
  }

  /** Restarts the idle timer (a variant or backward session was asked for or ran). */
  private touch(): void {
    const ms = this.repackAfterMs;
    if (this.disposed || !(ms > 0) || !Number.isFinite(ms)) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.idling = this.idling.then(() => this.idle()).catch(() => undefined);
    }, ms);
    this.idleTimer.unref?.();
  }

  /** No variant or backward session ran for repackAfterMs: releases them (their built graphs stay, so reopening
   *  skips graph building) and reopens the one session packed (repack). A run in progress, or a session being
   *  opened, puts it off for another delay. */
  private async idle(): Promise<void> {
    if (this.disposed) return;
    const all = [...this.secondary];
    if (this.opening > 0 || all.some((s) => s.busy)) return this.touch();
    // Synchronously after the check: suspend() gives up only on a session already released.
    await Promise.all(all.map((s) => s.suspend()));
    await this.repack();
  }

  /** The inverse of shareWeights once no other session reads the model's file: reopens the one session with
   *  ORT's default options (its own packed copy of the weights, the LayerNorm/Gelu fusions), the fastest kernels
   *  alone. Runs in progress finish on the shared session, released after them. Gives up when a variant or
   *  backward session is open again, or asked to share, meanwhile. */
  private repack(): Promise<void> {
    return this.switchMain(false);
  }

  /** Resolves once the idle release and the one session's reopenings started so far are done (tests, bench). */
  async settled(): Promise<void> {
    await this.idling;
    await this.switching;
  }

  /** A variant or backward session holds an ORT session (or is being opened). */
  private secondaryOpen(): boolean {
    return this.opening > 0 || [...this.secondary].some((s) => !s.suspended || s.busy);
  }

  /** Reopens the one session shared (shareWeights) or packed (repack), after the switches before it. */
  private switchMain(shared: boolean): Promise<void> {
    const main = this.main;
    const requests = this.shareRequests;
    const stale = () => !shared && (this.shareRequests !== requests || this.secondaryOpen());
    const step = this.switching.then(async () => {
      if (this.disposed || main.shared === shared || stale()) return;
      try {
        const fresh = await openSession(
          main.build!(),
          'cpu',
          shared ? this.sharedOptions() : { externalDataFolder: path.dirname(this.onnxPath) },
        );
        if (this.disposed || stale()) return void (await fresh.dispose());
        main.session.replaceWith(fresh);
        main.shared = shared;
        if (!shared) this.repacks++;
      } catch (err) {
        // The session it has keeps serving: same answers, a few 1e-6 apart from the other sessions'. Not retried.
        if (shared) main.shareFailed = true;
        main.notes.push(`${shared ? 'shared' : 'packed'} weights: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    this.switching = step;
    return step;
  }

  /** Options of every session that reads this model's file next to another (see shareWeights). */
  private sharedOptions(): OpenOptions {
    return {
      externalDataFolder: path.dirname(this.onnxPath),
      disablePrepacking: true,
      backwardKernels: !this.main.quantized,
    };
  }

  /** Before a second session reads this model's file (a variant, the backward graph): reopens the one session
   *  without packed weights (and, fp32, with the backward graphs' kernels), once. Alone, the one session packs its
   *  MatMul weights (its own copy, ORT's fastest kernels; the file's pages are released). With another session next
   *  to it, both read the file's pages (one copy in memory, shared through the page cache) with the same unpacked
   *  kernels and the same fusions, so that the plain, gathered, introspection and backward paths give the same
   *  numbers (scale.test.ts: to 1e-6). The cost of the unpacked kernels at BERT-base size: docs/benchmarks.md,
   *  "BERT-base scale". Runs in progress finish on the packed session, which is released after them. */
  private shareWeights(): Promise<void> {
    const main = this.main;
    if (!main.build || main.session.provider !== 'cpu' || main.shareFailed) return Promise.resolve();
    this.shareRequests++;
    return this.switchMain(true);
  }

  attentionAvailable(): boolean {
    if (!this.graph) return false;
    return !hasFusedAttention(this.graph) && findAttentionOutputs(this.graph, this.folder.numLayers) !== undefined;
  }

  /** How the session was put together (for logs and the benchmark). */
  sessionNotes(): {
    gathered: boolean;
    attentions: boolean;
    hidden: boolean;
    sharedWeights: boolean;
    /** The one session was reopened without its packed copy, next to a variant or backward graph. */
    shared: boolean;
    /** Times the one session was reopened packed after its variants and backward sessions went idle. */
    repacked: number;
    /** Variant and backward sessions holding an ORT session now (not released after idling). */
    openSecondary: number;
    rejected: string[];
  } {
    return {
      gathered: this.main.gathered,
      attentions: !!this.main.attentions,
      hidden: !!this.main.hidden,
      sharedWeights: !!this.skeletonBytes,
      shared: this.main.shared,
      repacked: this.repacks,
      openSecondary: [...this.secondary].filter((s) => !s.suspended).length,
      rejected: this.main.notes,
    };
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
      } else if (name === GATHER_POSITIONS_INPUT) {
        // The gathered head of the one session: a plain call reads every row.
        const pos = new BigInt64Array(len);
        for (let i = 0; i < len; i++) pos[i] = BigInt(i);
        feeds[name] = { type: 'int64', data: pos, dims: [len] };
      } else {
        throw new EngineError(
          'unsupported-inputs',
          `The model's graph needs an input BERT Lens does not know: ${name}.`,
          'Supported inputs: input_ids, attention_mask, token_type_ids, position_ids.',
        );
      }
    }
    return feeds;
  }

  /** A zero-length past key/value tensor [batch, kv heads, 0, head dim] for `name`, shaped as the graph declares. */
  emptyPast(session: RuntimeSession, name: string, batch: number): InputTensor {
    const shape = session.inputShape(name) ?? [];
    const heads = typeof shape[1] === 'number' ? shape[1] : this.folder.numHeads;
    const dim =
      typeof shape[3] === 'number' ? shape[3] : Math.floor(this.folder.hiddenSize / Math.max(1, this.folder.numHeads));
    return { type: 'float32', data: new Float32Array(0), dims: [batch, heads, 0, dim] };
  }

  /** Runs the model and returns the named outputs (the model's own outputs when omitted). */
  async run(batch: Encoded[], outputs?: string[]): Promise<Record<string, OutputTensor>> {
    this.checkNotDisposed();
    const s = this.main.session;
    const names = outputs ?? [...this.plain.outputNames];
    const feeds = this.feeds(batch, s);
    // ORT runs every node whatever is fetched: when the vocabulary logits are not wanted (attention, hidden
    // states), the gathered head computes one row instead of all of them.
    if (this.main.gathered && !names.includes(this.mlmOutput()))
      feeds[GATHER_POSITIONS_INPUT] = { type: 'int64', data: BigInt64Array.from([0n]), dims: [1] };
    return s.run(feeds, names);
  }

  /** Attention probabilities, one [batch, heads, seq, seq] tensor per layer. */
  async attentions(batch: Encoded[]): Promise<Tensor3[]> {
    const attentions = this.main.attentions;
    if (!attentions) {
      throw new EngineError(
        'attention-unavailable',
        'Attention is not available in this export: its attention is fused into one operator (an optimised ONNX graph), so the probabilities are never computed as a tensor.',
        'Use the unoptimised export (onnx/model.onnx or model_quantized.onnx from the same repository).',
      );
    }
    const out = await this.run(batch, attentions);
    return attentions.map((n) => out[n]);
  }

  /** Hidden states [batch, seq, hidden] for the given layer indexes (0 = embeddings, L = last layer). */
  async hiddenStates(batch: Encoded[], layers: number[]): Promise<Tensor3[]> {
    // A feature-extraction export already outputs the last layer.
    const lastOut = this.plain.outputNames.find((n) => n === 'last_hidden_state');
    if (lastOut && layers.every((l) => l === this.folder.numLayers)) {
      const out = await this.run(batch, [lastOut]);
      return layers.map(() => out[lastOut]);
    }
    const hidden = this.main.hidden;
    if (!hidden) {
      throw new EngineError(
        'hidden-unavailable',
        'The per-layer hidden states cannot be located in this export.',
        'Use an export with plain LayerNorm operators (a hub ONNX export such as Xenova/*), or the embeddings of the last layer only via a feature-extraction model.',
      );
    }
    const names = layers.map((l) => hidden[l]);
    const out = await this.run(batch, [...new Set(names)]);
    return names.map((n) => out[n]);
  }

  /** Name of the vocabulary-logits output of a masked-LM head. */
  mlmOutput(): string {
    return mlmOutputOf(this.plain.outputNames);
  }

  /** Vocabulary logits [k, vocab] at the given positions of one sequence, computing the head for those rows
   *  only. Falls back to the full head when the graph cannot be cut. */
  async maskedLogits(enc: Encoded, positions: number[]): Promise<Tensor3> {
    this.checkNotDisposed();
    const s = this.main.session;
    const out = this.mlmOutput();
    const feeds = this.feeds([enc], s);
    if (this.main.gathered) {
      feeds[GATHER_POSITIONS_INPUT] = {
        type: 'int64',
        data: BigInt64Array.from(positions.map(BigInt)),
        dims: [positions.length],
      };
      const r = (await s.run(feeds, [out]))[out];
      return { data: r.data, dims: [positions.length, r.dims[r.dims.length - 1]] };
    }
    const r = (await s.run(feeds, [out]))[out];
    const v = r.dims[r.dims.length - 1];
    const data = new Float32Array(positions.length * v);
    positions.forEach((p, i) => data.set(r.data.subarray(p * v, (p + 1) * v), i * v));
    return { data, dims: [positions.length, v] };
  }

  /** Vocabulary logits [batch, k, vocab] at the k given positions of every sequence of a batch (the head runs for
   *  batch × k rows): pseudo-log-likelihood masks one position per sequence and reads row b of sequence b. */
  async maskedLogitsBatch(batch: Encoded[], positions: number[]): Promise<Tensor3> {
    this.checkNotDisposed();
    const s = this.main.session;
    const out = this.mlmOutput();
    if (this.main.gathered) {
      const feeds = this.feeds(batch, s);
      feeds[GATHER_POSITIONS_INPUT] = {
        type: 'int64',
        data: BigInt64Array.from(positions.map(BigInt)),
        dims: [positions.length],
      };
      const r = (await s.run(feeds, [out]))[out];
      return { data: r.data, dims: [batch.length, positions.length, r.dims[r.dims.length - 1]] };
    }
    const r = (await s.run(this.feeds(batch, s), [out]))[out];
    const [, len, v] = r.dims;
    const data = new Float32Array(batch.length * positions.length * v);
    for (let b = 0; b < batch.length; b++)
      positions.forEach((p, i) =>
        data.set(r.data.subarray((b * len + p) * v, (b * len + p + 1) * v), (b * positions.length + i) * v),
      );
    return { data, dims: [batch.length, positions.length, v] };
  }

  /** Tells `o.onPreparing` that a session is opening (a first use) and when it is ready or failed. */
  private announced<T>(o: Preparing, opening: Promise<T>): Promise<T> {
    const notify = o.onPreparing;
    if (!notify || !o.preparing) return opening;
    const what = o.preparing;
    notify({ preparing: what, state: 'opening', model: this.id });
    opening.then(
      () => notify({ preparing: what, state: 'ready', model: this.id }),
      () => notify({ preparing: what, state: 'failed', model: this.id }),
    );
    return opening;
  }

  private checkNotDisposed(): void {
    if (this.disposed)
      throw new EngineError(
        'model-disposed',
        `The model ${this.id} was unloaded while a request still used it.`,
        'Try again; please report it if it happens again.',
      );
  }

  /** A gradient graph built from the fp32 variant (whatever variant serves predictions) and its session,
   *  opened the first time `key` is asked for and disposed with the model. Both are edits of the fp32 file's
   *  skeleton: the probe run and the backward session read the weights from the file (no copy in JS, and the
   *  session packs no private copy of them); the one session of an fp32 model is reopened the same way first
   *  (shareWeights). */
  gradientSession(
    key: string,
    options: (fp32Bytes: Uint8Array) => GradientOptions,
    preparing: Preparing = {},
  ): Promise<{ graph: GradientGraph; session: RuntimeSession }> {
    this.checkNotDisposed();
    this.touch();
    const cached = this.gradients.get(key);
    if (cached)
      return cached.then(async (g) => {
        if (g.session.suspended) await this.announced(preparing, g.session.resume());
        return g;
      });
    const p = this.announced(
      preparing,
      this.firstOpen(async () => {
        if (!this.folder.variants.includes('fp32')) {
          throw new EngineError(
            'grad-int8',
            `Gradients need the fp32 variant; this model has only ${this.folder.variants.map((v) => VARIANT_FILES[v]).join(', ')}.`,
            'Use a model folder with onnx/model.onnx (the fp32 export).',
          );
        }
        const fp32 = weightsFile(path.join(this.folder.path, VARIANT_FILES.fp32));
        const skeleton = this.variant === 'fp32' ? this.skeleton() : scanModel(fp32).bytes;
        const externalDataFolder = path.dirname(fp32);
        // The backward graph reads the same file as the one session: one copy of the weights, same kernels.
        if (this.variant === 'fp32') await this.shareWeights();
        const graph = await buildGradientGraph(skeleton, options(skeleton), { externalDataFolder });
        // Kept with the graph: reopening after a repack opens these bytes again (no building, no probe run).
        const open = async () => {
          if (this.variant === 'fp32') await this.shareWeights();
          return openSession(graph.bytes, this.device, {
            externalDataFolder,
            disablePrepacking: true,
            backwardKernels: true,
          });
        };
        return { graph, session: this.track(await open(), open) };
      }),
    );
    p.catch(() => this.gradients.delete(key));
    this.gradients.set(key, p);
    return p;
  }

  /** A session whose outputs include the named intermediate tensors: the one session when it already has them,
   *  else a variant (the skeleton plus those outputs, opened once per set of names, sharing the file's weights). */
  sessionWithOutputs(names: string[], preparing: Preparing = {}): Promise<RuntimeSession> {
    this.checkNotDisposed();
    const main = this.main.session;
    const missing = names.filter((n) => !main.outputNames.includes(n));
    if (!missing.length) return Promise.resolve(main);
    const own = this.graph?.outputs ?? [];
    const added = names.filter((n) => !own.includes(n));
    return this.openVariant(`outputs:${added.join('\n')}`, (sk) => addGraphOutputs(sk, added), preparing);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await this.idling;
    for (const p of this.gradients.values())
      await p
        .then(
          (g) => g.session.dispose(),
          () => undefined,
        )
        .catch(() => undefined);
    this.gradients.clear();
    for (const p of this.variants.values()) await (await p.catch(() => undefined))?.dispose().catch(() => undefined);
    this.variants.clear();
    this.secondary.clear();
    await this.switching;
    await this.main.session.dispose().catch(() => undefined);
  }
}
