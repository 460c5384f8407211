import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LruCache, versionKey } from '../../src/extension/core/lruCache';

test('LruCache evicts the least recently used entry', () => {
  const c = new LruCache(2);
  c.set('a', 1);
  c.set('b', 2);
  assert.equal(c.get('a'), 1); // a is now most recent
  c.set('c', 3);
  assert.equal(c.get('b'), undefined);
  assert.equal(c.get('a'), 1);
  assert.equal(c.get('c'), 3);
  assert.equal(c.size, 2);
});

test('versionKey separates document versions; deletePrefix forgets a document', () => {
  const c = new LruCache(10);
  c.set(versionKey('file:///a.txt', 1, 0, 4), 'v1');
  c.set(versionKey('file:///a.txt', 2, 0, 4), 'v2');
  c.set(versionKey('file:///b.txt', 1, 0, 4), 'b');
  assert.equal(c.get(versionKey('file:///a.txt', 1, 0, 4)), 'v1');
  assert.equal(c.get(versionKey('file:///a.txt', 2, 0, 4)), 'v2');
  c.deletePrefix('file:///a.txt|');
  assert.equal(c.size, 1);
  assert.equal(c.get(versionKey('file:///b.txt', 1, 0, 4)), 'b');
});
