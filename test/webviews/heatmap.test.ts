import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hm from '../../src/webviews/shared/heatmap';
const tokens = ['[CLS]', 'the', 'bank', '##s', '.', '[SEP]'];
const m = tokens.map((_, i) => tokens.map((_, j) => (i === j ? 0.5 : 0.1)));
const c = { fg: '#000', bg: '#fff', accent: '#00f' };

test('visibleTokens hides special tokens and punctuation on request', () => {
  assert.deepEqual(hm.visibleTokens(tokens, false), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(hm.visibleTokens(tokens, true), [1, 2, 3]);
});

test('subMatrix selects rows/columns and can renormalise rows', () => {
  const s = hm.subMatrix(m, [1, 2, 3], true);
  assert.equal(s.length, 3);
  for (const row of s) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.deepEqual(hm.subMatrix(m, [1, 2], false), [
    [0.5, 0.1],
    [0.1, 0.5],
  ]);
});

test('matrix SVG export has one cell per pair and escaped labels', () => {
  const svg = hm.matrixSvg(hm.subMatrix(m, [0, 1, 2]), ['<s>', 'the', 'bank'], 'Layer 1, head 1', c);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.equal((svg.match(/<rect class="cell"/g) ?? []).length, 9);
  assert.ok(svg.includes('&lt;s&gt;') && !svg.includes('<s>'));
});

test('lines SVG drops weak links and can focus one token', () => {
  const all = hm.linesSvg(m, tokens, 't', c, 0.5);
  assert.equal((all.match(/class="link"/g) ?? []).length, tokens.length); // only the diagonal (0.5) passes
  const one = hm.linesSvg(m, tokens, 't', c, 0, 20, 2);
  assert.equal((one.match(/class="link"/g) ?? []).length, tokens.length);
  assert.equal(hm.intensity(0, 1), 0);
  assert.equal(hm.intensity(1, 1), 1);
});
