// `bert-lens distill --json` (#13): the shape with real values, the saved student classifies with the
// teacher's labels, an existing output folder is never overwritten, and bad input gives one line and a non-zero
// exit. The teacher is made the way a user makes one: `bert-lens train --mode fine-tune` on the tiny bert-mlm.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, fixture, readJson } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-distill-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'bert-lens.js'), ...args], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, TMPDIR: tmp },
  });
}

const csv = path.join(tmp, 'sentiment.csv');
const teacher = path.join(tmp, 'teacher');
const POS = ['good', 'great', 'fine', 'nice', 'happy', 'love'];
const NEG = ['bad', 'awful', 'poor', 'sad', 'hate', 'wrong'];

before(() => {
  const rows = ['text,label'];
  for (let i = 0; i < 18; i++) {
    rows.push(`"a ${POS[i % 6]} day and a ${POS[(i + 2) % 6]} time",pos`);
    rows.push(`"a ${NEG[i % 6]} day and a ${NEG[(i + 3) % 6]} time",neg`);
  }
  fs.writeFileSync(csv, rows.join('\n') + '\n');
  const r = cli([
    'train',
    '--mode',
    'fine-tune',
    '--model',
    fixture('bert-mlm'),
    '--data',
    csv,
    '--epochs',
    '4',
    '--lr',
    '3e-3',
    '--batch-size',
    '8',
    '--output',
    teacher,
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
});

test('distill --json: teacher and student side by side, the student saved in hub layout with the teacher labels', () => {
  const out = path.join(tmp, 'student');
  const r = cli([
    'distill',
    '--teacher',
    teacher,
    '--student',
    fixture('bert-mlm'),
    '--student-layers',
    '1',
    '--data',
    csv,
    '--epochs',
    '6',
    '--lr',
    '1e-2',
    '--batch-size',
    '8',
    '--temperature',
    '3',
    '--alpha',
    '0.7',
    '--output',
    out,
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const k of ['teacher', 'student', 'output']) assert.ok(k in j, k);
  for (const side of [j.teacher, j.student]) {
    for (const k of ['accuracy', 'macro_f1', 'ms_per_example', 'parameters']) assert.equal(typeof side[k], 'number', k);
    assert.ok(side.accuracy >= 0 && side.accuracy <= 1 && side.macro_f1 >= 0 && side.macro_f1 <= 1);
    assert.ok(side.ms_per_example > 0);
  }
  assert.equal(j.output, out);
  assert.equal(j.temperature, 3);
  assert.equal(j.alpha, 0.7);
  assert.equal(j.history.length, 6);
  assert.equal(j.teacher.layers, 3);
  assert.equal(j.student.layers, 1);
  assert.ok(j.student.parameters < j.teacher.parameters);
  assert.equal(j.teacher.accuracy, 1, 'the teacher separates the two word lists');
  assert.ok(j.student.accuracy >= 0.95 * j.teacher.accuracy, `student ${j.student.accuracy}`);
  assert.equal(j.accuracy_kept, Math.round((j.student.accuracy / j.teacher.accuracy) * 10000) / 10000);
  // The teacher's test accuracy matches the one `train` measured on the same split (same seed).
  assert.equal(j.teacher.accuracy, readJson(path.join(teacher, 'training-report.json')).metrics.accuracy);

  const config = readJson(path.join(out, 'config.json'));
  assert.deepEqual(config.id2label, { 0: 'neg', 1: 'pos' });
  assert.equal(config.num_hidden_layers, 1);
  assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
  assert.equal(config.bert_lens.distilled_from, teacher);
  assert.ok(
    fs.existsSync(path.join(out, 'onnx', 'model.onnx')) &&
      fs.existsSync(path.join(out, 'onnx', 'model_quantized.onnx')),
  );
  assert.equal(fs.statSync(path.join(out, 'onnx', 'model.onnx')).size, j.student.size_bytes);
  // classify uses the saved student (fp32), with the teacher's labels.
  const c = cli(['classify', '--model', out, '--variant', 'fp32', '--json', 'a great day and a nice time']);
  assert.equal(c.status, 0, c.stderr);
  const labels = JSON.parse(c.stdout).labels;
  assert.deepEqual(labels.map((l: any) => l.label).sort(), ['neg', 'pos']);
  assert.equal(labels[0].label, 'pos');

  // Never overwritten: the same --output again is refused before any training, in one line.
  const again = cli([
    'distill',
    '--teacher',
    teacher,
    '--student',
    fixture('bert-mlm'),
    '--data',
    csv,
    '--output',
    out,
  ]);
  assert.equal(again.status, 1);
  assert.match(again.stderr.trim(), /^bert-lens: .*already exists and is not empty; nothing was overwritten/);
  assert.equal(again.stderr.trim().split('\n').length, 1, again.stderr);
});

test('distill: bad input is one clear line and a non-zero exit', () => {
  const mlm = cli([
    'distill',
    '--teacher',
    fixture('bert-mlm'),
    '--student',
    fixture('bert-mlm'),
    '--data',
    csv,
    '--output',
    path.join(tmp, 'x1'),
  ]);
  assert.equal(mlm.status, 1);
  assert.match(mlm.stderr, /The teacher must be a sequence-classification model/);
  assert.doesNotMatch(mlm.stderr, /\n\s+at /);
  assert.ok(!fs.existsSync(path.join(tmp, 'x1')));
  const labels = cli([
    'distill',
    '--teacher',
    teacher,
    '--student',
    fixture('bert-nli'),
    '--data',
    csv,
    '--output',
    path.join(tmp, 'x2'),
  ]);
  assert.equal(labels.status, 1);
  assert.match(labels.stderr, /different label sets/);
  const noTeacher = cli(['distill', '--data', csv]);
  assert.equal(noTeacher.status, 2);
  assert.match(noTeacher.stderr, /distill needs --teacher/);
  const badAlpha = cli(['distill', '--teacher', teacher, '--data', csv, '--alpha', '1.5']);
  assert.equal(badAlpha.status, 2);
  assert.match(badAlpha.stderr, /--alpha needs a number between 0 and 1, not "1.5"/);
});
