import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineError } from '../../src/engine/errors';
import type { Example } from '../../src/engine/training/types';
import { training, tmpDir } from './training-helpers';

const t = training();
const write = (dir: string, name: string, content: string | Uint8Array): string => {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
};
const engineError = (code: string, re?: RegExp) => (e: EngineError) => {
  assert.equal(e.name, 'EngineError', `expected EngineError, got ${e.stack}`);
  assert.equal(e.code, code);
  if (re) assert.match(e.message, re);
  assert.ok(e.hint, 'every data error carries a hint');
  return true;
};

test('CSV parser follows RFC 4180: quotes, doubled quotes, delimiters and line breaks inside quotes, CRLF', () => {
  const recs = t.csv.parseDelimited('a,b,c\r\n"x, y","say ""hi""","two\nlines"\r\nplain,,last\n', ',');
  assert.deepEqual(recs, [
    { fields: ['a', 'b', 'c'], line: 1 },
    { fields: ['x, y', 'say "hi"', 'two\nlines'], line: 2 },
    { fields: ['plain', '', 'last'], line: 4 },
  ]);
  assert.deepEqual(t.csv.parseDelimited('a\tb\n1\t2', '\t'), [
    { fields: ['a', 'b'], line: 1 },
    { fields: ['1', '2'], line: 2 },
  ]);
  assert.equal(t.csv.lastCompleteRecordEnd('a,b\n"x\ny",1\n"open'), 12);
});

test('loads CSV with guessed columns, keeps file and line of each example', () => {
  const dir = tmpDir();
  const p = write(dir, 'd.csv', 'id,Text,Label\n1,"good ""movie""",pos\n2,"bad\nfilm",neg\n3,fine,pos\n');
  const d = t.data.loadDataset(p);
  assert.equal(d.textColumn, 'Text');
  assert.equal(d.labelColumn, 'Label');
  assert.deepEqual(d.labels, ['neg', 'pos']);
  assert.deepEqual(
    d.examples.map((e) => [e.text, e.label, e.source.line]),
    [
      ['good "movie"', 'pos', 2],
      ['bad\nfilm', 'neg', 3],
      ['fine', 'pos', 5],
    ],
  );
  assert.equal(d.examples[0].source.file, p);
});

test('TSV, JSONL with chosen fields and a pair column', () => {
  const dir = tmpDir();
  const tsv = t.data.loadDataset(write(dir, 'd.tsv', 'sentence\tcategory\nhello\ta\nbye\tb\n'));
  assert.deepEqual(
    tsv.examples.map((e) => e.label),
    ['a', 'b'],
  );
  const j = write(
    dir,
    'd.jsonl',
    '{"premise":"p1","hyp":"h1","gold":"yes"}\n\n{"premise":"p2","hyp":"h2","gold":"no"}\n',
  );
  const d = t.data.loadDataset(j, { textColumn: 'premise', pairColumn: 'hyp', labelColumn: 'gold' });
  assert.deepEqual(
    d.examples.map((e) => [e.text, e.pair, e.label, e.source.line]),
    [
      ['p1', 'h1', 'yes', 1],
      ['p2', 'h2', 'no', 3],
    ],
  );
});

test('folder-per-label, and train/test folders as a given split', () => {
  const dir = tmpDir();
  write(dir, 'flat/spam/a.txt', 'win money');
  write(dir, 'flat/ham/b.txt', 'see you at lunch');
  write(dir, 'flat/ham/c.txt', 'meeting moved');
  const d = t.data.loadDataset(path.join(dir, 'flat'));
  assert.equal(d.format, 'folder');
  assert.deepEqual(
    d.examples.map((e) => [path.basename(e.source.file), e.label]),
    [
      ['b.txt', 'ham'],
      ['c.txt', 'ham'],
      ['a.txt', 'spam'],
    ],
  );
  write(dir, 'split/train/x/1.txt', 'one');
  write(dir, 'split/train/y/2.txt', 'two');
  write(dir, 'split/test/x/3.txt', 'three');
  write(dir, 'split/test/y/4.txt', 'four');
  const s = t.data.loadDataset(path.join(dir, 'split'));
  assert.deepEqual(s.givenSplit, { train: [2, 3], val: [], test: [0, 1] });
  const found = t.discover.findDatasets([dir]).map((c) => [path.relative(dir, c.path), c.format]);
  assert.deepEqual(found.sort(), [
    ['flat', 'folder'],
    ['split', 'folder'],
  ]);
});

test('bad input: empty file, header only, one label', () => {
  const dir = tmpDir();
  assert.throws(() => t.data.loadDataset(write(dir, 'e.csv', '')), engineError('data-empty', /e\.csv is empty/));
  assert.throws(() => t.data.loadDataset(write(dir, 'e2.jsonl', '\n  \n')), engineError('data-empty'));
  assert.throws(
    () => t.data.loadDataset(write(dir, 'h.csv', 'text,label\n')),
    engineError('data-empty', /header but no rows/),
  );
  assert.throws(
    () => t.data.loadDataset(write(dir, 'one.csv', 'text,label\na,x\nb,x\n')),
    engineError('data-one-label', /same label "x"/),
  );
});

test('bad input: missing or misnamed columns list the columns found', () => {
  const dir = tmpDir();
  const p = write(dir, 'c.csv', 'body_text,kind\nhello,a\n');
  assert.throws(() => t.data.loadDataset(p), engineError('data-column', /Columns found: "body_text", "kind"/));
  assert.throws(
    () => t.data.loadDataset(p, { textColumn: 'txt', labelColumn: 'kind' }),
    engineError('data-column', /no text column "txt".*"body_text", "kind"/),
  );
  const ok = t.data.loadDataset(write(dir, 'c2.csv', 'body_text,kind\nhello,a\nbye,b\n'), {
    textColumn: 'BODY_TEXT',
    labelColumn: 'kind',
  });
  assert.equal(ok.textColumn, 'body_text');
});

test('bad input: rows with no text are skipped with a warning; none at all is an error', () => {
  const dir = tmpDir();
  const d = t.data.loadDataset(write(dir, 'r.csv', 'text,label\nhello,a\n   ,b\nbye,b\n,a\n'));
  assert.equal(d.examples.length, 2);
  const w = d.warnings.find((x) => x.kind === 'empty-text')!;
  assert.equal(w.message, 'Skipped 2 row(s) with no text (lines 3, 5).');
  assert.throws(
    () => t.data.loadDataset(write(dir, 'r2.csv', 'text,label\n,a\n ,b\n')),
    engineError('data-no-text', /none of its 2 rows has text in column "text"/),
  );
});

test('bad input: non-UTF-8 text names the line', () => {
  const dir = tmpDir();
  const p = path.join(dir, 'latin1.csv');
  fs.writeFileSync(p, Buffer.concat([Buffer.from('text,label\nok,a\ncaf'), Buffer.from([0xe9]), Buffer.from(',b\n')]));
  assert.throws(() => t.data.loadDataset(p), engineError('data-encoding', /not UTF-8 text \(byte 0xE9 at line 3/));
});

test('bad input: a file over the size limit is capped with a message; a first record over it is an error', () => {
  const dir = tmpDir();
  let csv = 'text,label\n';
  for (let i = 0; i < 100; i++) csv += `"row number ${i} é",${i % 2 ? 'a' : 'b'}\n`;
  const p = write(dir, 'big.csv', csv);
  const d = t.data.loadDataset(p, { maxBytes: 500 });
  const w = d.warnings.find((x) => x.kind === 'capped')!;
  assert.match(w.message, /^big\.csv is 0\.0 MiB; only its first 0\.0 MiB \(\d+ rows\) were read\.$/);
  assert.ok(d.examples.length > 10 && d.examples.length < 100);
  assert.ok(
    d.examples.every((e) => /^row number \d+ é$/.test(e.text)),
    'no record is cut in half',
  );
  const huge = write(dir, 'huge.csv', `text,label\n"${'x'.repeat(2000)}",a\n`);
  assert.throws(() => t.data.loadDataset(huge, { maxBytes: 1000 }), engineError('data-too-large'));
  const rows = t.data.loadDataset(p, { maxRows: 10 });
  assert.equal(rows.examples.length, 10);
  assert.ok(rows.warnings.some((x) => x.message === 'Kept the first 10 of 100 examples.'));
});

test('warnings: imbalance, duplicates (and conflicting ones), labels that look like typos', () => {
  const dir = tmpDir();
  let csv = 'text,label\n';
  for (let i = 0; i < 9; i++) csv += `positive text ${i},positive\n`;
  csv += 'dup,negative\ndup,negative\ndup,positive\nother,Negative\n';
  const d = t.data.loadDataset(write(dir, 'w.csv', csv));
  const kinds = d.warnings.map((w) => w.kind).sort();
  assert.deepEqual(kinds, ['conflicting-duplicates', 'duplicates', 'imbalance', 'label-typo']);
  assert.match(
    d.warnings.find((w) => w.kind === 'imbalance')!.message,
    /"positive" has 10 examples, "Negative" 1 \(10\.0:1\)/,
  );
  assert.match(
    d.warnings.find((w) => w.kind === 'duplicates')!.message,
    /^2 example\(s\) repeat an earlier text \(e\.g\. line 12, 13\)/,
  );
  assert.deepEqual(t.dataChecks.labelTypos(['spam', 'spma', 'ham', 'positive', 'postive', 'a', 'b', '10', '11']), [
    ['spam', 'spma'],
    ['positive', 'postive'],
  ]);
  // differing only in digits is not a typo; a letter typo next to digits still is
  assert.deepEqual(
    t.dataChecks.labelTypos([
      '18th century',
      '19th century',
      '20th century',
      'class1',
      'class2',
      'categroy 5',
      'category 5',
    ]),
    [['categroy 5', 'category 5']],
  );
  assert.equal(t.dataChecks.editDistance('kitten', 'sitting'), 3);
  assert.equal(t.dataChecks.editDistance('ab', 'ba'), 1);
});

test('stratified split: exact sizes per class, disjoint, deterministic per seed', () => {
  const ex: Example[] = [];
  for (let i = 0; i < 30; i++) ex.push({ text: `a${i}`, label: 'a', source: { file: 'f', line: i } });
  for (let i = 0; i < 10; i++) ex.push({ text: `b${i}`, label: 'b', source: { file: 'f', line: 30 + i } });
  const s = t.split.stratifiedSplit(ex, ['a', 'b'], { seed: 7 });
  const count = (idx: number[], l: string) => idx.filter((i) => ex[i].label === l).length;
  assert.deepEqual([count(s.train, 'a'), count(s.val, 'a'), count(s.test, 'a')], [21, 3, 6]);
  assert.deepEqual([count(s.train, 'b'), count(s.val, 'b'), count(s.test, 'b')], [7, 1, 2]);
  assert.equal(new Set([...s.train, ...s.val, ...s.test]).size, 40);
  assert.deepEqual(t.split.stratifiedSplit(ex, ['a', 'b'], { seed: 7 }), s);
  assert.notDeepEqual(t.split.stratifiedSplit(ex, ['a', 'b'], { seed: 8 }).test, s.test);
  const tiny = t.split.stratifiedSplit(ex.slice(0, 2).concat(ex.slice(30, 32)), ['a', 'b'], { seed: 1 });
  assert.deepEqual([tiny.train.length, tiny.val.length, tiny.test.length], [2, 0, 2]);
  const r = t.random.createRng(42);
  assert.deepEqual(
    [r(), r()].map((x) => x.toFixed(8)),
    [
      t.random.createRng(42)().toFixed(8),
      (() => {
        const q = t.random.createRng(42);
        q();
        return q();
      })().toFixed(8),
    ],
  );
});

test('user-named split files', () => {
  const dir = tmpDir();
  const tr = write(dir, 'train.csv', 'text,label\na1,a\nb1,b\na2,a\nb2,b\n');
  const te = write(dir, 'test.csv', 'text,label\na3,a\nb3,b\n');
  const d = t.data.loadSplitFiles({ train: tr, test: te });
  assert.deepEqual(d.givenSplit, { train: [0, 1, 2, 3], val: [], test: [4, 5] });
  assert.equal(d.examples[5].source.file, te);
});
