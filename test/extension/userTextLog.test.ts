import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logUserText, summaries } from '../../src/extension/core/userTextLog';

test('the line with user text goes to trace only; info gets the summary', () => {
  const got: { info: string[]; trace: string[] } = { info: [], trace: [] };
  const log = { info: (m: string) => got.info.push(m), trace: (m: string) => got.trace.push(m) };
  logUserText(
    log,
    'qa: {"question":"Who wrote it?"}',
    summaries.qa([
      { start: 10, end: 14, score: 0.91234 },
      { start: 0, end: 3, score: 0.1 },
    ]),
  );
  assert.deepEqual(got, {
    trace: ['qa: {"question":"Who wrote it?"}'],
    info: ['qa: 2 answers, best at [10, 14) score 0.912'],
  });
});

test('summaries hold counts, labels and offsets, never the words', () => {
  const entities = [
    { label: 'PER', start: 0, end: 5, text: 'Marie' },
    { label: 'LOC', start: 20, end: 25, text: 'Paris' },
    { label: 'PER', start: 30, end: 36, text: 'Pierre' },
  ];
  assert.equal(summaries.entities(entities), 'entities: 3 entities found (LOC 1, PER 2)');
  assert.equal(summaries.entities([{ label: 'ORG' }]), 'entities: 1 entity found (ORG 1)');
  assert.equal(summaries.entities([]), 'entities: 0 entities found');
  assert.equal(
    summaries.hover({ pieces: ['river', '##bank'], alternatives: ['shore'], occurrences: 2, ms: 41 }),
    'hover: 2 pieces, 1 alternative, 2 occurrences, 41 ms',
  );
  assert.equal(
    summaries.fillMask({ masks: [{ predictions: [{ token: 'cat' }] }] }),
    'fill-mask: 1 mask, 0 spans predicted',
  );
  assert.equal(summaries.codeAction([4, 7], 3), 'code-action: 3 suggestions for [4, 7)');
  assert.equal(summaries.attentionOverlay(5, 'rollout'), 'attention-overlay: 5 tokens painted (rollout)');
  // The e2e reads "<prefix>: {json}" / "<prefix>: [json]" lines back: a summary must never look like one.
  for (const s of [summaries.entities(entities), summaries.qa([]), summaries.codeAction([0, 1], 0)])
    assert.doesNotMatch(s, /^[\w-]+: [[{]/);
});
