// The fine-tuning optimiser and schedule, as Hugging Face's Trainer runs them: AdamW with decoupled weight decay
// (none on biases and LayerNorm weights), a linear warm-up over the first 10 % of the steps then a linear decay
// to zero, gradient accumulation, and length-bucketed batches from a seeded shuffle.
import { EngineError } from '../errors';
import { createRng, shuffleInPlace } from './random';

export interface Parameter {
  name: string;
  dims: number[];
  data: Float32Array;
  /** Excluded from training (frozen) when false. */
  trainable?: boolean;
}

/** HF's rule: no weight decay on biases and LayerNorm weights. In ONNX exports those are the 1-D parameters
 *  (initializer names are not always kept, so the rank decides, with the name as a second hint). */
export function decays(p: Pick<Parameter, 'name' | 'dims'>): boolean {
  if (p.dims.length <= 1) return false;
  return !/(^|[._/])(bias|LayerNorm|layer_norm|layernorm|ln)([._/]|$)/i.test(p.name);
}

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (default 0.01). */
  weightDecay?: number;
}

export interface AdamWState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** torch.optim.AdamW: p ← p − lr·wd·p; m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
 *  p ← p − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε). Parameters are updated in place. */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private state: AdamWState;
  private readonly decay: boolean[];

  constructor(
    readonly params: Parameter[],
    opts: AdamWOptions = {},
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.decay = params.map(decays);
    this.state = { step: 0, m: params.map((p) => new Float32Array(p.trainable === false ? 0 : p.data.length)), v: params.map((p) => new Float32Array(p.trainable === false ? 0 : p.data.length)) };
  }

  get stepCount(): number {
    return this.state.step;
  }

  /** One update with gradients in parameter order (undefined or a frozen parameter: left alone). */
  step(grads: (Float32Array | undefined)[], lr: number): void {
    if (grads.length !== this.params.length) throw new EngineError('internal', `AdamW got ${grads.length} gradients for ${this.params.length} parameters.`);
    const t = ++this.state.step;
    const c1 = 1 - this.beta1 ** t;
    const c2 = 1 - this.beta2 ** t;
    const { beta1: b1, beta2: b2, eps } = this;
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k];
      const g = grads[k];
      if (!g || p.trainable === false) continue;
      if (g.length !== p.data.length) throw new EngineError('internal', `Gradient of ${p.name} has ${g.length} values, the parameter ${p.data.length}.`);
      const x = p.data;
      const m = this.state.m[k];
      const v = this.state.v[k];
      const shrink = this.decay[k] ? 1 - lr * this.weightDecay : 1;
      for (let j = 0; j < x.length; j++) {
        const gj = g[j];
        const mj = (m[j] = b1 * m[j] + (1 - b1) * gj);
        const vj = (v[j] = b2 * v[j] + (1 - b2) * gj * gj);
        x[j] = x[j] * shrink - (lr * (mj / c1)) / (Math.sqrt(vj / c2) + eps);
      }
    }
  }

  exportState(): AdamWState {
    return { step: this.state.step, m: this.state.m.map((a) => a.slice()), v: this.state.v.map((a) => a.slice()) };
  }

  importState(s: AdamWState): void {
    if (s.m.length !== this.params.length) throw new EngineError('checkpoint-mismatch', 'The checkpoint was written for another set of parameters.', 'Start the run again without resuming.');
    this.state = { step: s.step, m: s.m.map((a) => a.slice()), v: s.v.map((a) => a.slice()) };
  }
}

/** HF's get_linear_schedule_with_warmup: the learning rate of optimiser step `step` (0-based) out of `total`,
 *  rising linearly over the first `warmup` steps (step 0 runs at 0, as in HF) then falling linearly to 0. */
export function linearScheduleLr(baseLr: number, step: number, total: number, warmup = Math.ceil(0.1 * total)): number {
  if (step < warmup) return (baseLr * step) / Math.max(1, warmup);
  return baseLr * Math.max(0, (total - step) / Math.max(1, total - warmup));
}

/** Accumulates gradients of several micro-batches, weighted by their example counts, into the mean gradient of
 *  the whole effective batch (each micro-batch's loss is a mean over its own examples). */
export class GradientAccumulator {
  private sums: (Float64Array | undefined)[];
  private count = 0;

  constructor(private readonly sizes: number[]) {
    this.sums = sizes.map(() => undefined);
  }

  get examples(): number {
    return this.count;
  }

  add(grads: (Float32Array | undefined)[], batchSize: number): void {
    for (let k = 0; k < grads.length; k++) {
      const g = grads[k];
      if (!g) continue;
      const s = (this.sums[k] ??= new Float64Array(this.sizes[k]));
      for (let j = 0; j < g.length; j++) s[j] += g[j] * batchSize;
    }
    this.count += batchSize;
  }

  /** The mean gradients, and a reset. */
  take(): (Float32Array | undefined)[] {
    const n = this.count || 1;
    const out = this.sums.map((s) => (s ? Float32Array.from(s, (x) => x / n) : undefined));
    this.sums = this.sizes.map(() => undefined);
    this.count = 0;
    return out;
  }
}

/** Length-bucketed batches (HF's group_by_length): a seeded shuffle, cut into mega-batches of 50 batches, each
 *  sorted by length so that a batch holds similar lengths (less padding), then the batches are shuffled too. */
export function bucketedBatches(lengths: number[], batchSize: number, rng: () => number, megaBatches = 50): number[][] {
  const order = shuffleInPlace(
    lengths.map((_, i) => i),
    rng,
  );
  const batches: number[][] = [];
  const mega = batchSize * megaBatches;
  for (let s = 0; s < order.length; s += mega) {
    const chunk = order.slice(s, s + mega).sort((a, b) => lengths[b] - lengths[a] || a - b);
    for (let b = 0; b < chunk.length; b += batchSize) batches.push(chunk.slice(b, b + batchSize));
  }
  return shuffleInPlace(batches, rng);
}

export { createRng };
