import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmbedResult, Offset } from '../../src/engine/api';
import * as h from '../../src/extension/core/hoverContent';
import * as o from '../../src/extension/hover/occurrences';

test('sparkline scales buckets to the block characters', () => {
  assert.equal(h.sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8), '▁▂▃▄▅▆▇█');
  assert.equal(h.sparkline(new Array(100).fill(1), 10), '▁'.repeat(10));
  assert.equal(h.sparkline([]), '');
});

test('hover markdown shows pieces, alternatives, norm and most/least similar occurrences', () => {
  const md = h.hoverMarkdown({
    word: 'bank',
    pieces: ['bank'],
    ids: [2924],
    layer: 4,
    norm: 12.345,
    vector: [1, 2, 3],
    alternatives: [
      { word: 'river', score: 0.5, ids: [1] },
      { word: 'shore', score: 0.2, ids: [2] },
    ],
    occurrences: [
      { line: 3, text: 'bank', similarity: 0.91 },
      { line: 9, text: 'bank', similarity: 0.42 },
    ],
    modelId: 'mini',
    millis: 12.4,
  });
  assert.match(md, /`bank` \(2924\)/);
  assert.match(md, /\*\*river\*\* 50\.0%/);
  assert.match(md, /norm 12\.35/);
  assert.match(md, /most similar line 3 \(cos 0\.910\).*least similar line 9 \(cos 0\.420\)/);
});

test('other paragraphs with the word, nearest first, and cosine per occurrence', () => {
  const text = 'the bank\n\nriver bank here\n\nno word\n\nbank again';
  const paras: Offset[] = [
    [0, 8],
    [10, 25],
    [27, 34],
    [36, 46],
  ];
  assert.deepEqual(o.paragraphsWithWord(text, paras, 'bank', [0, 8], 4), [
    [10, 25],
    [36, 46],
  ]);
  const emb: EmbedResult = {
    tokens: ['[CLS]', 'river', 'bank', 'here', '[SEP]'],
    offsets: [
      [0, 0],
      [0, 5],
      [6, 10],
      [11, 15],
      [0, 0],
    ],
    layer: 4,
    vectors: [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 0],
    ],
  };
  const res = o.compareInParagraph(emb, 'river bank here', 10, 'bank', [0, 2]);
  assert.equal(res.length, 1);
  assert.deepEqual([res[0].start, res[0].end], [16, 20]);
  assert.ok(Math.abs(res[0].similarity - 1) < 1e-12);
});
