import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SaliencyResult } from '../../src/engine/api';
import * as p from '../../src/extension/core/saliencyPlan';

const result: SaliencyResult = {
  tokens: ['[CLS]', 'the', 'cat', '[MASK]', '.', '[SEP]'],
  offsets: [
    [0, 0],
    [0, 3],
    [4, 7],
    [8, 14],
    [14, 15],
    [0, 0],
  ],
  sequenceIds: [null, 0, 0, 0, 0, null],
  method: 'grad-input',
  target: { position: 3, id: 2001, token: 'sat' },
  logprob: -1.5,
  scores: [9, 0.5, -1, 0.05, 0, 3],
  variant: 'fp32',
};

test('levels are the share of the largest |score| over the text tokens; special tokens do not set the scale', () => {
  const plan = p.planSaliencyDecorations(result, 100);
  // max |score| over text tokens is 1 (the [CLS] 9 and [SEP] 3 have no text)
  assert.deepEqual([...plan.keys()].sort(), ['neg:5', 'pos:1', 'pos:3']);
  assert.deepEqual(
    plan.get('neg:5')!.map((r) => [r.start, r.end]),
    [[104, 107]],
  );
  assert.deepEqual(
    plan.get('pos:3')!.map((r) => [r.start, r.end]),
    [[100, 103]],
  );
  assert.deepEqual(
    plan.get('pos:1')!.map((r) => [r.start, r.end]),
    [[108, 114]],
  );
  assert.match(
    plan.get('neg:5')![0].hover,
    /\*\*cat\*\* · gradient × input -1\.000 · explaining “sat” at token 3 \(log p -1\.500, fp32 graph\)/,
  );
  assert.match(plan.get('pos:1')![0].hover, /\\\[MASK\\\]/, 'Markdown in tokens is escaped');
});

test('a zero score is not shaded; the second sequence of a pair is not in the editor text', () => {
  const pair: SaliencyResult = { ...result, sequenceIds: [null, 0, 0, 1, 1, null] };
  const plan = p.planSaliencyDecorations(pair, 0);
  const all = [...plan.values()].flat().map((r) => r.start);
  assert.deepEqual(
    all.sort((a, b) => a - b),
    [0, 4],
  );
});

test('levels and opacities', () => {
  assert.equal(p.saliencyLevel(0, 1), 0);
  assert.equal(p.saliencyLevel(1, 1), p.SALIENCY_LEVELS);
  assert.equal(p.saliencyLevel(-0.01, 1), 1);
  assert.equal(p.saliencyLevel(0.5, 0), 0);
  assert.ok(p.saliencyAlpha(1) < p.saliencyAlpha(p.SALIENCY_LEVELS));
  assert.equal(p.saliencyTargetText({ ...result, target: { label: 'POSITIVE', index: 1 } }), 'label POSITIVE');
});

test('the Fill-Mask panel finds its text in the editor it came from, or gives up when the text changed', () => {
  const text = 'python is a programming language.';
  const doc = `intro line\n\n${text}\n`;
  assert.equal(p.locatePanelText(doc, text, 12), 12, 'unchanged: the same place');
  assert.equal(p.locatePanelText(`new first line\n${doc}`, text, 12), 27, 'a line added above moves it');
  assert.equal(
    p.locatePanelText(`${text}\n${doc}${text}`, text, 40),
    46,
    'of several occurrences, the nearest to where it was',
  );
  assert.equal(
    p.locatePanelText(doc.replace('language', 'tongue'), text, 12),
    undefined,
    'the text itself edited: no editor shading',
  );
  assert.equal(p.locatePanelText(doc, '', 0), undefined);
  // The editor shading is the panel result's plan at that offset: the same ranges as Explain Prediction's.
  const at = p.locatePanelText(`xx\n${'the cat [MASK].'}`, 'the cat [MASK].', 0);
  assert.equal(at, 3);
  assert.deepEqual(
    p
      .planSaliencyDecorations(result, at)
      .get('neg:5')!
      .map((r) => [r.start, r.end]),
    [[7, 10]],
  );
});
