// Pure logic of the trainer's Distill mode (no VS Code, no browser): the teacher-vs-student rows and summary,
// the teacher picker's filter, and the Distill messages' guards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distillRows, distillSummary } from '../../src/webviews/apps/trainer/distillView';
import { isClassifierConfig } from '../../src/extension/trainer/distillTeachers';
import * as ds from '../../src/webviews/protocol/distill';

const teacher = {
  model: 't',
  accuracy: 0.96,
  macro_f1: 0.95,
  ms_per_example: 8,
  parameters: 5_450_000,
  size_bytes: 21_900_000,
  layers: 4,
  variant: 'fp32',
};
const student = {
  model: 's',
  accuracy: 0.94,
  macro_f1: 0.9405,
  ms_per_example: 4.4,
  parameters: 3_880_000,
  size_bytes: 15_600_000,
  layers: 2,
  variant: 'fp32',
};

test('distill rows: teacher, student and their ratio per metric', () => {
  assert.deepEqual(distillRows(teacher, student), [
    { metric: 'Accuracy', teacher: '96.0%', student: '94.0%', ratio: '0.98×' },
    { metric: 'Macro-F1', teacher: '95.0%', student: '94.0%', ratio: '0.99×' },
    { metric: 'Parameters', teacher: '5.45 M', student: '3.88 M', ratio: '0.71×' },
    { metric: 'Size', teacher: '21.9 MB', student: '15.6 MB', ratio: '0.71×' },
    { metric: 'ms / example', teacher: '8.00', student: '4.40', ratio: '0.55×' },
    { metric: 'Layers', teacher: '4', student: '2', ratio: '' },
  ]);
  assert.equal(
    distillSummary(teacher, student),
    "The student keeps 97.9% of the teacher's accuracy with 0.71× its parameters, at 0.55× its time per example.",
  );
  assert.equal(distillRows({ ...teacher, accuracy: 0 }, student)[0].ratio, '');
});

test('teacher picker: sequence classifiers with labels only', () => {
  assert.equal(
    isClassifierConfig({ architectures: ['BertForSequenceClassification'], id2label: { 0: 'a', 1: 'b' } }),
    true,
  );
  assert.equal(isClassifierConfig({ architectures: ['BertForMaskedLM'] }), false);
  assert.equal(isClassifierConfig({ architectures: ['BertForSequenceClassification'] }), false);
  assert.equal(isClassifierConfig({ architectures: ['BertForTokenClassification'], id2label: { 0: 'O' } }), false);
  assert.equal(isClassifierConfig(null), false);
  assert.equal(isClassifierConfig('x'), false);
});

test('distill messages: guards check the params at the trust boundary', () => {
  const ok = ds.dsSettings.create({ ...ds.defaultDistillSettings, teacher: '/m' });
  assert.equal(ds.dsSettings.is(ok), true);
  assert.equal(
    ds.dsSettings.is({
      method: 'distill/settings',
      params: { student: 'embedded', temperature: '2', alpha: 0.5, epochs: 3 },
    }),
    false,
  );
  assert.equal(ds.dsRun.is(ds.dsRun.create({ data: '/d.csv' })), true);
  assert.equal(ds.dsRun.is({ method: 'distill/run', params: {} }), false);
  assert.equal(
    ds.dsState.is(ds.dsState.create({ settings: ds.defaultDistillSettings, teachers: [], history: [] })),
    true,
  );
  assert.deepEqual(ds.defaultDistillSettings, { student: 'embedded', temperature: 2, alpha: 0.5, epochs: 3 });
});
