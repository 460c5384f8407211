// The one copy of the numeric helpers (src/engine/math.ts) and of the entity-tag parser (src/engine/bio.ts),
// checked by hand computation.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { entityType, parseTag } from '../../src/engine/bio';
import { argmax, cosine, formatDuration, formatPercent, norm, softmax } from '../../src/engine/math';
import { baseLabel } from '../../src/extension/core/decorationPlan';

test('softmax, argmax, cosine, norm and percentages', () => {
  const p = softmax([1, 2, 3]);
  const e = [Math.exp(-2), Math.exp(-1), 1];
  const s = e[0] + e[1] + e[2];
  e.forEach((x, i) => assert.ok(Math.abs(p[i] - x / s) < 1e-15, `softmax[${i}]`));
  assert.equal(argmax([0.1, 0.7, 0.7, 0.2]), 1, 'the first of equal maxima');
  assert.equal(argmax(new Float64Array([-3, -1, -2])), 1);
  assert.equal(norm([3, 4]), 5);
  assert.ok(Math.abs(cosine([1, 0], [1, 1]) - Math.SQRT1_2) < 1e-15);
  assert.equal(cosine([0, 0], [1, 1]), 0, 'a zero vector has no direction');
  assert.equal(formatPercent(0.4567), '45.7%');
  assert.equal(formatPercent(1), '100.0%');
  assert.equal(formatPercent(0.12345, 2), '12.35%');
});

test('durations round once: never "2m60s"', () => {
  assert.equal(formatDuration(0.4), '0s');
  assert.equal(formatDuration(59.4), '59s');
  assert.equal(formatDuration(59.6), '1m00s');
  assert.equal(formatDuration(179.6), '3m00s');
  assert.equal(formatDuration(247), '4m07s');
  assert.equal(formatDuration(3599.7), '1h00m');
  assert.equal(formatDuration(7199), '1h59m');
  assert.equal(formatDuration(-3), '0s');
});

test('entity tags: BIO, BIOES and BILOU prefixes, O, and labels without a prefix', () => {
  assert.deepEqual(parseTag('O'), { bio: 'O', type: 'O' });
  assert.deepEqual(parseTag('B-PER'), { bio: 'B', type: 'PER' });
  assert.deepEqual(parseTag('I-PER'), { bio: 'I', type: 'PER' });
  assert.deepEqual(parseTag('S-LOC'), { bio: 'B', type: 'LOC' });
  assert.deepEqual(parseTag('E-LOC'), { bio: 'I', type: 'LOC' });
  assert.deepEqual(parseTag('U-ORG'), { bio: 'B', type: 'ORG' });
  assert.deepEqual(parseTag('L-ORG'), { bio: 'I', type: 'ORG' });
  assert.deepEqual(parseTag('LABEL_3'), { bio: 'B', type: 'LABEL_3' });
  assert.equal(entityType('I-MISC'), 'MISC');
  // The extension's colours use the same parser.
  for (const l of ['B-PER', 'L-ORG', 'O', 'LABEL_3']) assert.equal(baseLabel(l), entityType(l));
});
