// The engine in-process: resolves models, caches loaded ones, and runs tasks. The worker wraps one instance;
// tests may use it directly.
import type { Device, DownloadProgress, ModelSpec, Variant } from './api';
import { EngineError } from './errors';
import type { Logger } from './logger';
import { silentLogger } from './logger';
import { LoadedModel, type ModelOptions } from './model';
import { DEVICES } from './runtime';
import { resolveModel } from './models/resolve';

export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
}

/** A loaded model held for a piece of work; `release()` once the work is done (idempotent). */
export interface ModelLease {
  model: LoadedModel;
  release(): void;
}

interface CacheEntry {
  promise: Promise<LoadedModel>;
  /** Requests running on this model right now. */
  refs: number;
  /** Dropped from the cache: disposed as soon as `refs` reaches 0. */
  evicted: boolean;
}

export class Engine {
  private readonly models = new Map<string, CacheEntry>();

  /** At most `maxModels` models stay cached; the least recently used one is dropped first, and disposed once
   *  no request runs on it any more (reference counts: eviction never pulls sessions from under a request). */
  constructor(
    readonly logger: Logger = silentLogger,
    private readonly maxModels = 3,
    /** Options of every model loaded (repackAfterMs: when a model's variants and backward graphs are released). */
    private readonly modelOptions: ModelOptions = {},
  ) {}

  /** Keys of the loaded models, least recently used first. */
  loadedKeys(): string[] {
    return [...this.models.keys()];
  }

  /** The model for `spec` (loaded, or from the cache) without holding it: fine for a quick look (summary) or
   *  for callers that own the Engine; work that awaits while using the model should `use` or `acquire`. */
  async model(spec: ModelSpec = {}, o: LoadOptions = {}): Promise<LoadedModel> {
    const entry = await this.entry(spec, o);
    return entry.promise;
  }

  /** The model for `spec`, held until `release()`: eviction meanwhile only drops it from the cache, and the
   *  last release disposes it. */
  async acquire(spec: ModelSpec = {}, o: LoadOptions = {}): Promise<ModelLease> {
    const entry = await this.entry(spec, o);
    entry.refs++; // synchronously after the lookup: no eviction can come in between
    let model: LoadedModel;
    try {
      model = await entry.promise;
    } catch (err) {
      this.release(entry);
      throw err;
    }
    let released = false;
    return {
      model,
      release: () => {
        if (released) return;
        released = true;
        this.release(entry);
      },
    };
  }

  /** Runs `fn` on the model for `spec`, holding it for the duration. */
  async use<R>(spec: ModelSpec, o: LoadOptions, fn: (m: LoadedModel) => Promise<R>): Promise<R> {
    const lease = await this.acquire(spec, o);
    try {
      return await fn(lease.model);
    } finally {
      lease.release();
    }
  }

  private release(entry: CacheEntry): void {
    entry.refs--;
    if (entry.evicted && entry.refs === 0) this.dispose(entry);
  }

  private dispose(entry: CacheEntry): Promise<void> {
    return entry.promise.then(
      (m) => m.dispose(),
      () => undefined,
    );
  }

  private async entry(spec: ModelSpec, o: LoadOptions): Promise<CacheEntry> {
    const device: Device = spec.device ?? 'cpu';
    if (!DEVICES.includes(device)) {
      throw new EngineError(
        'unknown-device',
        `Unknown device "${String(device)}".`,
        `Use one of: ${DEVICES.join(', ')}.`,
      );
    }
    if (spec.variant && !['fp32', 'quantized', 'fp16'].includes(spec.variant)) {
      throw new EngineError(
        'unknown-variant',
        `Unknown variant "${String(spec.variant)}".`,
        'Use fp32, quantized or fp16.',
      );
    }
    const resolved = await resolveModel(spec, o);
    const key = `${resolved.path}|${spec.variant ?? ''}|${device}|${spec.maxLength ?? ''}`;
    let entry = this.models.get(key);
    if (entry) {
      this.models.delete(key); // re-insert: most recently used last
      this.models.set(key, entry);
    } else {
      const started = Date.now();
      const promise = LoadedModel.load(
        resolved.id,
        resolved.path,
        spec.variant as Variant | undefined,
        device,
        spec.maxLength,
        this.modelOptions,
      );
      const e: CacheEntry = { promise, refs: 0, evicted: false };
      entry = e;
      this.models.set(key, e);
      promise.then(
        (m) => {
          this.logger.info(`loaded ${m.id} (${m.variant}) on ${m.plain.provider} in ${Date.now() - started} ms`);
          if (m.plain.fallbackReason) this.logger.warn(m.plain.fallbackReason);
        },
        () => {
          if (this.models.get(key) === e) this.models.delete(key);
        },
      );
      this.evict();
    }
    return entry;
  }

  private evict(): void {
    while (this.models.size > this.maxModels) {
      const [oldest, entry] = this.models.entries().next().value as [string, CacheEntry];
      this.models.delete(oldest);
      entry.evicted = true;
      const busy = entry.refs > 0 ? ` once its ${entry.refs} running request(s) end` : '';
      this.logger.info(
        `unloading ${oldest.split('|')[0]}${busy} (keeping the ${this.maxModels} most recently used models)`,
      );
      if (entry.refs === 0) void this.dispose(entry);
    }
  }

  /** Drops every model from the cache; idle ones are disposed now, busy ones when their last request ends. */
  async unloadAll(): Promise<void> {
    const all = [...this.models.values()];
    this.models.clear();
    for (const e of all) {
      e.evicted = true;
      if (e.refs === 0) await this.dispose(e);
    }
  }
}
