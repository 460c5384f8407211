// The one module that touches onnxruntime-node. Everything else sees plain arrays and these small types.
import * as fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { Device } from './api';
import { EngineError } from './errors';

export interface InputTensor {
  type: 'int64' | 'float32' | 'bool';
  data: BigInt64Array | Float32Array | Uint8Array;
  dims: number[];
}
export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

ort.env.logLevel = 'error';

export const DEVICES: Device[] = ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'];

/** The ORT session behind a RuntimeSession and its views; `replaceWith` swaps it for every holder at once. */
interface Slot {
  /** Undefined while suspended (see `suspend`). */
  session: ort.InferenceSession | undefined;
  /** Names and input metadata of the graph (kept while suspended). */
  meta: Pick<ort.InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata'>;
  /** Runs in progress (on any session of this slot). */
  running: number;
  /** Replaced sessions, released once no run is in progress. */
  retired: ort.InferenceSession[];
  /** Reopens a suspended session (set by `suspendable`). */
  reopen?: () => Promise<RuntimeSession>;
  /** The reopening in progress. */
  resuming?: Promise<void>;
  /** Called when a run ends (the owner's idle timer). */
  onRunEnd?: () => void;
  disposed: boolean;
}

function metaOf(s: ort.InferenceSession): Slot['meta'] {
  return { inputNames: s.inputNames, outputNames: s.outputNames, inputMetadata: s.inputMetadata };
}

export class RuntimeSession {
  private readonly slot: Slot;
  constructor(
    session: ort.InferenceSession,
    /** The provider that actually runs this session. */
    readonly provider: Device,
    readonly fallbackReason?: string,
    private readonly visibleOutputs?: readonly string[],
    slot?: Slot,
  ) {
    this.slot = slot ?? { session, meta: metaOf(session), running: 0, retired: [], disposed: false };
  }

  get inputNames(): readonly string[] {
    return this.slot.meta.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.visibleOutputs ?? this.slot.meta.outputNames;
  }
  /** Declared shape of an input (numbers for fixed axes, names for symbolic ones), when the model states it. */
  inputShape(name: string): (number | string)[] | undefined {
    const meta = this.slot.meta.inputMetadata?.find((m) => m.name === name);
    return meta && meta.isTensor ? [...meta.shape] : undefined;
  }

  /** The same session (same weights) listing only `outputs`; disposing a view does nothing. */
  view(outputs: readonly string[]): RuntimeSession {
    const v = new RuntimeSession(this.slot.session!, this.provider, this.fallbackReason, outputs, this.slot);
    v.isView = true;
    return v;
  }
  private isView = false;

  /** From now on this session and its views run `next` (a session of the same graph, opened with other options);
   *  the session they ran so far is released once no run uses it. `next` must not be used on its own after. */
  replaceWith(next: RuntimeSession): void {
    if (this.slot.session) this.slot.retired.push(this.slot.session);
    this.slot.session = next.slot.session;
    this.slot.meta = next.slot.meta;
    this.releaseRetired();
  }

  /** Lets `suspend` release the ORT session: the next run reopens it first with `reopen` (a session of the same
   *  graph), and `onRunEnd` hears every run that ends. */
  suspendable(reopen: () => Promise<RuntimeSession>, onRunEnd?: () => void): this {
    this.slot.reopen = reopen;
    this.slot.onRunEnd = onRunEnd;
    return this;
  }

  /** Not holding an ORT session now (suspended; the next run or `resume` reopens it). */
  get suspended(): boolean {
    return !this.slot.session;
  }

  /** ORT sessions this session and its views hold now (the current one, and replaced ones a run still uses). */
  get held(): number {
    return (this.slot.session ? 1 : 0) + this.slot.retired.length;
  }

  /** A run is in progress, or a reopening. */
  get busy(): boolean {
    return this.slot.running > 0 || !!this.slot.resuming;
  }

  /** Releases the ORT session while no run uses it (false, and nothing done, when one does or it cannot be
   *  reopened); this object and its views stay usable: the next run reopens it. */
  async suspend(): Promise<boolean> {
    const s = this.slot;
    if (!s.reopen || !s.session || this.busy) return false;
    const old = s.session;
    s.session = undefined;
    await old.release().catch(() => undefined);
    return true;
  }

  /** Reopens a suspended session (once, however many ask); nothing to do when it holds one. */
  resume(): Promise<void> {
    const s = this.slot;
    if (s.session) return Promise.resolve();
    if (s.disposed || !s.reopen) return Promise.reject(new Error('The session was released.'));
    if (!s.resuming) {
      s.resuming = (async () => {
        try {
          const fresh = await s.reopen!();
          if (s.disposed) {
            await fresh.dispose();
            throw new Error('The session was released.');
          }
          s.session = fresh.slot.session;
          s.meta = fresh.slot.meta;
        } finally {
          s.resuming = undefined;
        }
      })();
    }
    return s.resuming;
  }

  private releaseRetired(): void {
    if (this.slot.running > 0) return;
    for (const s of this.slot.retired.splice(0)) void s.release().catch(() => undefined);
  }

  async run(feeds: Record<string, InputTensor>, outputs: string[]): Promise<Record<string, OutputTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds))
      ortFeeds[name] =
        t.type === 'bool'
          ? new ort.Tensor('bool', t.data as Uint8Array, t.dims)
          : new ort.Tensor(t.type, t.data as BigInt64Array & Float32Array, t.dims);
    this.slot.running++;
    let result: ort.InferenceSession.ReturnType;
    try {
      if (!this.slot.session) await this.resume();
      result = await this.slot.session!.run(ortFeeds, outputs);
    } finally {
      this.slot.running--;
      this.releaseRetired();
      this.slot.onRunEnd?.();
    }
    const out: Record<string, OutputTensor> = {};
    for (const name of outputs) {
      const t = result[name];
      // Integer outputs (indices) as floats: exact below 2^24, far above any row or token count read here.
      const data =
        t.data instanceof Float32Array
          ? t.data
          : t.data instanceof BigInt64Array
            ? Float32Array.from(t.data, Number)
            : Float32Array.from(t.data as ArrayLike<number>);
      out[name] = { data, dims: t.dims.map(Number) };
    }
    for (const t of Object.values(ortFeeds)) t.dispose?.();
    return out;
  }

  async dispose(): Promise<void> {
    if (this.isView) return;
    const slot = this.slot;
    slot.disposed = true;
    await slot.resuming?.catch(() => undefined);
    for (const s of slot.retired.splice(0)) await s.release().catch(() => undefined);
    const s = slot.session;
    slot.session = undefined;
    await s?.release();
  }
}

function providerName(d: Device): string {
  return d; // onnxruntime-node uses the same names: cpu, webgpu, cuda, dml, coreml.
}

/** Opens a session on `device`, falling back to the CPU when that provider cannot start (it throws at session
 *  creation, even with a provider list), and reports which one runs. */
export interface OpenOptions {
  threads?: number;
  /** The folder that a model given as bytes reads its external data from (a skeleton's original file). */
  externalDataFolder?: string;
  /** Keep MatMul weights as they are instead of packing a private copy for this session (session.disable_prepacking). */
  disablePrepacking?: boolean;
  /** None of the fusions that a backward graph cannot get (LayerNorm, Gelu: it reads their intermediates), so that
   *  the forward arithmetic is the same kernels in a model's one session, its variants and its backward graphs. */
  backwardKernels?: boolean;
  /** External data files given as bytes (ORT reads initializers from them instead of the disk). */
  externalData?: { path: string; data: Uint8Array }[];
}

/** ORT optimisers that fuse a forward pattern into one kernel whose float arithmetic differs from the pattern's
 *  operators (measured: 1e-5 on the embedded model's logits). A backward graph reads the pattern's intermediates,
 *  so ORT cannot fuse it there: `backwardKernels` sessions leave them out everywhere. */
const UNSHARED_FUSIONS = [
  'LayerNormFusionL1',
  'LayerNormFusionL2',
  'SimplifiedLayerNormFusion',
  'SkipLayerNormFusion',
  'BiasSkipLayerNormFusion',
  'EmbedLayerNormFusion',
  'GeluFusionL1',
  'GeluFusionL2',
  'BiasGeluFusion',
  'FastGeluFusion',
  'QuickGeluFusion',
];

export async function openSession(
  model: string | Uint8Array,
  device: Device = 'cpu',
  options: OpenOptions = {},
): Promise<RuntimeSession> {
  const config: Record<string, string> = {};
  if (options.externalDataFolder)
    config['session.model_external_initializers_file_folder_path'] = options.externalDataFolder;
  if (options.disablePrepacking) config['session.disable_prepacking'] = '1';
  if (options.backwardKernels) config['optimization.disable_specified_optimizers'] = UNSHARED_FUSIONS.join(';');
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3, // errors only: ORT's buffer-reuse warnings on dynamic shapes are noise to a user
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    ...(Object.keys(config).length ? { extra: config } : {}),
    ...(options.externalData ? { externalData: options.externalData } : {}),
  };
  if (typeof model === 'string' && isEmptyFile(model)) {
    throw new EngineError(
      'corrupt-model',
      `The ONNX file is empty (0 bytes): ${model}`,
      'An interrupted download or copy leaves such a file: re-download or re-export it.',
    );
  }
  const create = (ep: Device) =>
    typeof model === 'string'
      ? ort.InferenceSession.create(model, { ...base, executionProviders: [providerName(ep)] })
      : ort.InferenceSession.create(model, { ...base, executionProviders: [providerName(ep)] });
  if (device !== 'cpu') {
    try {
      return new RuntimeSession(await create(device), device);
    } catch (err) {
      const reason = `${device} is not available here (${firstLine(err)}); running on cpu`;
      return new RuntimeSession(await createOrExplain(() => create('cpu')), 'cpu', reason);
    }
  }
  return new RuntimeSession(await createOrExplain(() => create('cpu')), 'cpu');
}

async function createOrExplain(create: () => Promise<ort.InferenceSession>): Promise<ort.InferenceSession> {
  try {
    return await create();
  } catch (err) {
    throw new EngineError(
      'corrupt-model',
      `The ONNX file could not be loaded: ${ortReason(err)}`,
      'Check that the file is a complete ONNX export (re-download or re-export it).',
    );
  }
}

/** ORT's reason without its C++ source location and signature ("…/model.cc:187 onnxruntime::Model::Model(…)
 *  ModelProto does not have a graph." → "ModelProto does not have a graph."). */
function ortReason(err: unknown): string {
  let m = firstLine(err);
  m = m.replace(/^Load model from .*? failed:\s*/, '');
  m = m.replace(/\S*\.(cc|cpp|h):\d+\s+/, '');
  // A C++ signature: qualified name with its parameter list, then the message.
  const sig = /^[\w:~<>]+::[\w~<>]+\((?:[^()]|\([^()]*\))*\)\s*(?:const\s*)?/.exec(m);
  if (sig) m = m.slice(sig[0].length);
  return m.trim() || 'not a valid ONNX model';
}

function isEmptyFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return st.isFile() && st.size === 0;
  } catch {
    return false; // missing: ORT's own error says so
  }
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0].slice(0, 300);
}

export function runtimeVersion(): string {
  return ort.env.versions?.common ?? 'unknown';
}

export interface TensorMeta {
  type: string;
  dims: number[];
}

/** Runs a model once on the CPU, without graph optimisations, and reports the element type and shape of the
 *  named outputs (the gradient builder's probe: ranks, broadcasts and which tensors are float). */
export async function probeTensors(
  model: Uint8Array,
  feeds: Record<string, InputTensor>,
  outputs: string[],
  externalDataFolder?: string,
): Promise<Record<string, TensorMeta>> {
  // No packed copy of the weights for one throwaway run (at BERT-base size: −50 MiB of peak RSS while the
  // backward graph is built next to the model's session).
  const extra = {
    extra: {
      ...(externalDataFolder ? { 'session.model_external_initializers_file_folder_path': externalDataFolder } : {}),
      'session.disable_prepacking': '1',
    },
  };
  const session = await createOrExplain(() =>
    ort.InferenceSession.create(model, {
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 3,
      executionProviders: ['cpu'],
      ...extra,
    }),
  );
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    const result = await session.run(ortFeeds, outputs);
    const out: Record<string, TensorMeta> = {};
    for (const name of outputs) out[name] = { type: result[name].type, dims: result[name].dims.map(Number) };
    return out;
  } finally {
    await session.release();
  }
}
