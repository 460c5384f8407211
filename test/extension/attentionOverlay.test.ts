import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttentionResult, Offset } from '../../src/engine/api';
import * as o from '../../src/extension/core/attentionOverlay';

// "[CLS] the river ##bank flows [SEP]" over "the riverbank flows"
const text = 'the riverbank flows';
const tokens = ['[CLS]', 'the', 'river', '##bank', 'flows', '[SEP]'];
const offsets: Offset[] = [
  [0, 0],
  [0, 3],
  [4, 9],
  [9, 13],
  [14, 19],
  [0, 0],
];
const rollout = [
  [0.5, 0.1, 0.1, 0.1, 0.1, 0.1],
  [0.3, 0.3, 0.1, 0.1, 0.1, 0.1],
  [0.4, 0.2, 0.1, 0.1, 0.05, 0.15], // river
  [0.4, 0.0, 0.1, 0.1, 0.25, 0.15], // ##bank
  [0.2, 0.2, 0.2, 0.2, 0.1, 0.1],
  [0.5, 0.1, 0.1, 0.1, 0.1, 0.1],
];
const headMean = [rollout, rollout.map((r) => [...r].reverse())];
const result: Pick<AttentionResult, 'tokens' | 'offsets' | 'rollout' | 'headMean'> = {
  tokens,
  offsets,
  rollout,
  headMean,
};

test('the focus row is the mean over the word’s pieces; special tokens and the focus are not painted', () => {
  const plan = o.planAttentionOverlay(result, [4, 13], { kind: 'rollout' }, text, 100);
  assert.ok(plan);
  assert.deepEqual(plan.focusTokens, [2, 3]);
  assert.deepEqual(plan.focus, [104, 113]);
  // row = mean(river, ##bank) = [0.4, 0.1, 0.1, 0.1, 0.15, 0.15] → candidates: the (0.1), flows (0.15)
  assert.equal(plan.ranges.length, 2);
  assert.deepEqual(
    plan.ranges.map((r) => [r.start, r.end]),
    [
      [100, 103],
      [114, 119],
    ],
  );
  assert.ok(Math.abs(plan.max - 0.15) < 1e-12);
  const [the, flows] = plan.ranges;
  assert.equal(flows.level, o.OVERLAY_LEVELS, 'the strongest token gets the top level');
  assert.equal(the.level, Math.round((0.1 / 0.15) * o.OVERLAY_LEVELS), 'opacity proportional to the weight');
  assert.match(flows.hover, /flows.*0\.1500.*“riverbank”.*rollout/);
  assert.equal(plan.source, 'rollout');
});

test('head mean of a layer: 1-based, negative from the end, out of range → last', () => {
  assert.equal(o.layerIndex(1, 4), 0);
  assert.equal(o.layerIndex(4, 4), 3);
  assert.equal(o.layerIndex(-1, 4), 3);
  assert.equal(o.layerIndex(-4, 4), 0);
  assert.equal(o.layerIndex(0, 4), 3);
  assert.equal(o.layerIndex(9, 4), 3);
  const plan = o.planAttentionOverlay(result, [14, 19], { kind: 'headMean', layer: -1 }, text);
  assert.ok(plan);
  assert.equal(plan.source, 'head mean, layer 2');
  // reversed row of "flows": [0.1, 0.1, 0.2, 0.2, 0.2, 0.2] → the 0.1 (half), river 0.2 and ##bank 0.2 (top)
  assert.deepEqual(
    plan.ranges.map((r) => [r.token, r.level]),
    [
      [1, 5],
      [2, 10],
      [3, 10],
    ],
  );
});

test('levels and alphas: zero weight is not painted, alpha grows with the level', () => {
  assert.equal(o.overlayLevel(0, 1), 0);
  assert.equal(o.overlayLevel(0.01, 1), 0);
  assert.equal(o.overlayLevel(0.5, 1), 5);
  assert.equal(o.overlayLevel(1, 1), o.OVERLAY_LEVELS);
  assert.equal(o.overlayLevel(1, 0), 0);
  assert.equal(o.overlayAlpha(o.OVERLAY_LEVELS), o.OVERLAY_MAX_ALPHA);
  assert.equal(o.overlayAlpha(5), 0.3);
  assert.equal(
    o.planAttentionOverlay(result, [3, 4], { kind: 'rollout' }, text),
    undefined,
    'a span between tokens covers nothing',
  );
});
