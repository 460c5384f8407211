import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExplainedExample } from '../../src/engine/training/explain';
import { whyCaption, whyChips } from '../../src/webviews/apps/trainer/whyView';

const result: ExplainedExample = {
  tokens: ['[CLS]', 'the', 'goal', 'and', 'the', 'coach', '[SEP]'],
  offsets: [
    [0, 0],
    [0, 3],
    [4, 8],
    [9, 12],
    [13, 16],
    [17, 22],
    [0, 0],
  ],
  sequenceIds: [null, 0, 0, 0, 0, 0, null],
  method: 'grad-input',
  target: { label: 'sport', index: 1 },
  logprob: Math.log(0.9),
  scores: [7, 0.1, 2.5, -0.4, 0.05, 1.2, -9],
  variant: 'fp32',
  example: {
    index: 3,
    file: '/w/topics.csv',
    line: 5,
    label: 'food',
    predicted: 'sport',
    text: 'the goal and the coach',
  },
  network: 'fine-tuned',
};

test('Why this label? chips: one per token, special tokens unshaded and left out of the scale', () => {
  const { chips, max } = whyChips(result);
  assert.deepEqual(
    chips.map((c) => c.token),
    result.tokens,
  );
  assert.deepEqual(
    chips.map((c) => c.special),
    [true, false, false, false, false, false, true],
  );
  assert.equal(max, 2.5); // not 7 or 9 ([CLS] / [SEP])
  assert.equal(chips[3].score, -0.4);
});

test('Why this label? caption: label, probability, true label, method and network; the window when there is one', () => {
  assert.equal(
    whyCaption(result, 'gradient × input'),
    'Why “sport” (p 90.0%, true label “food”): gradient × input saliency through the fine-tuned network (fp32). Blue raises the label, orange lowers it.',
  );
  const frozen = whyCaption(
    { ...result, network: 'frozen-head', window: { start: 0, end: 126, totalTokens: 400 } },
    'gradient L2 norm',
  );
  assert.match(frozen, /through the frozen encoder and the trained head \(fp32\)/);
  assert.match(frozen, /tokens 0–126 of 400 are explained\.$/);
});
