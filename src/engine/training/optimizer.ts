// The fine-tuning optimiser and schedule, as Hugging Face's Trainer runs them: AdamW with decoupled weight decay
// (none on biases and LayerNorm weights), a linear warm-up over the first 10 % of the steps then a linear decay
// to zero, gradient accumulation, and length-bucketed batches from a seeded shuffle.
import { EngineError } from '../errors';
import { ADAMW_WASM } from './adamwWasm';
import { createRng, shuffleInPlace } from './random';

export interface Parameter {
  name: string;
  dims: number[];
  data: Float32Array;
  /** Excluded from training (frozen) when false. */
  trainable?: boolean;
}

/** An embedding table's gradient as its looked-up rows (gradient.ts, sparseTables): row `rows[i]` of the table
 *  gets `values[i·width …]` added, in order (repeated rows add up); every other row's gradient is zero. */
export interface RowGradient {
  rows: ArrayLike<number | bigint>;
  values: Float32Array;
  width: number;
}

/** A parameter's gradient: dense, or a table's looked-up rows. */
export type Gradient = Float32Array | RowGradient;

const isRows = (g: Gradient): g is RowGradient => !(g instanceof Float32Array);

/** A table's gradient from its looked-up rows: each values row added into its table row, in order — the same
 *  float32 additions, in the same order, as the graph's ScatterElements, so the same bits. */
export function denseRows(
  size: number,
  width: number,
  rows: ArrayLike<number | bigint>,
  values: Float32Array,
): Float32Array {
  const out = new Float32Array(size);
  const tableRows = size / width;
  for (let i = 0; i < rows.length; i++) {
    let row = Number(rows[i]);
    if (row < 0) row += tableRows;
    const o = row * width;
    const v = i * width;
    for (let j = 0; j < width; j++) out[o + j] += values[v + j];
  }
  return out;
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
  /** 'wasm' (default): the update loop in WebAssembly (adamw.wat, four float32 values per instruction), with the
   *  trainable parameters and the moments in its memory; 'js': the same arithmetic in a JavaScript loop (the
   *  fallback where WebAssembly SIMD is missing or the parameters exceed 2 GiB with their moments). Both give the
   *  same float32 bits (tested). */
  kernel?: 'wasm' | 'js';
}

type ScatterFn = (out: number, rows: number, vals: number, n: number, width: number) => void;

type AdamWKernelFn = (
  p: number,
  g: number,
  m: number,
  v: number,
  n: number,
  b1: number,
  b2: number,
  ob1: number,
  ob2: number,
  step: number,
  inv: number,
  eps: number,
  shrink: number,
) => void;

let wasmModule: WebAssembly.Module | null | undefined;
/** The compiled AdamW loop, or null where this runtime has no WebAssembly SIMD. */
function adamwModule(): WebAssembly.Module | null {
  if (wasmModule === undefined) {
    try {
      wasmModule = new WebAssembly.Module(Buffer.from(ADAMW_WASM, 'base64'));
    } catch {
      wasmModule = null;
    }
  }
  return wasmModule;
}

/** Most float32 values (parameters, two moments, one gradient buffer) that the WebAssembly memory takes. */
const WASM_MAX_BYTES = 2 ** 31;
/** Float32 values of the staging area a table's looked-up rows pass through on their way into the gradient
 *  buffer (256 KiB, then as many row indices): the rows go in chunks of what fits. */
const STAGE = 65536;

export interface AdamWState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** torch.optim.AdamW: p ← p − lr·wd·p; m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
 *  p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε), in torch's order. Parameters are updated in place.
 *  The moments of all trainable parameters live in two flat Float32Arrays (one allocation each, none per step);
 *  the update is one fused loop per parameter over its slice. */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private t = 0;
  private m: Float32Array;
  private v: Float32Array;
  /** WebAssembly path: the kernels, its memory's gradient buffer and staging area, and the byte offsets of p, m,
   *  v, g and the staged values and rows. */
  private wasm?: {
    fn: AdamWKernelFn;
    scatter: ScatterFn;
    g: Float32Array;
    stageValues: Float32Array;
    stageRows: Int32Array;
    pAt: number;
    mAt: number;
    vAt: number;
    gAt: number;
    valuesAt: number;
    rowsAt: number;
  };
  /** Start of each parameter's slice in m and v (frozen parameters: an empty slice). */
  private readonly offsets: Int32Array;
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
    this.offsets = new Int32Array(params.length + 1);
    params.forEach((p, k) => (this.offsets[k + 1] = this.offsets[k] + (p.trainable === false ? 0 : p.data.length)));
    const total = this.offsets[params.length];
    const largest = params.reduce((a, p) => Math.max(a, p.trainable === false ? 0 : p.data.length), 0);
    const bytes = (3 * total + largest + STAGE + STAGE / 4) * 4;
    const mod = opts.kernel === 'js' || total === 0 || bytes > WASM_MAX_BYTES ? null : adamwModule();
    let exports: { memory: WebAssembly.Memory; adamw: AdamWKernelFn; scatter_add: ScatterFn } | undefined;
    try {
      if (mod) {
        exports = new WebAssembly.Instance(mod, {}).exports as typeof exports;
        exports!.memory.grow(Math.ceil(bytes / 65536)); // the module's memory starts empty
      }
    } catch {
      exports = undefined; // no memory that large here: the JavaScript loop
    }
    if (!exports) {
      this.m = new Float32Array(total);
      this.v = new Float32Array(total);
      return;
    }
    // One memory: [parameters | m | v | one gradient]. Each trainable parameter's values move into it and its
    // `data` becomes a view there (so the update is in place for every reader of p.data).
    const buf = exports.memory.buffer;
    const P = new Float32Array(buf, 0, total);
    this.m = new Float32Array(buf, total * 4, total);
    this.v = new Float32Array(buf, total * 8, total);
    const g = new Float32Array(buf, total * 12, largest);
    const valuesAt = (3 * total + largest) * 4;
    const rowsAt = valuesAt + STAGE * 4;
    params.forEach((p, k) => {
      if (p.trainable === false) return;
      const view = P.subarray(this.offsets[k], this.offsets[k + 1]);
      view.set(p.data);
      p.data = view;
    });
    this.wasm = {
      fn: exports.adamw,
      scatter: exports.scatter_add,
      g,
      stageValues: new Float32Array(buf, valuesAt, STAGE),
      stageRows: new Int32Array(buf, rowsAt, STAGE / 4),
      pAt: 0,
      mAt: total * 4,
      vAt: total * 8,
      gAt: total * 12,
      valuesAt,
      rowsAt,
    };
  }

  /** Which loop runs the update. */
  get kernel(): 'wasm' | 'js' {
    return this.wasm ? 'wasm' : 'js';
  }

  get stepCount(): number {
    return this.t;
  }

  /** One update with gradients in parameter order (undefined or a frozen parameter: left alone). A table's
   *  gradient may come as its looked-up rows: the WebAssembly path adds them straight into its gradient buffer,
   *  without a dense copy of the table (the same bits as denseRows, tested). */
  step(grads: (Gradient | undefined)[], lr: number): void {
    if (grads.length !== this.params.length)
      throw new EngineError('internal', `AdamW got ${grads.length} gradients for ${this.params.length} parameters.`);
    for (let k = 0; k < this.params.length; k++) {
      const g = grads[k];
      const size = this.params[k].data.length;
      if (!g || this.params[k].trainable === false) continue;
      const bad = isRows(g)
        ? g.width <= 0 || size % g.width !== 0 || g.values.length !== g.rows.length * g.width
        : g.length !== size;
      if (bad)
        throw new EngineError(
          'internal',
          `Gradient of ${this.params[k].name} has ${isRows(g) ? `${g.rows.length} rows of ${g.width}` : g.length} values, the parameter ${size}.`,
        );
      // The scatter writes where a row says: every row must lie in the table (counted from the end when negative).
      if (isRows(g))
        for (let i = 0; i < g.rows.length; i++) {
          const row = Number(g.rows[i]);
          if (!(row >= -size / g.width && row < size / g.width))
            throw new EngineError('internal', `Gradient row ${row} of ${this.params[k].name} is outside its table.`);
        }
    }
    if (this.released) throw new EngineError('internal', 'AdamW.step after release().');
    const t = ++this.t;
    const { m, v } = this;
    // Float32 arithmetic, as torch's AdamW on float32 tensors: every constant and every operation rounded to
    // float32 (Math.fround; exact for +, −, ×, ÷ and √ of float32 operands), as the WebAssembly loop's f32x4 lanes
    // compute it, so both give the same bits. The schedule's factors are computed in double, then rounded.
    const f = Math.fround;
    const b1 = f(this.beta1);
    const b2 = f(this.beta2);
    const eps = f(this.eps);
    const stepSize = f(lr / (1 - this.beta1 ** t));
    // √v/√(1−β2^t) as √v·(1/√(1−β2^t)): one division per value instead of two (the loop is bound by its
    // divisions).
    const invC2sqrt = f(1 / Math.sqrt(1 - this.beta2 ** t));
    const ob1 = f(1 - this.beta1);
    const ob2 = f(1 - this.beta2);
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k];
      const given = grads[k];
      if (!given || p.trainable === false) continue;
      const x = p.data;
      const o = this.offsets[k];
      const n = x.length;
      const shrink = f(this.decay[k] ? 1 - lr * this.weightDecay : 1);
      let j = 0;
      const w = this.wasm;
      const staged = w && isRows(given) && given.width % 4 === 0 && given.width <= STAGE / 4;
      const g = isRows(given) && !staged ? denseRows(n, given.width, given.rows, given.values) : given;
      if (w) {
        const body = n - (n % 4);
        if (isRows(g)) this.stageRows(g, n);
        else w.g.set(g.length === body ? g : g.subarray(0, body));
        w.fn(
          w.pAt + o * 4,
          w.gAt,
          w.mAt + o * 4,
          w.vAt + o * 4,
          body,
          b1,
          b2,
          ob1,
          ob2,
          stepSize,
          invC2sqrt,
          eps,
          shrink,
        );
        j = body; // the last n mod 4 values: the same arithmetic below (none for staged rows: width mod 4 = 0)
      }
      const dense = g as Float32Array;
      for (; j < n; j++) {
        const gj = dense[j];
        const mj = f(f(b1 * m[o + j]) + f(ob1 * gj));
        const vj = f(f(b2 * v[o + j]) + f(f(ob2 * gj) * gj));
        m[o + j] = mj;
        v[o + j] = vj;
        x[j] = f(x[j] * shrink) - f(f(stepSize * mj) / f(f(f(Math.sqrt(vj)) * invC2sqrt) + eps));
      }
    }
  }

  /** A table's looked-up rows added into the zeroed gradient buffer, a chunk of rows at a time through the
   *  staging area (rows counted from the end when negative, as in denseRows). */
  private stageRows(g: RowGradient, size: number): void {
    const w = this.wasm!;
    w.g.fill(0, 0, size);
    const tableRows = size / g.width;
    const chunk = Math.floor(STAGE / g.width);
    for (let start = 0; start < g.rows.length; start += chunk) {
      const end = Math.min(g.rows.length, start + chunk);
      for (let i = start; i < end; i++) {
        const row = Number(g.rows[i]);
        w.stageRows[i - start] = row < 0 ? row + tableRows : row;
      }
      w.stageValues.set(g.values.subarray(start * g.width, end * g.width));
      w.scatter(w.gAt, w.rowsAt, w.valuesAt, end - start, g.width);
    }
  }

  /** Drops the moments (memory: 2 × the trained values) once training is over; step() is refused after. The
   *  WebAssembly path first copies each parameter out of its memory (p.data becomes a plain array again), so the
   *  whole memory can go. */
  release(): void {
    if (this.wasm) for (const p of this.params) if (p.trainable !== false) p.data = p.data.slice();
    this.wasm = undefined;
    this.m = new Float32Array(0);
    this.v = new Float32Array(0);
    this.released = true;
  }
  private released = false;

  exportState(): AdamWState {
    const slice = (a: Float32Array, k: number) => a.slice(this.offsets[k], this.offsets[k + 1]);
    return {
      step: this.t,
      m: this.params.map((_, k) => slice(this.m, k)),
      v: this.params.map((_, k) => slice(this.v, k)),
    };
  }

  importState(s: AdamWState): void {
    const sizes = this.params.map((_, k) => this.offsets[k + 1] - this.offsets[k]);
    if (
      s.m.length !== this.params.length ||
      s.v.length !== this.params.length ||
      s.m.some((a, k) => a.length !== sizes[k]) ||
      s.v.some((a, k) => a.length !== sizes[k])
    ) {
      throw new EngineError(
        'checkpoint-mismatch',
        'The checkpoint was written for another set of parameters.',
        'Start the run again without resuming.',
      );
    }
    this.t = s.step;
    s.m.forEach((a, k) => this.m.set(a, this.offsets[k]));
    s.v.forEach((a, k) => this.v.set(a, this.offsets[k]));
  }
}

/** HF's get_linear_schedule_with_warmup: the learning rate of optimiser step `step` (0-based) out of `total`,
 *  rising linearly over the first `warmup` steps (step 0 runs at 0, as in HF) then falling linearly to 0. */
export function linearScheduleLr(baseLr: number, step: number, total: number, warmup = Math.ceil(0.1 * total)): number {
  if (step < warmup) return (baseLr * step) / Math.max(1, warmup);
  return baseLr * Math.max(0, (total - step) / Math.max(1, total - warmup));
}

/** Accumulates gradients of several micro-batches, weighted by their example counts, into the mean gradient of
 *  the whole effective batch (each micro-batch's loss is a mean over its own examples). A step of one
 *  micro-batch (no accumulation, the default) hands its gradients through untouched — the same values the
 *  weighted mean gives (g·n/n is exact in float64), without a pass over the parameters. Sums are float64 and
 *  allocated once, on the first step that has a second micro-batch. */
export class GradientAccumulator {
  private readonly sums: (Float64Array | undefined)[];
  /** Parameters that got a gradient in this step. */
  private readonly hit: boolean[];
  private first: (Gradient | undefined)[] | undefined;
  private firstSize = 0;
  private count = 0;
  private adds = 0;

  constructor(private readonly sizes: number[]) {
    this.sums = sizes.map(() => undefined);
    this.hit = sizes.map(() => false);
  }

  get examples(): number {
    return this.count;
  }

  add(grads: (Gradient | undefined)[], batchSize: number): void {
    this.adds++;
    this.count += batchSize;
    if (this.adds === 1) {
      this.first = grads.slice();
      this.firstSize = batchSize;
      return;
    }
    if (this.first) {
      this.accumulate(this.first, this.firstSize);
      this.first = undefined;
    }
    this.accumulate(grads, batchSize);
  }

  private accumulate(grads: (Gradient | undefined)[], w: number): void {
    for (let k = 0; k < grads.length; k++) {
      const given = grads[k];
      if (!given) continue;
      const g = isRows(given) ? denseRows(this.sizes[k], given.width, given.rows, given.values) : given;
      let s = this.sums[k];
      if (!s) s = this.sums[k] = new Float64Array(this.sizes[k]);
      else if (!this.hit[k]) s.fill(0);
      this.hit[k] = true;
      for (let j = 0; j < g.length; j++) s[j] += g[j] * w;
    }
  }

  /** The mean gradients, and a reset. */
  take(): (Gradient | undefined)[] {
    let out: (Gradient | undefined)[];
    if (this.adds <= 1) out = this.first ?? this.sizes.map(() => undefined);
    else {
      const n = this.count;
      out = this.sums.map((s, k) => {
        if (!s || !this.hit[k]) return undefined;
        const o = new Float32Array(s.length);
        for (let j = 0; j < s.length; j++) o[j] = s[j] / n;
        return o;
      });
    }
    this.hit.fill(false);
    this.first = undefined;
    this.count = 0;
    this.adds = 0;
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
