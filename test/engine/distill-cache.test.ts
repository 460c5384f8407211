// The teacher-logit disk cache of distillation (#13) is pruned to its most recently used files.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { TEACHER_CACHE_MAX_BYTES, pruneTeacherCache } from '../../src/engine/training/distill';

function cacheWith(files: [name: string, bytes: number, ageSeconds: number][]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-teacher-cache-'));
  const now = Date.now() / 1000;
  for (const [name, bytes, age] of files) {
    const p = path.join(dir, name);
    fs.writeFileSync(p, new Uint8Array(bytes));
    fs.utimesSync(p, now - age, now - age);
  }
  return dir;
}

test('pruning keeps the newest .f32 files that fit, removes every older one, and leaves other files', () => {
  const dir = cacheWith([
    ['old.f32', 40, 300],
    ['small-older.f32', 5, 400],
    ['mid.f32', 30, 200],
    ['new.f32', 50, 100],
    ['notes.txt', 500, 1000],
  ]);
  // Newest first: new (50), mid (80), old (120 > 100: removed), and small-older after it, although it would fit.
  assert.deepEqual(pruneTeacherCache(dir, 100).sort(), ['old.f32', 'small-older.f32']);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['mid.f32', 'new.f32', 'notes.txt']);
  // Within the budget nothing goes; the newest file stays even when it alone is over the budget.
  assert.deepEqual(pruneTeacherCache(dir, 80), []);
  assert.deepEqual(pruneTeacherCache(dir, 10), ['mid.f32']);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['new.f32', 'notes.txt']);
  fs.rmSync(dir, { recursive: true, force: true });
  // A missing folder is not an error, and the default budget is 256 MiB.
  assert.deepEqual(pruneTeacherCache(dir), []);
  assert.equal(TEACHER_CACHE_MAX_BYTES, 256 * 1024 * 1024);
});
