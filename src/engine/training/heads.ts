import { CancelledError } from '../errors';
import type { Row } from './features';
import { addOuter, rowTimesMatrix } from './features';
import { argmax } from './metrics';
import { createRng, normal, shuffleInPlace } from './random';
import type { EpochProgress } from './types';

export type HeadKind = 'logistic' | 'mlp';

/** A trained head, in float32 as it is exported: logits = x·W1 + b1 (logistic), or
 *  logits = relu(x·W1 + b1)·W2 + b2 (MLP). Weights are row-major [in, out]. */
export interface Head {
  kind: HeadKind;
  inputDim: number;
  numClasses: number;
  hidden?: number;
  w1: Float32Array;
  b1: Float32Array;
  w2?: Float32Array;
  b2?: Float32Array;
}

export interface TrainHeadOptions {
  kind?: HeadKind;
  /** MLP hidden units (default 64). */
  hidden?: number;
  /** L2 penalty on the weights (not the biases), default 1e-3. */
  l2?: number;
  learningRate?: number;
  maxEpochs?: number;
  batchSize?: number;
  /** Epochs without a better validation loss before stopping (default 6). */
  patience?: number;
  seed?: number;
  /** 'balanced' weighs each class by n / (k · n_class), so minority classes count as much in the loss. */
  classWeights?: 'balanced' | 'none';
  signal?: AbortSignal;
  onEpoch?: (p: EpochProgress) => void;
}

export interface TrainHeadResult {
  head: Head;
  history: EpochProgress[];
  bestEpoch: number;
  stoppedEarly: boolean;
}

interface Params {
  tensors: Float64Array[]; // w1, b1, (w2, b2)
  decay: boolean[];
}

function forward(
  kind: HeadKind,
  p: Float64Array[],
  x: Row,
  d: number,
  h: number,
  k: number,
  hiddenOut?: Float64Array,
): Float64Array {
  if (kind === 'logistic') {
    const z = Float64Array.from(p[1]);
    rowTimesMatrix(x, p[0], k, z);
    return z;
  }
  const a = hiddenOut ?? new Float64Array(h);
  a.set(p[1]);
  rowTimesMatrix(x, p[0], h, a);
  for (let j = 0; j < h; j++) if (a[j] < 0) a[j] = 0;
  const z = Float64Array.from(p[3]);
  for (let j = 0; j < h; j++) {
    const v = a[j];
    if (v === 0) continue;
    const base = j * k;
    for (let c = 0; c < k; c++) z[c] += v * p[2][base + c];
  }
  return z;
}

function softmaxInPlace(z: Float64Array): Float64Array {
  let m = -Infinity;
  for (const v of z) if (v > m) m = v;
  let s = 0;
  for (let c = 0; c < z.length; c++) s += z[c] = Math.exp(z[c] - m);
  for (let c = 0; c < z.length; c++) z[c] /= s;
  return z;
}

const end0 = (start: number, batch: number, n: number) => Math.min(n, start + batch);

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function classWeightsFor(y: ArrayLike<number>, k: number, mode: 'balanced' | 'none'): Float64Array {
  const w = new Float64Array(k).fill(1);
  if (mode === 'none') return w;
  const counts = new Float64Array(k);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  for (let c = 0; c < k; c++) w[c] = counts[c] ? y.length / (k * counts[c]) : 0;
  return w;
}

/** Mean (class-weighted) cross-entropy and accuracy of parameters on a set. */
function evaluate(
  kind: HeadKind,
  p: Float64Array[],
  X: Row[],
  y: ArrayLike<number>,
  d: number,
  h: number,
  k: number,
  cw: Float64Array,
): { loss: number; accuracy: number } {
  let loss = 0;
  let wsum = 0;
  let correct = 0;
  for (let i = 0; i < X.length; i++) {
    const prob = softmaxInPlace(forward(kind, p, X[i], d, h, k));
    loss -= cw[y[i]] * Math.log(Math.max(prob[y[i]], 1e-12));
    wsum += cw[y[i]];
    if (argmax(prob) === y[i]) correct++;
  }
  return { loss: wsum ? loss / wsum : 0, accuracy: X.length ? correct / X.length : 0 };
}

/** Trains a head with mini-batch Adam on a seeded shuffle, L2 on the weights, early stopping on the validation
 *  loss (the best epoch's parameters are kept). Deterministic for a given seed. */
export async function trainHead(
  trainX: Row[],
  trainY: ArrayLike<number>,
  valX: Row[],
  valY: ArrayLike<number>,
  inputDim: number,
  numClasses: number,
  opts: TrainHeadOptions = {},
): Promise<TrainHeadResult> {
  const kind = opts.kind ?? 'logistic';
  const d = inputDim;
  const k = numClasses;
  const h = kind === 'mlp' ? (opts.hidden ?? 64) : 0;
  const l2 = opts.l2 ?? 1e-3;
  const lr = opts.learningRate ?? (kind === 'mlp' ? 3e-3 : 1e-2);
  const maxEpochs = opts.maxEpochs ?? 100;
  const batchSize = opts.batchSize ?? 32;
  const patience = opts.patience ?? 6;
  const rng = createRng(opts.seed ?? 42);
  const cw = classWeightsFor(trainY, k, opts.classWeights ?? 'balanced');

  const params: Params =
    kind === 'logistic'
      ? { tensors: [new Float64Array(d * k), new Float64Array(k)], decay: [true, false] }
      : {
          tensors: [
            Float64Array.from({ length: d * h }, () => normal(rng) * Math.sqrt(2 / d)),
            new Float64Array(h),
            Float64Array.from({ length: h * k }, () => normal(rng) * Math.sqrt(1 / h)),
            new Float64Array(k),
          ],
          decay: [true, false, true, false],
        };
  const p = params.tensors;
  const m = p.map((t) => new Float64Array(t.length));
  const v = p.map((t) => new Float64Array(t.length));
  const g = p.map((t) => new Float64Array(t.length));
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;

  const order = Array.from({ length: trainX.length }, (_, i) => i);
  const hidden = new Float64Array(h);
  const history: EpochProgress[] = [];
  const haveVal = valX.length > 0;
  let best = { loss: Infinity, epoch: 0, params: p.map((t) => Float64Array.from(t)) };
  let stoppedEarly = false;

  let sinceYield = 0;
  for (let epoch = 1; epoch <= maxEpochs; epoch++) {
    await yieldToEventLoop(); // lets a cancel message reach the worker between epochs
    if (opts.signal?.aborted) throw new CancelledError();
    shuffleInPlace(order, rng);
    for (let start = 0; start < order.length; start += batchSize) {
      sinceYield +=
        (end0(start, batchSize, order.length) - start) * (h || k) * (trainX[0] instanceof Float32Array ? d : 64);
      if (sinceYield > 5e7) {
        sinceYield = 0;
        await yieldToEventLoop();
        if (opts.signal?.aborted) throw new CancelledError();
      }
      const end = Math.min(order.length, start + batchSize);
      for (const t of g) t.fill(0);
      let bw = 0;
      for (let b = start; b < end; b++) bw += cw[trainY[order[b]]];
      if (bw === 0) continue;
      for (let b = start; b < end; b++) {
        const i = order[b];
        const x = trainX[i];
        const yi = trainY[i];
        const prob = softmaxInPlace(forward(kind, p, x, d, h, k, hidden));
        const delta = prob; // dL/dz = (p - onehot) * weight / batch weight
        delta[yi] -= 1;
        const s = cw[yi] / bw;
        for (let c = 0; c < k; c++) delta[c] *= s;
        if (kind === 'logistic') {
          addOuter(x, delta, k, g[0]);
          for (let c = 0; c < k; c++) g[1][c] += delta[c];
        } else {
          const dh = new Float64Array(h);
          for (let j = 0; j < h; j++) {
            const a = hidden[j];
            const base = j * k;
            let acc = 0;
            for (let c = 0; c < k; c++) {
              if (a !== 0) g[2][base + c] += a * delta[c];
              acc += p[2][base + c] * delta[c];
            }
            dh[j] = a > 0 ? acc : 0;
          }
          for (let c = 0; c < k; c++) g[3][c] += delta[c];
          addOuter(x, dh, h, g[0]);
          for (let j = 0; j < h; j++) g[1][j] += dh[j];
        }
      }
      step++;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let t = 0; t < p.length; t++) {
        const pt = p[t];
        const gt = g[t];
        const mt = m[t];
        const vt = v[t];
        const decay = params.decay[t] ? l2 : 0;
        for (let j = 0; j < pt.length; j++) {
          const gj = gt[j] + decay * pt[j];
          mt[j] = beta1 * mt[j] + (1 - beta1) * gj;
          vt[j] = beta2 * vt[j] + (1 - beta2) * gj * gj;
          pt[j] -= (lr * (mt[j] / c1)) / (Math.sqrt(vt[j] / c2) + 1e-8);
        }
      }
    }
    const tr = evaluate(kind, p, trainX, trainY, d, h, k, cw);
    const va = haveVal ? evaluate(kind, p, valX, valY, d, h, k, classWeightsFor(valY, k, 'none')) : tr;
    const progress: EpochProgress = { epoch, loss: tr.loss, valAccuracy: va.accuracy, valLoss: va.loss };
    history.push(progress);
    opts.onEpoch?.(progress);
    if (va.loss < best.loss - 1e-6) best = { loss: va.loss, epoch, params: p.map((t) => Float64Array.from(t)) };
    else if (epoch - best.epoch >= patience) {
      stoppedEarly = true;
      break;
    }
  }
  const bp = best.params;
  const head: Head =
    kind === 'logistic'
      ? { kind, inputDim: d, numClasses: k, w1: Float32Array.from(bp[0]), b1: Float32Array.from(bp[1]) }
      : {
          kind,
          inputDim: d,
          numClasses: k,
          hidden: h,
          w1: Float32Array.from(bp[0]),
          b1: Float32Array.from(bp[1]),
          w2: Float32Array.from(bp[2]),
          b2: Float32Array.from(bp[3]),
        };
  return { head, history, bestEpoch: best.epoch, stoppedEarly };
}

/** Logits of the float32 head, accumulated in float64. */
export function headLogits(head: Head, x: Row): Float64Array {
  const p = head.kind === 'logistic' ? [head.w1, head.b1] : [head.w1, head.b1, head.w2!, head.b2!];
  return forward(head.kind, p as unknown as Float64Array[], x, head.inputDim, head.hidden ?? 0, head.numClasses);
}

export { softmax } from '../math';

export function headProbabilities(head: Head, x: Row): Float64Array {
  return softmaxInPlace(headLogits(head, x));
}
