// Statistics and small helpers of the benchmarks.
import { performance } from 'node:perf_hooks';
import { createRng } from '../engine/training/random';
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
export function summarize(samples: number[]): { p50: number; p95: number; mean: number; min: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  return {
    p50: quantile(s, 0.5),
    p95: quantile(s, 0.95),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    min: s[0],
    n: s.length,
  };
}
export const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : 'n/a');
export const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
export const exp = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : 'n/a');

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Deterministic PRNG so every run benchmarks the same sentences (the trainer's seeded generator). */
export const rng = createRng;
