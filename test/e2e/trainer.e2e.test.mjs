// The Classifier Trainer sidebar end to end: a CSV in the workspace is found, previewed, trained on with the
// embedded model, and the view shows the comparison with both baselines and a clickable confusion matrix.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { topicsCsv } from '../data/topicsCsv.mjs';
import { openWorkbench, readExtensionLog, runCommand, screenshot, test, waitFor } from './harness.mjs';

let wb;
let server;
let page;

before(async () => {
  wb = await openWorkbench({
    files: { 'topics.csv': topicsCsv() },
    readyFile: 'topics.csv',
    prefix: 'bert-lens-trainer-ws-',
  });
  ({ server, page } = wb);
});

after(async () => {
  await wb?.close();
});

test('sidebar trains on a workspace CSV and shows metrics against baselines and the confusion matrix', async () => {
  await runCommand(page, 'Focus on Classifier Trainer View');
  const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await view.locator('text=40 examples').waitFor({ timeout: 60000 }); // the only dataset is selected and previewed
  await view.locator('#mode').selectOption('frozen'); // this scenario is the frozen head; finetune.e2e covers the rest
  await view.locator('#train').click();
  const comparison = view.locator('#comparison');
  await comparison.waitFor({ timeout: 180000 });
  const text = await comparison.innerText();
  assert.match(text, /This classifier/);
  assert.match(text, /Majority class\s+50\.0%/);
  assert.match(text, /TF-IDF \+ LR/);
  assert.equal(await view.locator('#confusion button').count(), 4);
  await view.locator('#cell-0-0').click();
  await view.locator('.examples button', { hasText: 'topics.csv:' }).first().waitFor();
  await screenshot(page, 'trainer');
  const log = await waitFor(() => readExtensionLog(server.userData).match(/trained topics\.csv: accuracy ([\d.]+)/), {
    what: 'training log line',
  });
  assert.ok(Number(log[1]) >= 0.75, `accuracy ${log[1]}`);
});
