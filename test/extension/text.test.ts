import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as t from '../../src/extension/core/text';

test('wordAt finds the word around, before or after the cursor', () => {
  const s = 'The bank, by the river-bank.';
  assert.deepEqual(t.wordAt(s, 5), [4, 8]);
  assert.deepEqual(t.wordAt(s, 8), [4, 8]); // just after the word
  assert.equal(t.wordAt(s, 9), undefined); // between ',' and ' '
  assert.deepEqual(t.wordAt(s, 20), [17, 27]); // hyphenated word
  assert.deepEqual(t.wordAt("'quoted'", 3), [1, 7]); // quotes trimmed
  assert.deepEqual(t.wordAt('café olé', 2), [0, 4]);
});

test('findOccurrences is whole-word and case-insensitive', () => {
  const s = 'Bank banks bank. embankment BANK';
  assert.deepEqual(t.findOccurrences(s, 'bank'), [
    [0, 4],
    [11, 15],
    [28, 32],
  ]);
  assert.deepEqual(t.findOccurrences(s, 'a.b'), []);
});

test('paragraphAt returns the blank-line-delimited paragraph, clamped', () => {
  const s = 'first para\nline two\n\nsecond para here\n\n  \nthird';
  assert.deepEqual(t.paragraphAt(s, 3), [0, 19]);
  const [a, b] = t.paragraphAt(s, 25);
  assert.equal(s.slice(a, b), 'second para here');
  const [c, d] = t.paragraphAt(s, s.length - 1);
  assert.equal(s.slice(c, d), 'third');
  const long = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
  const [e, f] = t.paragraphAt(long, 1000, 200);
  assert.ok(f - e <= 200 && e <= 1000 && f >= 1000);
});

test('paragraphs lists non-empty paragraphs', () => {
  assert.deepEqual(t.paragraphs('a b\n\nc\n\n\n'), [
    [0, 3],
    [5, 6],
  ]);
});

test('isInComment recognises line and block comments', () => {
  const code = 'let x = 1; // the bank\n/* river\n bank */ y = bank;';
  assert.equal(t.isInComment(code, code.indexOf('bank')), true);
  assert.equal(t.isInComment(code, code.indexOf('river')), true);
  assert.equal(t.isInComment(code, code.lastIndexOf('bank')), false);
  assert.equal(t.isInComment(code, 4), false);
  assert.equal(t.isInComment('# python comment', 5), true);
});

test('matchCase keeps capitalisation of the original', () => {
  assert.equal(t.matchCase('Bank', 'river'), 'River');
  assert.equal(t.matchCase('NASA', 'esa'), 'ESA');
  assert.equal(t.matchCase('bank', 'river'), 'river');
});
