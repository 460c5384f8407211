import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fm from '../../src/webviews/protocol/fillMask';
import * as at from '../../src/webviews/protocol/attention';

test('message guards check the method and the params', () => {
  assert.ok(fm.fmToggleMask.is(fm.fmToggleMask.create({ span: [1, 4] })));
  assert.ok(!fm.fmToggleMask.is({ method: 'fillMask/toggleMask', params: { span: [4, 1] } }));
  assert.ok(!fm.fmToggleMask.is({ method: 'fillMask/toggleMask', params: { span: ['a', 1] } }));
  assert.ok(!fm.fmToggleMask.is({ method: 'fillMask/setText', params: { span: [1, 4] } }));
  assert.ok(!fm.fmSetText.is(null));
  assert.ok(!fm.fmSetText.is({ method: 'fillMask/setText', params: { text: 3 } }));
  assert.ok(fm.fmSetTopK.is({ method: 'fillMask/setTopK', params: { topK: 5 } }));
  assert.ok(!fm.fmSetTopK.is({ method: 'fillMask/setTopK', params: { topK: 500 } }));
  assert.ok(at.atExport.is({ method: 'attention/export', params: { format: 'png', data: 'x', name: 'a' } }));
  assert.ok(!at.atExport.is({ method: 'attention/export', params: { format: 'exe', data: 'x', name: 'a' } }));
});

test('toggleMask adds sorted spans and removes overlapping ones', () => {
  let m = fm.toggleMask([], [10, 14]);
  m = fm.toggleMask(m, [0, 4]);
  assert.deepEqual(m, [
    [0, 4],
    [10, 14],
  ]);
  assert.deepEqual(fm.toggleMask(m, [11, 12]), [[0, 4]]);
});
