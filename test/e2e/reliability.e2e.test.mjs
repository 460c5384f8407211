// Reliability of the editor commands (issue #14): Recognize Entities shows its view without taking the focus,
// so a command palette opened while it runs stays open (this race made the suite flaky), and the editor keeps
// the focus afterwards.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, cli, logJson, openFile, openWorkbench, runCommand, test, useSettings, waitFor } from './harness.mjs';

const NER_MODEL = join(ROOT, 'test/fixtures/bert-ner');
const TEXTS = { 'people.txt': 'John Smith works at Google.\nHe moved to London.\n' };

let wb;
before(async () => {
  wb = await openWorkbench({ files: TEXTS, readyFile: 'people.txt', prefix: 'bert-lens-reliability-ws-' });
});
after(async () => {
  await wb?.close();
});

test('Recognize Entities leaves a palette opened meanwhile open, reveals the Entities view, and keeps the editor focused', async () => {
  const { page, server, workspace } = wb;
  const expected = cli('ner', '--json', '--model', NER_MODEL, '--aggregation', 'simple', TEXTS['people.txt']).entities;
  assert.ok(expected.length >= 3);
  await useSettings(server.userData, workspace, { 'bertLens.model': NER_MODEL, 'bertLens.variant': 'fp32' });
  await openFile(page, 'people.txt');
  const before = logJson(server.userData, 'entities').length;
  await runCommand(page, 'BERT Lens: Recognize Entities');
  // The user's next command, typed while the model loads and runs.
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>BERT Lens: Export');
  const entry = await waitFor(() => logJson(server.userData, 'entities')[before], {
    timeout: 120000,
    what: 'entities log line',
  });
  assert.deepEqual(
    entry.map((e) => [e.label, e.start, e.end]),
    expected.map((e) => [e.label, e.start, e.end]),
  );
  assert.ok(await input.isVisible(), 'the palette is still open after the command finished');
  assert.equal(await input.inputValue(), '>BERT Lens: Export');
  await page.keyboard.press('Escape');
  // The view shows the entities; the focus is back in the editor (typing goes into the document).
  const rows = page.locator('.pane-body .monaco-list-row .label-name', { hasText: expected[0].text });
  await rows.first().waitFor({ timeout: 30000 });
  assert.equal(
    await page.locator('.pane-header', { hasText: 'Entities' }).first().getAttribute('aria-expanded'),
    'true',
  );
  const inEditor = await page.evaluate(() =>
    Boolean(document.activeElement?.closest('.editor-group-container.active .monaco-editor')),
  );
  assert.ok(inEditor, 'the editor has the focus');
  await runCommand(page, 'BERT Lens: Clear Decorations');
  await useSettings(server.userData, workspace);
  await runCommand(page, 'View: Close All Editor Groups');
});
