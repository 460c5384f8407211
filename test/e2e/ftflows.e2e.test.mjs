// Fine-tuning flows of the Classifier Trainer sidebar end to end (issue #8), on the embedded model, each checked
// against the CLI on the same data and seed:
// - Cancel during a fine-tune after an epoch, then Resume: the run finishes from the checkpoint, says it resumed,
//   and its metrics equal those of the uninterrupted `bert-lens train --json` run;
// - token classification on a small CoNLL file: entity P/R/F1 beside the majority-tag baseline equal the CLI's,
//   Save writes a BertForTokenClassification folder with the data's tags, and Recognize Entities on a selection
//   with that folder draws the entities `bert-lens ner --model <folder>` finds;
// - extractive QA on a small SQuAD-format JSON: exact match / F1 equal the CLI's, Save writes a
//   BertForQuestionAnswering folder, and Ask a Question on a selection with it highlights the CLI's answer.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peopleConll, placesSquad } from '../data/ftflowsData.mjs';
import { topicsCsv } from '../data/topicsCsv.mjs';
import {
  acceptModelSaveDialog,
  answerInputBox,
  cli,
  clearNotifications,
  computedColour,
  decorationBoxes,
  gotoPosition,
  logJson,
  openFile,
  openWorkbench,
  readExtensionLog,
  runCommand,
  screenshot,
  test,
  useSettings,
  waitFor,
} from './harness.mjs';

const NER_LINE = 'yesterday maria visited berlin and peter moved to rome .';
const QA_CONTEXT = 'grace lives in oslo and works as a pilot . the weather there is mild .';
const QA_QUESTION = 'where does grace live ?';

let wb;
let server;
let page;
let workspace;
let outDir;

before(async () => {
  wb = await openWorkbench({
    files: {
      'topics.csv': topicsCsv(),
      'people.conll': peopleConll(),
      'places.json': placesSquad(),
      'ner.txt': `Entities\n${NER_LINE}\n`,
      'qa.txt': `Question\n${QA_CONTEXT}\n`,
    },
    readyFile: 'topics.csv',
    prefix: 'bert-lens-ftflows-ws-',
  });
  ({ server, page, workspace } = wb);
  outDir = mkdtempSync(join(tmpdir(), 'bert-lens-ftflows-cli-'));
});

after(async () => {
  await wb?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const pct = (x) => `${(100 * x).toFixed(1)}%`;

/** The trainer view (focused), with `file` of the workspace chosen as its dataset and its preview ("40 examples,
 *  2 labels (conll)") shown. */
async function trainerOn(file, format) {
  await runCommand(page, 'Focus on Classifier Trainer View');
  const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  const dataset = view.locator('#dataset');
  const value = await waitFor(
    async () =>
      (await dataset.locator('option').evaluateAll((os) => os.map((o) => o.value))).find(
        (v) => v.endsWith(`/${file}`) || v.endsWith(`\\${file}`),
      ),
    { what: `${file} listed as a dataset`, timeout: 60000 },
  );
  if ((await dataset.inputValue()) !== value) await dataset.selectOption(value);
  await view
    .locator('section[aria-labelledby="data-h"] div.muted', { hasText: '40 examples' })
    .filter({ hasText: `(${format})` })
    .waitFor({ timeout: 60000 });
  return view;
}

/** Sets a number input of the view and waits until the value has made the round trip through the extension (the
 *  view re-renders from the extension's state after each change, which can reset an input filled meanwhile). */
async function setNumber(view, id, value) {
  await waitFor(
    async () => {
      if ((await view.locator(id).inputValue()) !== String(value)) {
        await view.locator(id).fill(String(value));
        await view.locator(id).dispatchEvent('change');
      }
      await page.waitForTimeout(500);
      return (await view.locator(id).inputValue()) === String(value);
    },
    { what: `${id} = ${value}`, timeout: 30000 },
  );
}

/** Clicks Train and waits for this run's results (the previous run's are cleared when it starts). */
async function trainAndWait(view, results) {
  const before = await view.locator(results).count();
  await view.locator('#train').click();
  if (before) await view.locator(results).waitFor({ state: 'detached', timeout: 60000 });
  await view.locator(results).waitFor({ timeout: 300000 });
}

/** The rows of the token/QA results table: name → the cells after it. */
async function taskRows(view) {
  const rows = await view
    .locator('#task-comparison tbody tr')
    .evaluateAll((rs) => rs.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())));
  return Object.fromEntries(rows.map((r) => [r[0], r.slice(1)]));
}

function trainCli(data, ...args) {
  const out = join(outDir, `run-${Date.now()}`);
  return cli('train', '--data', data, '--mode', 'fine-tune', '--seed', '42', '--output', out, ...args, '--json');
}

test('fine-tune: Cancel after an epoch, then Resume finishes the run with the uninterrupted run’s metrics', async () => {
  const view = await trainerOn('topics.csv', 'csv');
  assert.equal(await view.locator('#mode').inputValue(), 'auto');
  await setNumber(view, '#epochs', 4);
  await view.locator('#train').click();
  // The chart shows once the first epoch is validated: cancel then, during the second.
  await view.locator('svg.chart').waitFor({ timeout: 300000 });
  await view.locator('#cancel').click();
  const error = view.locator('p.error');
  await error.waitFor({ timeout: 120000 });
  const cut = (await error.innerText()).match(
    /^Cancelled \(last epoch reported: (\d)\)\. Resume continues from the checkpoint of the last finished epoch\.$/,
  );
  assert.ok(cut, `cancel message: ${await error.innerText()}`);
  const reported = Number(cut[1]);
  assert.ok(reported >= 1 && reported < 4, `cancelled after epoch ${reported} of 4`);
  assert.equal(await view.locator('#comparison').count(), 0, 'no results from a cancelled run');
  await error.scrollIntoViewIfNeeded();
  await screenshot(page, 'ftflows-cancelled');

  await view.locator('#resume').click();
  const comparison = view.locator('#comparison');
  await comparison.waitFor({ timeout: 300000 });
  const split = await view
    .locator('section[aria-labelledby="res-h"] div.muted', { hasText: 'best epoch' })
    .first()
    .innerText();
  // The worker may finish the epoch under way before the cancel reaches it: the checkpoint is that epoch or a later
  // one, never an earlier one.
  const resumedAfter = Number(split.match(/ of 4 \(resumed after epoch (\d)\)/)?.[1]);
  assert.ok(resumedAfter >= reported && resumedAfter < 4, `${split} (last epoch reported: ${reported})`);

  // The uninterrupted CLI run on the same data and seed: resuming reproduces it exactly.
  const j = trainCli(join(workspace, 'topics.csv'), '--epochs', '4');
  assert.equal(j.epochs, 4);
  // The last epoch's training loss (4 decimals) pins the weights: the resumed run trained as the uninterrupted one.
  const last = j.history[3];
  assert.equal(
    (await view.locator('.legend').innerText())
      .match(/epoch 4: loss ([\d.]+), val acc (\d+\.\d%)/)
      ?.slice(1)
      .join(' '),
    `${last.train_loss.toFixed(4)} ${pct(last.val_metric)}`,
  );
  const text = await comparison.innerText();
  assert.match(text, new RegExp(`This classifier( ★)?\\s+${pct(j.metrics.accuracy)}\\s+${pct(j.metrics.macro_f1)}`));
  assert.match(text, new RegExp(`TF-IDF \\+ LR( ★)?\\s+${pct(j.baselines.tfidf_lr.accuracy)}`));
  const log = await waitFor(() => readExtensionLog(server.userData).match(/trained topics\.csv: accuracy ([\d.]+)/), {
    what: 'training log line',
  });
  assert.equal(log[1], j.metrics.accuracy.toFixed(3));
  await comparison.scrollIntoViewIfNeeded();
  await screenshot(page, 'ftflows-resumed');
});

test('token classification: entity P/R/F1 beside the majority-tag baseline, Save, then Recognize Entities on a selection with the saved model', async () => {
  const view = await trainerOn('people.conll', 'conll');
  assert.deepEqual(await view.locator('#task option').allInnerTexts(), ['token classification (entities)']);
  await setNumber(view, '#epochs', 2);
  await setNumber(view, '#lr', 0.001);
  await setNumber(view, '#epochs', 2);
  await trainAndWait(view, '#task-comparison');
  const rows = await taskRows(view);
  const j = trainCli(join(workspace, 'people.conll'), '--task', 'token', '--epochs', '2', '--lr', '0.001');
  const m = j.metrics;
  const b = j.baselines.majority_tag;
  assert.deepEqual(rows['Fine-tuned (fp32)'], [pct(m.precision), pct(m.recall), pct(m.f1)]);
  assert.deepEqual(rows['Majority tag per word'], [pct(b.precision), pct(b.recall), pct(b.f1)]);
  const q = j.quantized_metrics;
  assert.deepEqual(rows['Fine-tuned (int8)'], [pct(q.precision), pct(q.recall), pct(q.f1)]);
  for (const x of [m.precision, m.recall, m.f1]) assert.ok(x >= 0 && x <= 1);
  assert.ok(m.f1 > 0, `the fine-tuned model finds entities (F1 ${m.f1})`);
  assert.match(
    await view.locator('#fine-tuned-note').innerText(),
    /^Encoder fine-tuned \(.*, lr 0\.001, all layers\); best epoch \d of 2;/,
  );
  await view.locator('#task-comparison').scrollIntoViewIfNeeded();
  await screenshot(page, 'ftflows-token');

  await view.locator('#save').click();
  const dir = await acceptModelSaveDialog(page, 'people-finetuned', ['onnx/model.onnx', 'config.json']);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForTokenClassification']);
  assert.deepEqual(Object.values(config.id2label).sort(), ['B-LOC', 'B-PER', 'O']);

  // Recognize Entities on line 2 (selected) with the saved folder as the model: the CLI's entities, shifted by
  // the first line, drawn on the text.
  const expected = cli(
    'ner',
    '--json',
    '--model',
    dir,
    '--variant',
    'fp32',
    '--aggregation',
    'simple',
    NER_LINE,
  ).entities;
  assert.ok(expected.length > 0, 'the saved model finds entities in the line');
  await useSettings(server.userData, workspace, { 'bertLens.model': dir, 'bertLens.variant': 'fp32' });
  await openFile(page, 'ner.txt');
  await gotoPosition(page, 2, 1);
  await page.keyboard.press('Shift+End');
  const before = logJson(server.userData, 'entities').length;
  await runCommand(page, 'BERT Lens: Recognize Entities');
  const entry = await waitFor(
    () => logJson(server.userData, 'entities').length > before && logJson(server.userData, 'entities').at(-1),
    {
      timeout: 120000,
      what: 'entities log line',
    },
  );
  const base = 'Entities\n'.length;
  assert.deepEqual(
    entry.map((e) => [e.label, e.start, e.end, e.text]),
    expected.map((e) => [e.label, e.start + base, e.end + base, e.text]),
  );
  // Adjacent entities of one label may be painted as one box: compare the columns they cover.
  const columns = (ranges) =>
    ranges.flatMap(([line, start, end]) => Array.from({ length: end - start }, (_, k) => `${line}:${start + k}`));
  const want = columns(expected.map((e) => [1, e.start, e.end]));
  const boxes = await waitFor(
    async () => {
      const found = await decorationBoxes(page, '^rgba\\(\\d+, \\d+, \\d+, 0\\.28\\)$');
      return columns(found.map((x) => [x.line, x.start, x.end])).length >= want.length ? found : false;
    },
    { what: 'entity decorations' },
  );
  assert.deepEqual(columns(boxes.map((x) => [x.line, x.start, x.end])).sort(), want.sort());
  await screenshot(page, 'ftflows-entities');
  await runCommand(page, 'BERT Lens: Clear Decorations');
  await runCommand(page, 'View: Close All Editor Groups');
  await useSettings(server.userData, workspace);
});

test('extractive QA: exact match and F1, Save, then Ask a Question on a selection with the saved model', async () => {
  const view = await trainerOn('places.json', 'squad');
  assert.deepEqual(await view.locator('#task option').allInnerTexts(), ['extractive QA']);
  await setNumber(view, '#epochs', 2);
  await setNumber(view, '#lr', 0.001);
  await setNumber(view, '#epochs', 2);
  await trainAndWait(view, '#task-comparison');
  const rows = await taskRows(view);
  const j = trainCli(join(workspace, 'places.json'), '--task', 'qa', '--epochs', '2', '--lr', '0.001');
  assert.deepEqual(rows['Fine-tuned (fp32)'], [pct(j.metrics.exact), pct(j.metrics.f1)]);
  assert.deepEqual(rows['Fine-tuned (int8)'], [pct(j.quantized_metrics.exact), pct(j.quantized_metrics.f1)]);
  for (const x of [j.metrics.exact, j.metrics.f1]) assert.ok(x >= 0 && x <= 1);
  assert.match(await view.locator('section[aria-labelledby="res-h"]').innerText(), /QA has no baseline here\./);
  assert.match(await view.locator('#fine-tuned-note').innerText(), /, lr 0\.001, all layers\); best epoch \d of 2;/);
  await view.locator('#task-comparison').scrollIntoViewIfNeeded();
  await screenshot(page, 'ftflows-qa');

  await view.locator('#save').click();
  const dir = await acceptModelSaveDialog(page, 'places-finetuned', ['onnx/model.onnx', 'config.json']);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForQuestionAnswering']);

  const expected = cli('qa', '--json', '--model', dir, '--variant', 'fp32', '--question', QA_QUESTION, QA_CONTEXT)
    .answers[0];
  await useSettings(server.userData, workspace, { 'bertLens.model': dir, 'bertLens.variant': 'fp32' });
  await openFile(page, 'qa.txt');
  await gotoPosition(page, 2, 1);
  await page.keyboard.press('Shift+End');
  await runCommand(page, 'BERT Lens: Ask a Question');
  await answerInputBox(page, 'BERT Lens: Ask a Question', QA_QUESTION);
  const entry = await waitFor(() => logJson(server.userData, 'qa').find((e) => e.question === QA_QUESTION), {
    timeout: 120000,
    what: 'qa log line',
  });
  const base = 'Question\n'.length;
  assert.deepEqual(
    [entry.answers[0].start, entry.answers[0].end, entry.answers[0].text],
    [expected.start + base, expected.end + base, expected.text],
  );
  const colour = await computedColour(page, 'var(--vscode-editor-findMatchHighlightBackground)');
  const boxes = await waitFor(
    async () => {
      const found = await decorationBoxes(page, `^${colour.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
      return found.length ? found : false;
    },
    { what: 'answer decoration' },
  );
  assert.deepEqual(
    boxes.map((x) => [x.line, x.start, x.end]),
    [[1, expected.start, expected.end]],
  );
  await screenshot(page, 'ftflows-answer');
  await clearNotifications(page);
  await runCommand(page, 'BERT Lens: Clear Decorations');
  await runCommand(page, 'View: Close All Editor Groups');
  await useSettings(server.userData, workspace);
});
