import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TokenizeResult } from '../../src/engine/api';
import type { FillMaskState } from '../../src/webviews/protocol/fillMask';
import * as x from '../../src/extension/core/exportData';

const state: FillMaskState = {
  text: 'the riverbank flows.',
  masks: [[4, 13]],
  topK: 5,
  models: [
    {
      model: '',
      label: 'mini-bert-uncased (embedded)',
      // Only the tokens: the export reads no other part of the tokenization.
      tokenization: { tokens: ['[CLS]', 'the', 'river', '##bank', 'flows', '.', '[SEP]'] } as TokenizeResult,
      result: {
        tokens: [],
        maskToken: '[MASK]',
        masks: [
          {
            position: 2,
            offset: [4, 9],
            predictions: [
              { token: 'sea', id: 1, score: 0.5 },
              { token: 'lake', id: 2, score: 0.25 },
            ],
          },
          { position: 3, offset: [9, 13], predictions: [{ token: '##side', id: 3, score: 0.4 }] },
        ],
        spans: [
          {
            offset: [4, 13],
            original: 'riverbank',
            pieces: ['river', '##bank'],
            masks: [0, 1],
            candidates: [
              { word: 'seaside', score: 0.2, ids: [1, 3] },
              { word: 'lake, "x"', score: 0.1, ids: [2, 3] },
            ],
          },
        ],
      },
    },
    { model: 'org/other', label: 'org/other', error: 'not cached' },
  ],
  choices: [],
};

test('fill-mask export keeps masks, whole-word candidates and per-piece predictions per model column', () => {
  const d = x.fillMaskExport(state);
  assert.equal(d.text, state.text);
  assert.deepEqual(d.masks, [[4, 13]]);
  assert.equal(d.models.length, 2);
  const [m] = d.models[0].masks;
  assert.deepEqual([m.start, m.end, m.original], [4, 13, 'riverbank']);
  assert.deepEqual(m.candidates, [
    { word: 'seaside', score: 0.2 },
    { word: 'lake, "x"', score: 0.1 },
  ]);
  assert.deepEqual(
    m.predictions.map((p) => [p.position, p.predictions.map((q) => q.token)]),
    [
      [2, ['sea', 'lake']],
      [3, ['##side']],
    ],
  );
  assert.equal(d.models[1].error, 'not cached');
  assert.deepEqual(d.models[1].masks, []);
});

test('fill-mask CSV: one row per model × mask × candidate, quoted where needed', () => {
  const csv = x.fillMaskCsv(x.fillMaskExport(state));
  assert.equal(
    csv,
    'model,mask,start,end,original,rank,word,score\n' +
      'mini-bert-uncased (embedded),1,4,13,riverbank,1,seaside,0.2\n' +
      'mini-bert-uncased (embedded),1,4,13,riverbank,2,"lake, ""x""",0.1\n',
  );
});

test('entities CSV and JSON carry label, start, end, text, score and line', () => {
  const rows = [
    { label: 'PER', start: 0, end: 10, text: 'John Smith', score: 0.98, line: 1 },
    { label: 'LOC', start: 40, end: 46, text: 'London', score: 0.9, line: 3 },
  ];
  assert.equal(
    x.entitiesCsv(rows),
    'label,start,end,text,score,line\nPER,0,10,John Smith,0.98,1\nLOC,40,46,London,0.9,3\n',
  );
  const json = JSON.parse(x.entitiesJson(rows, '/w/a.txt'));
  assert.equal(json.document, '/w/a.txt');
  assert.deepEqual(json.entities, rows);
  assert.equal(x.csvField('a\nb'), '"a\nb"');
});
