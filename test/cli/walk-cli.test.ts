// The CLI contracts of the walkthrough's views: mask-preview and input-embeddings --json, and their bad input.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, fixture } from '../helpers';

function cli(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'bert-lens.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}
function json(args: string[]): any {
  const r = cli([args[0], '--json', ...args.slice(1)]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('mask-preview --json: tokens, chosen {position, original, replacement, kind}, predictions; seeded', () => {
  const text = 'The bank raised interest rates again, so we moved our savings to a smaller bank by the river.';
  const a = json(['mask-preview', '--seed', '4', text]);
  for (const k of ['tokens', 'chosen', 'predictions']) assert.ok(k in a, k);
  assert.equal(a.tokens[0], '[CLS]');
  assert.equal(a.chosen.length, Math.round((a.tokens.length - 2) * 0.15));
  for (const c of a.chosen) {
    assert.deepEqual(Object.keys(c), ['position', 'original', 'replacement', 'kind']);
    assert.equal(c.original, a.tokens[c.position]);
    assert.ok(c.position > 0 && c.position < a.tokens.length - 1, 'never [CLS] or [SEP]');
    assert.ok(['mask', 'random', 'kept'].includes(c.kind));
    if (c.kind === 'mask') assert.equal(c.replacement, '[MASK]');
  }
  assert.deepEqual(
    a.predictions.map((p: any) => p.position),
    a.chosen.map((c: any) => c.position),
  );
  assert.equal(a.predictions[0].predictions.length, 5);
  assert.deepEqual(json(['mask-preview', '--seed', '4', text]), a);
  assert.notDeepEqual(json(['mask-preview', '--seed', '5', text]).chosen, a.chosen);
});

test('input-embeddings --json: one row per token with the contract fields; segment flips after [SEP]', () => {
  const r = json(['input-embeddings', 'the cat sat.', '--pair', 'it was happy.']);
  assert.deepEqual(r.tokens, ['[CLS]', 'the', 'cat', 'sat', '.', '[SEP]', 'it', 'was', 'happy', '.', '[SEP]']);
  const keys = [
    'token',
    'position',
    'segment',
    'token_norm',
    'position_norm',
    'segment_norm',
    'sum_norm',
    'cos_token',
    'cos_position',
    'cos_segment',
    'output_norm',
  ];
  for (const row of r.rows) assert.deepEqual(Object.keys(row), keys);
  assert.deepEqual(
    r.rows.map((x: any) => x.segment),
    [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
  );
  // the same word piece in both segments: same token vector, different segment vector
  assert.equal(r.rows[4].token_norm, r.rows[9].token_norm);
  assert.notEqual(r.rows[4].segment_norm, r.rows[9].segment_norm);
  assert.equal(r.segment_source, 'token_type_ids');
  const d = json(['input-embeddings', '--model', fixture('distilbert-mlm'), 'hello there']);
  assert.equal(d.segment_source, 'none');
  assert.ok(d.rows.every((x: any) => x.segment_norm === 0));
});

test('mask-preview and input-embeddings: bad input is one line and a non-zero exit', () => {
  const seed = cli(['mask-preview', '--seed', 'x', 'hello']);
  assert.equal(seed.status, 2);
  assert.match(seed.stderr, /--seed must be an integer/);
  const head = cli(['mask-preview', '--model', fixture('bert-ner'), 'hello world']);
  assert.equal(head.status, 1);
  assert.equal(head.stderr.trim().split('\n').length, 1);
  assert.match(head.stderr, /masked-lm/);
  const empty = cli(['input-embeddings', '  ']);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /empty/);
});
