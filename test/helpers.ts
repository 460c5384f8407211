// Shared by the unit tests: paths from the repository root (tests are bundled into out/test and run from the
// root), fixture loading, and numeric comparison that reports where it failed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRoot(): string {
  let d = process.cwd();
  while (!fs.existsSync(path.join(d, 'package.json')) || !fs.existsSync(path.join(d, 'test', 'fixtures'))) {
    const up = path.dirname(d);
    if (up === d) throw new Error('run the tests from the repository');
    d = up;
  }
  return d;
}

export const ROOT = findRoot();
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const EMBEDDED = path.join(ROOT, 'models', 'mini-bert-uncased');
export const WORKER = path.join(ROOT, 'dist', 'engineWorker.js');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export function readJson<T = any>(p: string): T {
  return JSON.parse(fs.readFileSync(p, 'utf8')) as T;
}

/** Largest absolute difference; fails with the first offending index when above `tol`. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol)) assert.fail(`${what}: index ${i}: ${actual[i]} vs ${expected[i]} (|d| = ${d} > ${tol})`);
    max = Math.max(max, d);
  }
  return max;
}

export function flat(x: unknown): number[] {
  return Array.isArray(x) ? (x as unknown[]).flatMap(flat) : [x as number];
}
