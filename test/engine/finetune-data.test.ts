// Fine-tuning data and the pieces around it that need no gradients: CoNLL / token JSONL / SQuAD loaders and
// their errors, split folders, label alignment to word pieces, QA answer positions, seqeval and SQuAD metrics
// on hand-made cases, and AdamW / schedule / accumulation / bucketing against hand computation.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { readJson } from '../helpers';
import {
  IGNORE_INDEX,
  alignLabels,
  answerPositions,
  bestSpan,
  pieceWords,
  wordPredictions,
} from '../../src/engine/training/alignment';
import {
  AdamW,
  GradientAccumulator,
  bucketedBatches,
  decays,
  linearScheduleLr,
} from '../../src/engine/training/optimizer';
import { loadSquadFile, parseSquad } from '../../src/engine/training/qaData';
import { createRng } from '../../src/engine/training/random';
import { findSplitFiles, loadTaskData, randomSplit } from '../../src/engine/training/taskData';
import {
  answerF1,
  entityScores,
  iob2Entities,
  normalizeAnswer,
  squadScores,
} from '../../src/engine/training/taskMetrics';
import {
  entitiesToTags,
  iob2Problem,
  loadTokenFile,
  majorityTagBaseline,
  parseConll,
} from '../../src/engine/training/tokenData';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { EMBEDDED, fixture } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-ft-data-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function write(name: string, content: string, dir = path.join(tmp, `d${n++}`)): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}
function engineError(code: string, re: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof EngineError, `expected EngineError, got ${(e as Error)?.stack}`);
    assert.equal(e.code, code);
    assert.match(e.message, re);
    assert.ok(e.hint, 'every data error carries a hint');
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  };
}

const CONLL = `-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
`;

test('CoNLL: token first, label last, blank lines between sentences, -DOCSTART- skipped, labels O first', () => {
  const p = write('train.conll', CONLL);
  const d = loadTokenFile(p);
  assert.equal(d.format, 'conll');
  assert.deepEqual(
    d.examples.map((e) => [e.tokens, e.tags, e.source.line]),
    [
      [['EU', 'rejects', 'German', 'call'], ['B-ORG', 'O', 'B-MISC', 'O'], 3],
      [['Peter', 'Blackburn'], ['B-PER', 'I-PER'], 8],
    ],
  );
  assert.deepEqual(d.labels, ['O', 'B-MISC', 'B-ORG', 'B-PER', 'I-PER']);
  assert.equal(d.examples[1].text, 'Peter Blackburn');
  assert.deepEqual(d.examples[1].spans, [
    [0, 5],
    [6, 15],
  ]);
});

test('CoNLL errors: a line with no label, a tag sequence that is not strict IOB2 — one line each with the line number', () => {
  assert.throws(
    () => parseConll('Paris B-LOC\nis\n', '/x/train.conll'),
    engineError('data-conll', /train\.conll line 2: "is" has no label column/),
  );
  assert.throws(
    () => parseConll('a O\nb O\n\nParis O\nHilton I-ORG\n', '/x/t.conll'),
    engineError('data-tags', /t\.conll line 5: .*"I-ORG" follows "O"; strict IOB2 starts every entity with B-ORG/),
  );
  assert.throws(
    () => parseConll('New B-LOC\nYork I-ORG\n', '/x/t.conll'),
    engineError('data-tags', /line 2: .*"I-ORG" follows "B-LOC"/),
  );
  assert.throws(
    () => parseConll('Paris LOC\n', '/x/t.conll'),
    engineError('data-tags', /line 1: .*tag "LOC" is not O, B-TYPE or I-TYPE/),
  );
  assert.equal(iob2Problem(['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC', 'I-LOC']), undefined);
});

test('JSONL token data: {"tokens","tags"} and {"text","entities"} (code-point offsets, words cut at entity edges)', () => {
  const p = write(
    'd.jsonl',
    [
      '{"tokens":["Ada","Lovelace","wrote"],"tags":["B-PER","I-PER","O"]}',
      '{"text":"Met 😀 Bob in Paris-Nord.","entities":[{"start":6,"end":9,"label":"PER"},{"start":13,"end":18,"label":"LOC"}]}',
    ].join('\n'),
  );
  const d = loadTokenFile(p);
  assert.deepEqual(d.examples[0].tags, ['B-PER', 'I-PER', 'O']);
  assert.equal(d.examples[0].text, 'Ada Lovelace wrote');
  const e = d.examples[1];
  assert.deepEqual(e.tokens, ['Met', '😀', 'Bob', 'in', 'Paris', '-', 'Nord', '.']);
  assert.deepEqual(e.tags, ['O', 'O', 'B-PER', 'O', 'B-LOC', 'O', 'O', 'O']);
  assert.equal(e.text.slice(e.spans[2][0], e.spans[2][1]), 'Bob');
  // An entity inside a word splits the word.
  assert.deepEqual(entitiesToTags('xParisy', [{ start: 1, end: 6, label: 'LOC' }], 'w').tokens, ['x', 'Paris', 'y']);
  assert.throws(
    () => loadTokenFile(write('b.jsonl', '{"tokens":["a","b"],"tags":["O"]}')),
    engineError('data-tags', /b\.jsonl line 1: 2 tokens but 1 tags/),
  );
  assert.throws(
    () => loadTokenFile(write('c.jsonl', '{"tokens":["a","b"],"tags":["I-X","O"]}')),
    engineError('data-tags', /c\.jsonl line 1: .*"I-X" follows "O"/),
  );
  assert.throws(
    () =>
      loadTokenFile(
        write(
          'e.jsonl',
          '{"text":"ab cd","entities":[{"start":0,"end":4,"label":"A"},{"start":3,"end":5,"label":"B"}]}',
        ),
      ),
    engineError('data-entities', /overlap/),
  );
});

const SQUAD = {
  version: 'v2.0',
  data: [
    {
      title: 'T',
      paragraphs: [
        {
          context: 'The 😀 Eiffel Tower is in Paris.',
          qas: [
            { id: 'q1', question: 'Where is the tower?', answers: [{ text: 'Paris', answer_start: 25 }] },
            { id: 'q2', question: 'Who built it?', answers: [], is_impossible: true },
          ],
        },
        {
          context: 'Ada wrote notes.',
          qas: [
            {
              id: 'q3',
              question: 'Who wrote?',
              answers: [
                { text: 'Ada', answer_start: 0 },
                { text: 'Ada', answer_start: 0 },
              ],
            },
          ],
        },
      ],
    },
  ],
};

test('SQuAD JSON: answer_start in code points becomes a string index; impossible questions; paragraphs numbered', () => {
  const d = loadSquadFile(write('train.json', JSON.stringify(SQUAD)));
  assert.equal(d.examples.length, 3);
  const q1 = d.examples[0];
  assert.equal(q1.context.slice(q1.answers[0].start, q1.answers[0].start + 5), 'Paris');
  assert.equal(q1.answers[0].start, 26); // one surrogate pair before it
  assert.deepEqual(d.examples[1].answers, []);
  assert.deepEqual(
    d.examples.map((e) => e.paragraph),
    [0, 0, 1],
  );
});

test('SQuAD errors: an answer whose text is not at its answer_start, not SQuAD, no answers', () => {
  const bad = structuredClone(SQUAD);
  bad.data[0].paragraphs[0].qas[0].answers[0].answer_start = 20;
  assert.throws(
    () => parseSquad(bad, '/x/train.json'),
    engineError(
      'data-answer',
      /train\.json: question q1: the answer "Paris" is not at answer_start 20 \(the context there reads "s in "\)/,
    ),
  );
  assert.throws(
    () => parseSquad(bad, '/x/train.json'),
    (e: EngineError) => /first occurs at 25/.test(e.hint!),
  );
  assert.throws(() => parseSquad({ rows: [] }, '/x/a.json'), engineError('data-squad', /no "data" array/));
  const none = structuredClone(SQUAD);
  none.data[0].paragraphs[1].qas[0].answers = [];
  assert.throws(
    () => parseSquad(none, '/x/a.json'),
    engineError('data-squad', /question q3 has no answers and is not marked "is_impossible"/),
  );
});

test('a folder with train.* / dev.* / test.* files uses those splits; single files are split with the seed', () => {
  const dir = path.join(tmp, 'splits');
  write('train.conll', 'a O\nb B-X\n\nc O\n\nd O\n\ne O\n\nf O\n', dir);
  write('dev.conll', 'g B-X\n', dir);
  write('test.conll', 'h O\n\ni B-Y\n', dir);
  write('notes.txt', 'ignored', dir);
  assert.deepEqual(findSplitFiles(dir), {
    train: path.join(dir, 'train.conll'),
    val: path.join(dir, 'dev.conll'),
    test: path.join(dir, 'test.conll'),
  });
  const t = loadTaskData(dir);
  assert.equal(t.task, 'token');
  assert.deepEqual(t.split, { train: [0, 1, 2, 3, 4], val: [5], test: [6, 7] });
  assert.deepEqual(t.dataset.labels, ['O', 'B-X', 'B-Y']); // test-only tags are still classes
  // No dev file: validation carved from train, test untouched.
  const dir2 = path.join(tmp, 'splits2');
  write('train.jsonl', Array.from({ length: 20 }, (_, i) => `{"tokens":["w${i}"],"tags":["O"]}`).join('\n'), dir2);
  write('test.jsonl', '{"tokens":["z"],"tags":["B-X"]}', dir2);
  const t2 = loadTaskData(dir2);
  assert.equal(t2.task, 'token');
  assert.equal(t2.split.val.length, 2);
  assert.equal(t2.split.train.length, 18);
  assert.deepEqual(t2.split.test, [20]);
  assert.throws(
    () => findSplitFiles(path.dirname(write('train.csv', 'text,label\na,b\n'))),
    engineError('data-split-files', /has train\.csv but no test\.\* file/),
  );
  // SQuAD single file: questions of one context stay in one split.
  const many = {
    data: [
      {
        paragraphs: Array.from({ length: 10 }, (_, p) => ({
          context: `c${p} x`,
          qas: [0, 1, 2].map((q) => ({
            id: `${p}-${q}`,
            question: 'q?',
            answers: [{ text: 'x', answer_start: 3 + (p >= 10 ? 1 : 0) }],
          })),
        })),
      },
    ],
  };
  const qa = loadTaskData(write('squad.json', JSON.stringify(many)), { seed: 7 });
  assert.equal(qa.task, 'qa');
  if (qa.task !== 'qa') return;
  const where = new Map<number, string>();
  for (const k of ['train', 'val', 'test'] as const) {
    for (const i of qa.split[k]) {
      const p = qa.dataset.examples[i].paragraph;
      assert.ok(!where.has(p) || where.get(p) === k, `context ${p} in two splits`);
      where.set(p, k);
    }
  }
  assert.deepEqual([qa.split.train.length, qa.split.val.length, qa.split.test.length], [21, 3, 6]);
  assert.deepEqual(randomSplit(10, 7), randomSplit(10, 7));
  assert.notDeepEqual(randomSplit(10, 7), randomSplit(10, 8));
});

test('labels align to word pieces: first piece labelled, others -100 (or all pieces); specials -100', async () => {
  const tk = TextTokenizer.load(EMBEDDED, readJson(path.join(EMBEDDED, 'tokenizer_config.json')));
  const words = ['Ada', 'Lovelace', 'programmed', 'engines'];
  const text = words.join(' ');
  const spans: [number, number][] = [
    [0, 3],
    [4, 12],
    [13, 23],
    [24, 31],
  ];
  const enc = await tk.encode(text);
  const pw = pieceWords(enc, spans);
  // Independent path: the tokenizer's own word ids.
  assert.deepEqual(
    pw,
    enc.wordIds.map((w) => (w === null ? -1 : w)),
  );
  const labels = [1, 2, 0, 0];
  const first = alignLabels(enc, spans, labels);
  const all = alignLabels(enc, spans, labels, true);
  for (let i = 0; i < enc.ids.length; i++) {
    const w = pw[i];
    if (w < 0) {
      assert.equal(first[i], IGNORE_INDEX);
      assert.equal(all[i], IGNORE_INDEX);
    } else {
      assert.equal(all[i], labels[w]);
      assert.equal(first[i], pw.indexOf(w) === i ? labels[w] : IGNORE_INDEX);
    }
  }
  assert.ok(enc.ids.length > words.length + 2, `some word splits into pieces: ${enc.tokens.join(' ')}`);
  assert.equal(first.filter((l) => l !== IGNORE_INDEX).length, 4);
  // Back to words: the first piece's class.
  assert.deepEqual(wordPredictions(pw, all, 5, 0), [1, 2, 0, 0, 0]);
});

test('QA features: answer start/end pieces in the context; CLS (0) when the answer is outside the window', async () => {
  const tk = TextTokenizer.load(fixture('bert-qa'), readJson(path.join(fixture('bert-qa'), 'tokenizer_config.json')));
  const context = 'The tower was completed in 1889 by Gustave Eiffel.';
  const enc = await tk.encode('Who built it?', context);
  const s = context.indexOf('Gustave Eiffel');
  const [a, b] = answerPositions(enc, 1, s, s + 'Gustave Eiffel'.length);
  assert.equal(context.slice(enc.offsets[a][0], enc.offsets[b][1]), 'Gustave Eiffel');
  assert.equal(enc.sequenceIds[a], 1);
  // A window that holds only the first part of the context.
  const cutAt = enc.sequenceIds.indexOf(1) + 4;
  const window = {
    offsets: enc.offsets.slice(0, cutAt),
    specialTokensMask: enc.specialTokensMask.slice(0, cutAt),
    sequenceIds: enc.sequenceIds.slice(0, cutAt),
  };
  assert.deepEqual(answerPositions(window, 1, s, s + 7), [0, 0]);
  // Decoding: the best start+end pair over context pieces maps back to characters.
  const start = new Array(enc.ids.length).fill(0);
  const end = new Array(enc.ids.length).fill(0);
  start[a] = 5;
  end[b] = 4;
  start[1] = 9; // a question piece never wins
  const best = bestSpan(enc, 1, start, end)!;
  assert.equal(context.slice(best.start, best.end), 'Gustave Eiffel');
  assert.equal(best.score, 9);
});

test('seqeval strict IOB2: entity precision / recall / F1 on hand-made cases', () => {
  assert.deepEqual(iob2Entities(['B-PER', 'I-PER', 'O', 'I-LOC', 'B-LOC', 'I-LOC', 'B-LOC']), [
    { type: 'PER', start: 0, end: 2 },
    { type: 'LOC', start: 4, end: 6 },
    { type: 'LOC', start: 6, end: 7 },
  ]);
  // seqeval's README example in strict mode: y_true [[O O O B-MISC I-MISC I-MISC O], [B-PER I-PER O]],
  // y_pred [[O O B-MISC I-MISC I-MISC I-MISC O], [B-PER I-PER O]] → P = R = F1 = 0.5.
  const gold = [
    ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'],
    ['B-PER', 'I-PER', 'O'],
  ];
  const pred = [
    ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'],
    ['B-PER', 'I-PER', 'O'],
  ];
  const s = entityScores(gold, pred);
  assert.equal(s.precision, 0.5);
  assert.equal(s.recall, 0.5);
  assert.equal(s.f1, 0.5);
  // A stray I-LOC after O is not an entity in strict mode.
  const g2 = [['B-PER', 'O', 'B-LOC', 'I-LOC', 'O', 'B-ORG']];
  const p2 = [['B-PER', 'O', 'B-LOC', 'O', 'I-LOC', 'B-ORG']];
  const s2 = entityScores(g2, p2);
  // predicted entities: PER(0,1) ✓, LOC(2,3) ✗ (gold is 2..4), ORG(5,6) ✓ → P 2/3, R 2/3.
  assert.ok(
    Math.abs(s2.precision - 2 / 3) < 1e-12 && Math.abs(s2.recall - 2 / 3) < 1e-12 && Math.abs(s2.f1 - 2 / 3) < 1e-12,
  );
  assert.deepEqual(
    s2.perType.map((t) => [t.type, t.f1, t.support]),
    [
      ['LOC', 0, 1],
      ['ORG', 1, 1],
      ['PER', 1, 1],
    ],
  );
  assert.deepEqual(entityScores([['O']], [['O']]), { precision: 0, recall: 0, f1: 0, support: 0, perType: [] });
});

test('SQuAD exact match and F1: official normalisation (case, punctuation, a/an/the, spaces), best over references', () => {
  assert.equal(normalizeAnswer('  The Eiffel-Tower, an icon! '), 'eiffeltower icon');
  assert.equal(normalizeAnswer('Theatre a la carte'), 'theatre la carte');
  // pred "the big red dog" vs "a red dog": tokens [big, red, dog] vs [red, dog] → P 2/3, R 1 → F1 0.8.
  assert.ok(Math.abs(answerF1('the big red dog', 'a red dog') - 0.8) < 1e-12);
  assert.equal(answerF1('Paris', 'London'), 0);
  assert.equal(answerF1('', ''), 1);
  assert.equal(answerF1('x', ''), 0);
  const r = squadScores(['Eiffel Tower', 'in 1889', ''], [['the Eiffel tower.', 'tower'], ['1889'], []]);
  assert.equal(r.exact, 2 / 3);
  // q2: "in 1889" vs "1889" → P 1/2, R 1 → 2/3.
  assert.ok(Math.abs(r.f1 - (1 + 2 / 3 + 1) / 3) < 1e-12);
});

test('majority-tag-per-word baseline: most frequent training tag per word (lower-cased), O for unseen, repaired to IOB2', () => {
  const train = parseConll(
    'Paris B-LOC\nis O\n\nparis B-LOC\n\nParis B-PER\n\nNew B-LOC\nYork I-LOC\n\nNew B-LOC\nYork I-LOC\n',
    '/x/t.conll',
  );
  const f = majorityTagBaseline(train);
  assert.deepEqual(f(['PARIS', 'is', 'nice']), ['B-LOC', 'O', 'O']);
  assert.deepEqual(f(['York', 'New', 'York']), ['B-LOC', 'B-LOC', 'I-LOC']);
});

test('AdamW: one step equals the hand-computed decoupled update; no decay on biases and LayerNorm weights', () => {
  assert.equal(decays({ name: 'bert.encoder.layer.0.attention.self.query.weight', dims: [16, 16] }), true);
  assert.equal(decays({ name: 'bert.encoder.layer.0.attention.self.query.bias', dims: [16] }), false);
  assert.equal(decays({ name: 'bert.embeddings.LayerNorm.weight', dims: [16] }), false);
  assert.equal(decays({ name: 'onnx::MatMul_812', dims: [16, 64] }), true);
  const w = { name: 'classifier.weight', dims: [2, 2], data: Float32Array.from([0.5, -1, 2, 0]) };
  const b = { name: 'classifier.bias', dims: [2], data: Float32Array.from([0.1, -0.2]) };
  const frozen = { name: 'emb', dims: [1, 2], data: Float32Array.from([3, 3]), trainable: false };
  const opt = new AdamW([w, b, frozen], { weightDecay: 0.01 });
  const gw = Float32Array.from([0.2, -0.4, 0, 1e-3]);
  const gb = Float32Array.from([-0.5, 0.25]);
  const lr = 1e-3;
  opt.step([gw, gb, Float32Array.from([1, 1])], lr);
  // Step 1 by hand: m̂ = g, v̂ = g², so the Adam part is lr·g/(|g|+ε); the decay part lr·wd·p on weights only.
  const hand = (p: number, g: number, wd: number) => p * (1 - lr * wd) - (lr * g) / (Math.abs(g) + 1e-8);
  const expW = [0.5, -1, 2, 0].map((p, j) => hand(p, gw[j], 0.01));
  const expB = [0.1, -0.2].map((p, j) => hand(p, gb[j], 0));
  expW.forEach((e, j) => assert.ok(Math.abs(w.data[j] - e) < 1e-7, `w[${j}] ${w.data[j]} vs ${e}`));
  expB.forEach((e, j) => assert.ok(Math.abs(b.data[j] - e) < 1e-7, `b[${j}] ${b.data[j]} vs ${e}`));
  assert.deepEqual([...frozen.data], [3, 3]);
  // Step 2 by hand for w[0], with g = 0.1: m = 0.9·0.02 + 0.01 = 0.028... from the definitions.
  const p1 = w.data[0];
  opt.step([Float32Array.from([0.1, 0, 0, 0]), undefined, undefined], lr);
  const m = 0.9 * (0.1 * 0.2) + 0.1 * 0.1;
  const v = 0.999 * (0.001 * 0.04) + 0.001 * 0.01;
  const exp2 = p1 * (1 - lr * 0.01) - (lr * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
  assert.ok(Math.abs(w.data[0] - exp2) < 1e-7, `${w.data[0]} vs ${exp2}`);
  assert.equal(opt.stepCount, 2);
  // State round trip (checkpoints).
  const st = opt.exportState();
  const opt2 = new AdamW([{ ...w, data: w.data.slice() }, { ...b, data: b.data.slice() }, frozen]);
  opt2.importState(st);
  assert.equal(opt2.stepCount, 2);
});

test('linear warm-up (10 %) then linear decay, as HF schedules it; gradient accumulation is the mean over examples', () => {
  // 100 steps: warm-up 10. Step 0 runs at 0 (HF), step 5 at half, step 10 at the peak, step 55 at half, 100 at 0.
  assert.equal(linearScheduleLr(1e-4, 0, 100), 0);
  assert.ok(Math.abs(linearScheduleLr(1e-4, 5, 100) - 5e-5) < 1e-18);
  assert.equal(linearScheduleLr(1e-4, 10, 100), 1e-4);
  assert.ok(Math.abs(linearScheduleLr(1e-4, 55, 100) - 5e-5) < 1e-18);
  assert.equal(linearScheduleLr(1e-4, 100, 100), 0);
  const acc = new GradientAccumulator([2]);
  acc.add([Float32Array.from([1, 2])], 3); // mean of 3 examples
  acc.add([Float32Array.from([5, -2])], 1);
  assert.equal(acc.examples, 4);
  assert.deepEqual([...(acc.take()[0] as Float32Array)], [(3 + 5) / 4, (6 - 2) / 4]);
  assert.equal(acc.examples, 0);
  // A table's gradient as its looked-up rows: handed through as it is for one micro-batch, added in as the table's
  // dense gradient (repeated rows summed, negative rows from the end) when there are several.
  const table = new GradientAccumulator([6]); // 3 rows of width 2
  const rows = { rows: [2, 0, -1], values: Float32Array.from([1, 2, 3, 4, 5, 6]), width: 2 };
  table.add([rows], 2);
  assert.equal(table.take()[0], rows);
  table.add([rows], 2);
  table.add([Float32Array.from([0, 0, 0, 0, 4, 4])], 2);
  assert.deepEqual([...(table.take()[0] as Float32Array)], [3 / 2, 4 / 2, 0, 0, (1 + 5 + 4) / 2, (2 + 6 + 4) / 2]);
});

test('length-bucketed batches: every example once, similar lengths together, seeded', () => {
  const rng = createRng(3);
  const lengths = Array.from({ length: 200 }, () => 5 + Math.floor(rng() * 120));
  const batches = bucketedBatches(lengths, 16, createRng(1), 4);
  assert.deepEqual(
    batches.flat().sort((a, b) => a - b),
    lengths.map((_, i) => i),
  );
  assert.deepEqual(batches, bucketedBatches(lengths, 16, createRng(1), 4));
  assert.notDeepEqual(batches, bucketedBatches(lengths, 16, createRng(2), 4));
  // Padding waste is far below a plain shuffle's.
  const waste = (bs: number[][]) =>
    bs.reduce(
      (s, b) => s + b.length * Math.max(...b.map((i) => lengths[i])) - b.reduce((t, i) => t + lengths[i], 0),
      0,
    );
  const plain: number[][] = [];
  for (let i = 0; i < 200; i += 16) plain.push(Array.from({ length: Math.min(16, 200 - i) }, (_, k) => i + k));
  assert.ok(waste(batches) < waste(plain) / 3, `${waste(batches)} vs ${waste(plain)}`);
});
