import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as d from '../../src/extension/core/decorationPlan';

test('entities are grouped by base label and shifted to document offsets', () => {
  const entities = [
    { label: 'B-PER', start: 0, end: 4, text: 'John', score: 0.9, tokens: [1] },
    { label: 'LOC', start: 20, end: 26, text: 'London', score: 0.8, tokens: [5] },
    { label: 'PER', start: 8, end: 12, text: 'Mary', score: 0.7, tokens: [3] },
    { label: 'ORG', start: 5, end: 5, text: '', score: 0.7, tokens: [] },
  ];
  const plan = d.planEntityDecorations(entities, 100);
  assert.deepEqual([...plan.keys()].sort(), ['LOC', 'PER']);
  assert.deepEqual(
    plan.get('PER')!.map((r) => [r.start, r.end]),
    [
      [100, 104],
      [108, 112],
    ],
  );
  assert.match(plan.get('LOC')![0].hover, /LOC.*0\.800.*London/);
});

test('label colours are stable and distinct for the CoNLL labels', () => {
  const cs = ['PER', 'ORG', 'LOC', 'MISC'].map((l) => d.labelColor(l));
  assert.equal(new Set(cs).size, 4);
  assert.equal(d.labelColor('B-PER'), d.labelColor('I-PER'));
  assert.equal(d.labelColor('ANIMAL'), d.labelColor('ANIMAL'));
});

test('replaced-token probabilities go into buckets; low ones are not shown', () => {
  assert.equal(d.replacedBucket(0.1), undefined);
  assert.equal(d.replacedBucket(0.2), 0);
  assert.equal(d.replacedBucket(1), d.REPLACED_BUCKETS - 1);
  assert.equal(d.replacedBucket(Number.NaN), undefined);
  const plan = d.planReplacedDecorations(
    {
      tokens: ['[CLS]', 'the', 'cat', '[SEP]'],
      offsets: [
        [0, 0],
        [0, 3],
        [4, 7],
        [0, 0],
      ],
      replaced: [0.9, 0.05, 0.95, 0.9],
    },
    10,
  );
  const all = [...plan.values()].flat();
  assert.equal(all.length, 1);
  assert.deepEqual([all[0].start, all[0].end], [14, 17]);
});
