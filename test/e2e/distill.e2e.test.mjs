// Distillation in the Classifier Trainer sidebar, end to end: a teacher fine-tuned with the CLI sits in the
// workspace; the Distill section lists it, distils it into the tiny bert-mlm fixture cut to 1 layer (the packaged
// embedded model is int8-only, so the student is an fp32 folder), shows teacher and student side by side, and
// Save writes the student in hub layout with the teacher's labels and the kept layer count.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { topicsCsv } from '../data/topicsCsv.mjs';
import {
  ROOT,
  acceptModelSaveDialog,
  cli,
  openWorkbench,
  readExtensionLog,
  runCommand,
  screenshot,
  test,
  waitFor,
} from './harness.mjs';

let wb;
let server;
let page;
let workspace;
const MLM = join(ROOT, 'test', 'fixtures', 'bert-mlm');

before(async () => {
  wb = await openWorkbench({
    files: { 'topics.csv': topicsCsv() },
    readyFile: 'topics.csv',
    prefix: 'bert-lens-distill-ws-',
  });
  ({ server, page, workspace } = wb);
  // The teacher, made as a user makes one (before the trainer view looks for classifier folders).
  cli(
    'train',
    '--mode',
    'fine-tune',
    '--model',
    MLM,
    '--data',
    join(workspace, 'topics.csv'),
    '--epochs',
    '4',
    '--lr',
    '3e-3',
    '--batch-size',
    '8',
    '--output',
    join(workspace, 'teacher'),
    '--json',
  );
});

after(async () => {
  await wb?.close();
});

test('the Distill section distils a workspace teacher into a 1-layer student, shows both side by side and saves the student', async () => {
  await runCommand(page, 'Focus on Classifier Trainer View');
  const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await view.locator('text=40 examples').waitFor({ timeout: 60000 });
  await view.locator('#distill summary').click();
  const teacher = join(workspace, 'teacher');
  await view.locator(`#distill-teacher option[value="${teacher}"]`).waitFor({ state: 'attached', timeout: 30000 });
  await view.locator('#distill-teacher').selectOption(teacher);
  // A state echo from the host (the teacher list, the teacher just chosen) re-renders the section and can replace
  // the field between fill and Tab, dropping the typed text: type it again until it holds.
  const setField = async (id, value) => {
    await waitFor(
      async () => {
        if ((await view.locator(id).inputValue()) === value) return true;
        await view.locator(id).fill(value);
        await view.locator(id).press('Tab');
        return false;
      },
      { what: `${id} = ${value}`, interval: 500 },
    );
  };
  await setField('#distill-student', MLM);
  await setField('#distill-layers', '1');
  await setField('#distill-epochs', '6');
  await view.locator('#distill-run').click();
  const table = view.locator('#distill-table');
  await table.waitFor({ timeout: 300000 });
  const text = await table.innerText();
  assert.match(text, /Accuracy\s+\d+\.\d%\s+\d+\.\d%/);
  assert.match(text, /Macro-F1\s+\d+\.\d%\s+\d+\.\d%/);
  assert.match(text, /Parameters\s+[\d.]+ M\s+[\d.]+ M\s+0\.\d\d×/, 'the 1-layer student has fewer parameters');
  assert.match(text, /ms \/ example\s+[\d.]+\s+[\d.]+/);
  assert.match(text, /Layers\s+3\s+1/);
  assert.match(
    await view.locator('#distill-summary').innerText(),
    /The student keeps [\d.]+% of the teacher's accuracy/,
  );
  await screenshot(page, 'distill-trainer');
  const log = await waitFor(
    () => readExtensionLog(server.userData).match(/distilled .*teacher → .*bert-mlm: accuracy ([\d.]+) → ([\d.]+)/),
    { what: 'distillation log line' },
  );
  assert.ok(Number(log[1]) >= 0 && Number(log[2]) <= 1);

  // Save: the dialog offers <data>-distilled next to the data; accept it.
  await view.locator('#distill-save').click();
  const dir = await acceptModelSaveDialog(page, 'topics-distilled', ['onnx/model_quantized.onnx', 'config.json']);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(Object.values(config.id2label).sort(), ['food', 'sport']);
  assert.equal(config.num_hidden_layers, 1);
  assert.equal(config.bert_lens.distilled_from, teacher);
  await view.locator('text=Saved to').waitFor({ timeout: 30000 });
});
