// Pure logic of the trainer sidebar (no VS Code, no browser): chart geometry, the comparison rows, paragraph
// splitting for the labelling mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as paragraphs from '../../src/extension/trainer/paragraphs';
import * as view from '../../src/webviews/apps/trainer/view';

test('chart paths: loss scaled to its maximum, accuracy on 0..1', () => {
  const c = view.chartPaths(
    [
      { epoch: 1, loss: 2, valAccuracy: 0.5 },
      { epoch: 2, loss: 1, valAccuracy: 1 },
    ],
    100,
    50,
  );
  assert.equal(c.loss, 'M0.0,0.0 L100.0,25.0');
  assert.equal(c.accuracy, 'M0.0,25.0 L100.0,0.0');
  assert.equal(c.maxLoss, 2);
  assert.deepEqual(view.chartPaths([], 10, 10), { loss: '', accuracy: '', maxLoss: 0 });
});

test('comparison rows mark the best macro-F1 (ties included)', () => {
  const m = (a: number, f: number) => ({ accuracy: a, macro_f1: f, per_class: [], confusion: [] });
  const rows = view.comparisonRows(m(0.9, 0.8), m(0.5, 0.33), m(0.9, 0.8));
  assert.deepEqual(rows, [
    { name: 'This classifier', accuracy: '90.0%', macroF1: '80.0%', best: true },
    { name: 'Majority class', accuracy: '50.0%', macroF1: '33.0%', best: false },
    { name: 'TF-IDF + LR', accuracy: '90.0%', macroF1: '80.0%', best: true },
  ]);
  assert.equal(view.cellShade(3, 4), 0.75);
  assert.equal(view.cellShade(0, 0), 0);
});

test('paragraph units: blank-line blocks, or lines when there are no blank lines', () => {
  const text = 'first para\nstill first\n\nsecond\n\n\nthird\n';
  assert.deepEqual(
    paragraphs.splitUnits(text).map((u) => [u.text, u.lastLine, text.slice(u.start, u.end) === u.text]),
    [
      ['first para\nstill first', 1, true],
      ['second', 3, true],
      ['third', 6, true],
    ],
  );
  assert.deepEqual(
    paragraphs.splitUnits('a\r\nb\r\nc').map((u) => [u.text, u.lastLine]),
    [
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ],
  );
});
