// The Classifier Trainer sidebar end to end: a CSV in the workspace is found, previewed, trained on with the
// embedded model, and the view shows the comparison with both baselines and a clickable confusion matrix.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, launchBrowser, readExtensionLog, runCommand, screenshot, startCodeServer, waitFor } from './harness.mjs';

const VSIX = process.env.BERT_LENS_VSIX ?? join(ROOT, 'bert-lens.vsix');
let server;
let browser;
let page;

function topicsCsv() {
  const A = ['goal', 'match', 'team', 'score', 'league', 'coach'];
  const B = ['recipe', 'oven', 'flour', 'sauce', 'bake', 'salt'];
  let csv = 'text,label\n';
  for (let i = 0; i < 20; i++) {
    csv += `"the ${A[i % 6]} and the ${A[(i + 3) % 6]}, ${A[(i + 1) % 6]}",sport\n`;
    csv += `"the ${B[i % 6]} and the ${B[(i + 3) % 6]}, ${B[(i + 1) % 6]}",food\n`;
  }
  return csv;
}

before(async () => {
  const workspace = mkdtempSync(join(tmpdir(), 'bert-lens-trainer-ws-'));
  writeFileSync(join(workspace, 'topics.csv'), topicsCsv());
  server = await startCodeServer({ vsix: VSIX, workspace });
  ({ browser, page } = await launchBrowser());
  await page.goto(server.url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'topics.csv' }).waitFor({ timeout: 60000 });
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

test('sidebar trains on a workspace CSV and shows metrics against baselines and the confusion matrix', async () => {
  await runCommand(page, 'Focus on Classifier Trainer View');
  const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await view.locator('text=40 examples').waitFor({ timeout: 60000 }); // the only dataset is selected and previewed
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
  const log = await waitFor(() => readExtensionLog(server.userData).match(/trained topics\.csv: accuracy ([\d.]+)/), { what: 'training log line' });
  assert.ok(Number(log[1]) >= 0.75, `accuracy ${log[1]}`);
});
