import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PreparingProgress } from '../../src/engine/api';
import { PreparingSessions } from '../../src/extension/core/preparing';

const ev = (preparing: string, state: PreparingProgress['state'], model = 'm'): PreparingProgress => ({
  preparing,
  state,
  model,
});

test('the status shows the latest session still opening, and nothing once all are ready or failed', () => {
  const s = new PreparingSessions();
  assert.equal(s.current(), undefined);
  assert.equal(s.update(ev('saliency', 'opening')), 'saliency');
  assert.equal(s.update(ev('input embeddings', 'opening')), 'input embeddings');
  assert.equal(s.update(ev('input embeddings', 'ready')), 'saliency');
  assert.equal(s.update(ev('saliency', 'failed')), undefined);
});

test('two models opening the same kind of session are counted apart; a stray "ready" changes nothing', () => {
  const s = new PreparingSessions();
  s.update(ev('saliency', 'opening', 'a'));
  s.update(ev('saliency', 'opening', 'b'));
  assert.equal(s.update(ev('saliency', 'ready', 'a')), 'saliency');
  assert.equal(s.update(ev('hidden states', 'ready', 'a')), 'saliency');
  assert.equal(s.update(ev('saliency', 'ready', 'b')), undefined);
  s.update(ev('saliency', 'opening', 'a'));
  s.clear();
  assert.equal(s.current(), undefined);
});
