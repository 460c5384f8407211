// "Why this label?" in the Classifier Trainer's results, end to end with the embedded model: fine-tune on a small
// workspace CSV (open in an editor), pick a confusion-matrix cell, click "Why this label?" on an example: its
// token chips are shaded with the scores `bert-lens saliency --json --label <predicted>` gives on the saved
// folder, and the CSV is neither changed nor dirtied. A head on frozen int8 features says, in one line, how to get
// an explanation instead.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { topicsCsv } from '../data/topicsCsv.mjs';
import {
  acceptModelSaveDialog,
  cli,
  logJson,
  openFile,
  openWorkbench,
  runCommand,
  screenshot,
  test,
  waitFor,
} from './harness.mjs';

let wb;
let server;
let page;
let workspace;

before(async () => {
  wb = await openWorkbench({
    files: { 'topics.csv': topicsCsv() },
    readyFile: 'topics.csv',
    prefix: 'bert-lens-trainer-why-ws-',
  });
  ({ server, page, workspace } = wb);
});

after(async () => {
  await wb?.close();
});

const view = () => page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');

/** Opens the first non-empty confusion cell and returns the first example's Why button index. */
async function openCell() {
  const v = view();
  const cells = v.locator('#confusion button');
  await cells.first().waitFor({ timeout: 600000 });
  const n = await cells.count();
  for (let k = 0; k < n; k++) {
    if ((await cells.nth(k).innerText()).trim() !== '0') {
      await cells.nth(k).click();
      break;
    }
  }
  const why = v.locator('.examples button.why').first();
  await why.waitFor();
  return why;
}

test('fine-tuned run: Why this label? shades the example’s tokens as `bert-lens saliency` scores them on the saved folder', async () => {
  await openFile(page, 'topics.csv');
  await runCommand(page, 'Focus on Classifier Trainer View');
  const v = view();
  await v.locator('text=40 examples').waitFor({ timeout: 60000 });
  await v.locator('#train').click();
  await v.locator('#fine-tuned-note').waitFor({ timeout: 600000 });
  const why = await openCell();
  const item = why.locator('xpath=..');
  const itemText = await item.locator('button').first().innerText();
  await why.click();
  const chips = v.locator('#why-panel .why-token');
  await v.locator('#why-panel .why-token[data-saliency]').first().waitFor({ timeout: 120000 });
  const entry = await waitFor(() => logJson(server.userData, 'trainer-why-result').at(-1), {
    what: 'trainer-why-result log line',
  });
  assert.deepEqual(await chips.allInnerTexts(), entry.tokens);
  const caption = await v.locator('#why-caption').innerText();
  assert.match(
    caption,
    new RegExp(
      `^Why “${entry.target.label}” \\(p \\d+\\.\\d%, true label “(food|sport)”\\): gradient × input saliency through the fine-tuned network`,
    ),
  );
  // The chips carry the scores, shaded blue / orange (special tokens unshaded).
  const shown = await chips.evaluateAll((els) =>
    els.map((e) => ({ s: e.dataset.saliency, bg: e.style.backgroundColor })),
  );
  shown.forEach((c, i) => {
    const special = /^\[(CLS|SEP)\]$/.test(entry.tokens[i]);
    if (special || entry.scores[i] === 0) return assert.equal(c.s, undefined, entry.tokens[i]);
    assert.equal(Number(c.s), entry.scores[i]);
    assert.match(c.bg, entry.scores[i] < 0 ? /^rgba\(213, 94, 0, / : /^rgba\(0, 114, 178, /);
  });
  assert.ok(
    await v.locator('#why-panel').evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.top < innerHeight && r.bottom > 0;
    }),
    'the panel is scrolled into view',
  );
  await screenshot(page, 'trainer-why');

  // Independent path: save the run and ask the CLI for the same explanation on the saved folder.
  await v.locator('#save').click();
  const dir = await acceptModelSaveDialog(page, 'topics-finetuned', ['onnx/model.onnx', 'config.json']);
  const text = itemText.replace(/^topics\.csv:\d+ \(\d+\.\d%\) /, '');
  const ref = cli('saliency', '--json', '--model', dir, '--method', 'grad-input', '--label', entry.target.label, text);
  assert.deepEqual(ref.tokens, entry.tokens);
  ref.scores.forEach((r, i) =>
    assert.ok(
      Math.abs(r - entry.scores[i]) <= 1e-5 + 1e-4 * Math.abs(r),
      `${ref.tokens[i]}: ${entry.scores[i]} vs the CLI's ${r}`,
    ),
  );

  // The user's file: unchanged on disk and not dirty in its editor.
  assert.equal(readFileSync(join(workspace, 'topics.csv'), 'utf8'), topicsCsv());
  assert.equal(await page.locator('.tab.dirty').count(), 0, 'no dirty editor');
});

test('frozen head on int8 features: Why this label? says how to get an explanation, in one line', async () => {
  await runCommand(page, 'Focus on Classifier Trainer View');
  const v = view();
  await v.locator('#mode').selectOption('frozen');
  await v.locator('#train').click();
  // The previous run's results go as soon as training starts; the frozen run's come back without the note.
  await v.locator('#comparison').waitFor({ state: 'detached', timeout: 60000 });
  await v.locator('#comparison').waitFor({ timeout: 300000 });
  assert.equal(await v.locator('#fine-tuned-note').count(), 0);
  const why = await openCell();
  await why.click();
  const err = v.locator('#why-panel .error');
  await err.waitFor({ timeout: 60000 });
  assert.match(
    await err.innerText(),
    /^This head was trained on features of the int8 encoder, which has no gradients, so its labels cannot be explained\. Train with Mode "fine-tune the encoder"/,
  );
  assert.equal(await v.locator('#why-panel .why-token').count(), 0);
});
