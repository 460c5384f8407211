// End-to-end scenarios in one code-server instance with the packaged extension installed. Each scenario asserts
// real values: the file text after applying a candidate, decoration ranges against the engine's own answer
// (through the CLI), the number of heatmaps, the hover's pieces and alternatives.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cli, gotoPosition, quickPickLabels, launchBrowser, logJson, openFile, readExtensionLog, runCommand, screenshot, startCodeServer, waitFor } from './harness.mjs';

const VSIX = process.env.BERT_LENS_VSIX ?? join(ROOT, 'bert-lens.vsix');
const NER_MODEL = join(ROOT, 'test/fixtures/bert-ner');
const TEXTS = {
  'predict.txt': 'python is a programming [MASK].\n',
  'word.txt': 'the cat sat on the mat.\n',
  'hover.txt': 'I deposited money at the bank before lunch.\nWe sat on the bank of the river.\n\nThe bank raised its interest rates.\n',
  'attention.txt': 'The cat sat on the mat because it was tired.\n',
  'ner.txt': 'John Smith works at Google in London.\n',
};

let server;
let browser;
let page;
let workspace;

before(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'bert-lens-ws-'));
  for (const [name, text] of Object.entries(TEXTS)) writeFileSync(join(workspace, name), text);
  server = await startCodeServer({ vsix: VSIX, workspace });
  ({ browser, page } = await launchBrowser());
  await page.goto(server.url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'predict.txt' }).waitFor({ timeout: 60000 });
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

test('activation: lazy, with a status bar item and no model loaded', async () => {
  await openFile(page, 'predict.txt'); // plaintext activates the extension
  const log = await waitFor(() => readExtensionLog(server.userData).match(/activated in ([\d.]+) ms/) && readExtensionLog(server.userData), { what: 'activation log line' });
  assert.match(log, /no model loaded yet/);
  assert.doesNotMatch(log, /model loaded:/);
  const status = page.locator('.statusbar-item', { hasText: 'BERT:' }).first();
  await status.waitFor();
  assert.match(await status.innerText(), /mini-bert-uncased \(embedded\)/);
});

test('Predict Masked Token fills [MASK] with the chosen candidate', async () => {
  const expected = cli('fill-mask', '--json', '--variant', 'quantized', TEXTS['predict.txt'].trim()).masks[0].predictions.map((p) => p.token);
  await openFile(page, 'predict.txt');
  await runCommand(page, 'BERT Lens: Predict Masked Token');
  const labels = await quickPickLabels(page, 'Fill [MASK]');
  assert.deepEqual(labels.slice(0, 3), expected.slice(0, 3), 'the QuickPick lists the engine’s top candidates in order');
  await screenshot(page, 'predict-masked-token');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+S');
  const text = await waitFor(() => {
    const t = readFileSync(join(workspace, 'predict.txt'), 'utf8');
    return t.includes('[MASK]') ? false : t;
  }, { what: 'predict.txt saved' });
  assert.equal(text, `python is a programming ${expected[0]}.\n`);
});

test('Predict Masked Token on the word at the cursor replaces it with the second candidate', async () => {
  await openFile(page, 'word.txt');
  await gotoPosition(page, 1, 21); // inside "mat"
  await runCommand(page, 'BERT Lens: Predict Masked Token');
  const labels = await quickPickLabels(page, 'Replace “mat”');
  const entry = logJson(server.userData, 'fill-mask').at(-1);
  assert.deepEqual(entry.spans[0].offset, [19, 22], 'the masked span is the word "mat"');
  assert.equal(labels[1], entry.spans[0].top[1]);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+S');
  const text = await waitFor(() => {
    const t = readFileSync(join(workspace, 'word.txt'), 'utf8');
    return t !== TEXTS['word.txt'] && t;
  }, { what: 'word.txt saved' });
  assert.equal(text, `the cat sat on the ${labels[1]}.\n`);
});

test('Fill-Mask panel masks the word at the cursor, shows bars, and toggles masks on click', async () => {
  const text = 'python is a programming language.';
  const expected = cli('fill-mask', '--json', '--variant', 'quantized', '--span', '24:32', text);
  await openFile(page, 'predict.txt'); // now "python is a programming language." (first scenario)
  await gotoPosition(page, 1, 27); // inside "language"
  await runCommand(page, 'BERT Lens: Show Fill-Mask Panel');
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await frame.locator('.bar-row').first().waitFor({ timeout: 120000 });
  assert.deepEqual(await frame.locator('.token.masked').allInnerTexts(), ['language']);
  const bars = await frame.locator('.mask-group .bar-label').allInnerTexts();
  assert.equal(bars.length, 5, 'top 5 bars for the one masked word');
  assert.equal(bars[0], expected.spans[0].candidates[0].word);
  await frame.locator('.token', { hasText: 'python' }).click();
  await waitFor(async () => (await frame.locator('.mask-group').count()) === 2, { what: 'a second mask group' });
  assert.deepEqual(await frame.locator('.token.masked').allInnerTexts(), ['python', 'language']);
  await screenshot(page, 'fill-mask-panel');
  await runCommand(page, 'View: Close All Editor Groups');
});

test('hover shows pieces, ids and the top alternatives of the word', async () => {
  await openFile(page, 'hover.txt');
  await gotoPosition(page, 1, 27); // "bank" on line 1
  await runCommand(page, 'Show or Focus Hover');
  const hover = page.locator('.monaco-hover-content', { hasText: 'BERT Lens' }).first();
  await hover.waitFor({ timeout: 120000 });
  const text = await hover.innerText();
  const entry = logJson(server.userData, 'hover').at(-1);
  assert.equal(entry.word, 'bank');
  assert.deepEqual(entry.pieces, ['bank']);
  assert.match(text, /Pieces: bank \(\d+\)/);
  assert.equal(entry.alternatives.length, 3);
  for (const alt of entry.alternatives) assert.ok(text.includes(alt), `hover lists the alternative "${alt}"`);
  assert.match(text, /Other occurrences \(2\): most similar line \d/);
  assert.match(text, /norm \d+\.\d\d/);
  await page.waitForTimeout(500); // let the hover finish fading in for the screenshot
  await screenshot(page, 'hover');
  await page.keyboard.press('Escape');
});

test('Show Attention renders a 4 × 4 grid of heatmaps for the embedded model', async () => {
  await openFile(page, 'attention.txt');
  await gotoPosition(page, 1, 6);
  await runCommand(page, 'BERT Lens: Show Attention');
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await frame.locator('.heatmap.head').first().waitFor({ timeout: 120000 });
  const cells = await frame.locator('.heatmap.head').evaluateAll((els) => els.map((e) => [Number(e.dataset.layer), Number(e.dataset.head)]));
  assert.equal(cells.length, 16);
  assert.deepEqual([...new Set(cells.map((c) => c[0]))].sort(), [0, 1, 2, 3]);
  assert.deepEqual([...new Set(cells.map((c) => c[1]))].sort(), [0, 1, 2, 3]);
  assert.equal(await frame.locator('.heatmap.mean').count(), 4);
  assert.equal(await frame.locator('.heatmap.rollout').count(), 1);
  const expectedTokens = cli('tokenize', '--json', TEXTS['attention.txt'].trim()).tokens.length;
  assert.equal(await frame.locator('.detail svg rect.cell').count(), expectedTokens * expectedTokens, 'the detail matrix has one cell per token pair');
  // Hide [CLS]/[SEP]/punctuation: the matrix shrinks by those tokens.
  await frame.locator('#hide').check();
  const hidden = expectedTokens - 3; // [CLS], [SEP] and "."
  await waitFor(async () => (await frame.locator('.detail svg rect.cell').count()) === hidden * hidden, { what: 'filtered matrix' });
  await frame.locator('#hide').uncheck();
  await frame.locator('.heatmap.head[data-layer="3"][data-head="2"]').click();
  await screenshot(page, 'attention');
  await runCommand(page, 'View: Close All Editor Groups');
});

test('Recognize Entities with the embedded masked LM explains that an NER model is needed', async () => {
  await openFile(page, 'ner.txt');
  await runCommand(page, 'BERT Lens: Recognize Entities');
  const toast = page.locator('.notifications-toasts.visible .notification-list-item-message', { hasText: 'token-classification (NER) model' }).first();
  await toast.waitFor({ timeout: 120000 });
  assert.ok(await page.locator('.notifications-toasts.visible .monaco-button', { hasText: 'Select Model' }).first().isVisible());
  await page.keyboard.press('Escape');
  await runCommand(page, 'Notifications: Clear All Notifications');
});

test('Recognize Entities decorates the engine’s entity ranges with the NER fixture', async () => {
  const expected = cli('ner', '--json', '--model', NER_MODEL, '--aggregation', 'simple', TEXTS['ner.txt'].trim()).entities.map((e) => ({ label: e.label, start: e.start, end: e.end }));
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode/settings.json'), JSON.stringify({ 'bertLens.model': NER_MODEL, 'bertLens.variant': 'fp32' }));
  await waitFor(() => readExtensionLog(server.userData).includes(`settings changed: model=${NER_MODEL}`), { what: 'settings change' });
  await openFile(page, 'ner.txt');
  await runCommand(page, 'BERT Lens: Recognize Entities');
  const entry = await waitFor(() => logJson(server.userData, 'entities').at(-1), { timeout: 120000, what: 'entities log line' });
  assert.deepEqual(entry.map((e) => ({ label: e.label, start: e.start, end: e.end })), expected);
  assert.ok(expected.length > 0, 'the fixture finds entities in this text');
  // The decorations in the editor: elements painted with an entity background, mapped back to columns.
  const boxes = await waitFor(async () => {
    const b = await page.evaluate(() => {
      // Map a point back to a column through the text under it (label pseudo-elements shift pixels, not text).
      const column = (x, y) => {
        const r = document.caretRangeFromPoint(x, y);
        const line = r?.startContainer.parentElement?.closest('.view-line');
        if (!line) return -1;
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        let total = 0;
        while (walker.nextNode()) {
          if (walker.currentNode === r.startContainer) return total + r.startOffset;
          total += walker.currentNode.textContent.length;
        }
        return -1;
      };
      const out = [];
      for (const el of document.querySelectorAll('.editor-group-container.active .monaco-editor .view-overlays *')) {
        const bg = getComputedStyle(el).backgroundColor;
        if (!/rgba\(\d+, \d+, \d+, 0\.28\)/.test(bg)) continue;
        const r = el.getBoundingClientRect();
        const y = r.top + r.height / 2;
        out.push({ bg, start: column(r.left + 1, y), end: column(r.right - 1, y) });
      }
      return out.sort((a, b) => a.start - b.start);
    });
    return b.length ? b : false;
  }, { what: 'entity decorations' });
  assert.deepEqual(boxes.map((b) => [b.start, b.end]), expected.map((e) => [e.start, e.end]));
  const byLabel = new Map();
  expected.forEach((e, i) => byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), boxes[i].bg]));
  for (const colours of byLabel.values()) assert.equal(new Set(colours).size, 1, 'one colour per label');
  assert.equal(new Set([...byLabel.values()].map((c) => c[0])).size, byLabel.size, 'different labels, different colours');
  await screenshot(page, 'entities');
  // Editing the text clears the decorations.
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(' ok');
  await waitFor(async () => (await page.evaluate(() => [...document.querySelectorAll('.editor-group-container.active .monaco-editor .view-overlays *')].filter((el) => /rgba\(\d+, \d+, \d+, 0\.28\)/.test(getComputedStyle(el).backgroundColor)).length)) === 0, { what: 'decorations cleared' });
});
