// Fine-tuning in the Classifier Trainer sidebar, end to end: the default mode fine-tunes the embedded model (it
// ships its fp32 variant) on a small workspace CSV, the results table shows the fine-tuned classifier beside the
// majority and TF-IDF baselines, Save writes a hub-layout folder (fp32 + int8), and Classify Selection with that
// folder as the model gives the labels and scores `bert-lens classify --model <folder>` gives.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { topicsCsv } from '../data/topicsCsv.mjs';
import {
  acceptModelSaveDialog,
  cli,
  gotoPosition,
  openFile,
  openWorkbench,
  quickPickLabels,
  readExtensionLog,
  runCommand,
  screenshot,
  toasts,
  useSettings,
  waitFor,
} from './harness.mjs';

let wb;
let server;
let page;
let workspace;

const SENTENCE = 'the coach and the team celebrated the late goal';

before(async () => {
  wb = await openWorkbench({
    files: { 'topics.csv': topicsCsv(), 'note.txt': `${SENTENCE}\n` },
    readyFile: 'topics.csv',
    prefix: 'bert-lens-finetune-ws-',
  });
  ({ server, page, workspace } = wb);
});

after(async () => {
  await wb?.close();
});

/** Runs the palette command whose label is exactly `title` (clicking its row, not the first fuzzy match). */
async function runExactCommand(title) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  let last;
  for (let attempt = 0; attempt < 10; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`);
      const rows = page.locator('.quick-input-list .monaco-list-row');
      await rows.first().waitFor({ timeout: 3000 });
      const labels = await rows.evaluateAll((rs) =>
        rs.map((r) =>
          (r.querySelector('.label-name')?.textContent ?? r.getAttribute('aria-label') ?? '')
            .replace(/\s+/g, ' ')
            .trim(),
        ),
      );
      const i0 = labels.findIndex((l) => l === title || l.startsWith(`${title},`));
      const i = i0;
      if (i < 0) throw new Error(`not listed yet: ${labels.join(' | ')}`);
      await rows.nth(i).click();
      return;
    } catch (err) {
      last = err;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  throw new Error(`command not found in palette: ${title} (${last?.message})`);
}

test('sidebar fine-tunes on a workspace CSV, shows metrics beside baselines, saves, and the saved model classifies a selection', async () => {
  await runCommand(page, 'Focus on Classifier Trainer View');
  const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await view.locator('text=40 examples').waitFor({ timeout: 60000 });
  assert.equal(await view.locator('#mode').inputValue(), 'auto', 'fine-tuning is the default when the model has fp32');
  await view.locator('#train').click();
  const comparison = view.locator('#comparison');
  await comparison.waitFor({ timeout: 600000 });
  const text = await comparison.innerText();
  assert.match(text, /This classifier( ★)?\s+\d+\.\d%\s+\d+\.\d%/);
  assert.match(text, /Majority class\s+50\.0%/);
  assert.match(text, /TF-IDF \+ LR( ★)?\s+\d+\.\d%/);
  await view.locator('#fine-tuned-note', { hasText: 'Encoder fine-tuned' }).waitFor();
  assert.equal(await view.locator('#confusion button').count(), 4);
  await screenshot(page, 'finetune-trainer');
  const log = await waitFor(() => readExtensionLog(server.userData).match(/trained topics\.csv: accuracy ([\d.]+)/), {
    what: 'training log line',
  });
  assert.ok(Number(log[1]) >= 0 && Number(log[1]) <= 1);

  // Save: the dialog offers <data>-finetuned next to the data; accept it.
  await view.locator('#save').click();
  const dir = await acceptModelSaveDialog(page, 'topics-finetuned', ['onnx/model_quantized.onnx', 'config.json']);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(Object.values(config.id2label).sort(), ['food', 'sport']);

  // Classify a selection with the saved folder as the model.
  const expected = cli('classify', '--json', '--model', dir, '--variant', 'fp32', SENTENCE).labels.map(
    (l) => `${l.label}: ${(l.score * 100).toFixed(1)}%`,
  );
  await useSettings(server.userData, workspace, { 'bertLens.model': dir, 'bertLens.variant': 'fp32' });
  await openFile(page, 'note.txt');
  await gotoPosition(page, 1, 1);
  await page.keyboard.press('Shift+End');
  await runExactCommand('BERT Lens: Classify Selection'); // not "… with Trained Classifier", which a trained run also shows
  await page
    .locator('.quick-input-widget .quick-input-title', { hasText: 'BERT Lens: Classify Selection' })
    .first()
    .waitFor({ timeout: 120000 });
  await page.keyboard.press('Enter'); // no second text
  const labels = await quickPickLabels(page, 'BERT Lens: classification').catch(async (err) => {
    throw new Error(`${err.message}; toasts: ${JSON.stringify(await toasts(page))}`);
  });
  assert.deepEqual(labels, expected, 'the saved model gives the CLI’s labels and scores');
  await page.keyboard.press('Escape');
  await useSettings(server.userData, workspace);
});
