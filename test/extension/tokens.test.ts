import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Offset } from '../../src/engine/api';
import * as t from '../../src/extension/core/tokens';
// "[CLS] un ##believ ##able bank . [SEP]" over "unbelievable bank."
const offsets: Offset[] = [
  [0, 0],
  [0, 2],
  [2, 8],
  [8, 12],
  [13, 17],
  [17, 18],
  [0, 0],
];
const text = 'unbelievable bank.';

test('tokensInSpan maps a character span to its word pieces, skipping special tokens', () => {
  assert.deepEqual(t.tokensInSpan(offsets, [0, 12]), [1, 2, 3]);
  assert.deepEqual(t.tokensInSpan(offsets, [5, 6]), [2]);
  assert.deepEqual(t.tokensInSpan(offsets, [13, 17]), [4]);
  assert.deepEqual(t.tokensInSpan(offsets, [12, 13]), []);
});

test('spanOfTokens maps tokens back to characters', () => {
  assert.deepEqual(t.spanOfTokens(offsets, [1, 2, 3]), [0, 12]);
  assert.equal(t.spanOfTokens(offsets, [0, 6]), undefined);
});

test('wordsFromTokens groups touching pieces and keeps punctuation apart', () => {
  const words = t.wordsFromTokens(offsets, text);
  assert.deepEqual(
    words.map((w) => w.span),
    [
      [0, 12],
      [13, 17],
      [17, 18],
    ],
  );
  assert.deepEqual(words[0].tokens, [1, 2, 3]);
});

test('shiftOffsets moves window offsets to document offsets', () => {
  assert.deepEqual(t.shiftOffsets([{ start: 1, end: 3, label: 'X' }], 100), [{ start: 101, end: 103, label: 'X' }]);
});

test('meanVector, norm and cosine', () => {
  const v = [
    [1, 0],
    [3, 4],
    [0, 2],
  ];
  assert.deepEqual(t.meanVector(v, [1, 2]), [1.5, 3]);
  assert.equal(t.meanVector(v, []), undefined);
  assert.equal(t.norm([3, 4]), 5);
  assert.ok(Math.abs(t.cosine([1, 0], [0, 1])) < 1e-12);
  assert.ok(Math.abs(t.cosine([1, 2], [2, 4]) - 1) < 1e-12);
  assert.equal(t.cosine([0, 0], [1, 1]), 0);
});
