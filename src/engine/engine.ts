// The engine in-process: resolves models, caches loaded ones, and runs tasks. The worker wraps one instance;
// tests may use it directly.
import type { Device, DownloadProgress, ModelSpec, Variant } from './api';
import { EngineError } from './errors';
import type { Logger } from './logger';
import { silentLogger } from './logger';
import { LoadedModel } from './model';
import { DEVICES } from './runtime';
import { resolveModel } from './models/resolve';

export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
}

export class Engine {
  private readonly models = new Map<string, Promise<LoadedModel>>();

  /** At most `maxModels` models stay loaded; the least recently used one is disposed first. */
  constructor(
    readonly logger: Logger = silentLogger,
    private readonly maxModels = 3,
  ) {}

  /** Keys of the loaded models, least recently used first. */
  loadedKeys(): string[] {
    return [...this.models.keys()];
  }

  async model(spec: ModelSpec = {}, o: LoadOptions = {}): Promise<LoadedModel> {
    const device: Device = spec.device ?? 'cpu';
    if (!DEVICES.includes(device)) {
      throw new EngineError('unknown-device', `Unknown device "${String(device)}".`, `Use one of: ${DEVICES.join(', ')}.`);
    }
    if (spec.variant && !['fp32', 'quantized', 'fp16'].includes(spec.variant)) {
      throw new EngineError('unknown-variant', `Unknown variant "${String(spec.variant)}".`, 'Use fp32, quantized or fp16.');
    }
    const resolved = await resolveModel(spec, o);
    const key = `${resolved.path}|${spec.variant ?? ''}|${device}|${spec.maxLength ?? ''}`;
    let p = this.models.get(key);
    if (p) {
      this.models.delete(key); // re-insert: most recently used last
      this.models.set(key, p);
    } else {
      const started = Date.now();
      p = LoadedModel.load(resolved.id, resolved.path, spec.variant as Variant | undefined, device, spec.maxLength);
      this.models.set(key, p);
      p.then(
        (m) => {
          this.logger.info(`loaded ${m.id} (${m.variant}) on ${m.plain.provider} in ${Date.now() - started} ms`);
          if (m.plain.fallbackReason) this.logger.warn(m.plain.fallbackReason);
        },
        () => this.models.delete(key),
      );
      this.evict();
    }
    return p;
  }

  private evict(): void {
    while (this.models.size > this.maxModels) {
      const [oldest, p] = this.models.entries().next().value as [string, Promise<LoadedModel>];
      this.models.delete(oldest);
      this.logger.info(`unloading ${oldest.split('|')[0]} (keeping the ${this.maxModels} most recently used models)`);
      p.then((m) => m.dispose(), () => undefined);
    }
  }

  async unloadAll(): Promise<void> {
    const all = [...this.models.values()];
    this.models.clear();
    for (const p of all) await (await p.catch(() => undefined))?.dispose();
  }
}
