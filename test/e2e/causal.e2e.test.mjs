// Causal models in the editor, end to end with the gpt2-clm fixture, against the CLI:
// - Show Surprisal paints every token in its GLTR colour (theme colours from contributes.colors) exactly where
//   `surprisal --json` ranks it, and the status bar shows the perplexity;
// - the Fill-Mask panel's Directions view shows the four columns of `directions --json` side by side;
// - Continue Text shows a preview (ghost text, the document untouched) and asks; accepted, it inserts the CLI's greedy `generate` text, and one Undo
//   restores the file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  cli,
  computedColour,
  readExtensionLog,
  decorationBoxes,
  gotoPosition,
  openFile,
  openWorkbench,
  runCommand,
  screenshot,
  toasts,
  useSettings,
  waitFor,
} from './harness.mjs';

const GPT = join(ROOT, 'test/fixtures/gpt2-clm');
const TEXTS = {
  'gltr.txt': 'my dog is cute and he likes the park near the river.\n',
  'story.txt': 'my dog is cute and he\n',
  'directions.txt': 'python is a programming language.\n',
};
const BERT = join(ROOT, 'test/fixtures/bert-mlm');
const BUCKETS = ['top10', 'top100', 'top1000', 'beyond'];
const bucketOf = (rank) => (rank <= 10 ? 'top10' : rank <= 100 ? 'top100' : rank <= 1000 ? 'top1000' : 'beyond');

let wb;
let server;
let page;
let workspace;

before(async () => {
  wb = await openWorkbench({ files: TEXTS, readyFile: 'gltr.txt', prefix: 'bert-lens-causal-ws-' });
  ({ server, page, workspace } = wb);
});

after(async () => {
  await wb?.close();
});

test('Show Surprisal: GLTR colours where `surprisal --json` ranks each token; perplexity in the status bar', async () => {
  await openFile(page, 'gltr.txt'); // activates the extension before its settings change
  await useSettings(server.userData, workspace, { 'bertLens.surprisal.model': GPT });
  const text = TEXTS['gltr.txt'].trim();
  const r = cli('surprisal', '--json', '--model', GPT, text);
  assert.equal(r.method, 'causal');
  const colours = {};
  for (const b of BUCKETS) colours[b] = await computedColour(page, `var(--vscode-bertLens-surprisal-${b}Background)`);
  assert.equal(new Set(Object.values(colours)).size, 4, `four distinct colours: ${JSON.stringify(colours)}`);
  const expected = new Map();
  r.offsets.forEach(([s, e], i) => {
    if (r.ranks[i] === null) return;
    for (let c = s; c < e; c++) expected.set(`0:${c}`, colours[bucketOf(r.ranks[i])]);
  });
  assert.ok(new Set(expected.values()).size >= 2, 'the text spans several buckets');

  await runCommand(page, 'BERT Lens: Show Surprisal');
  const pattern = Object.values(colours)
    .map((c) => `^${c.replace(/[()]/g, '\\$&')}$`)
    .join('|');
  const covered = await waitFor(
    async () => {
      const boxes = await decorationBoxes(page, pattern);
      const m = new Map();
      for (const b of boxes) for (let c = b.start; c < b.end; c++) m.set(`${b.line}:${c}`, b.bg);
      return m.size >= expected.size ? m : false;
    },
    { timeout: 120000, what: 'surprisal decorations' },
  );
  assert.deepEqual([...covered].sort(), [...expected].sort(), 'every column has the colour of its token’s rank');
  const ppl = r.perplexity >= 1000 ? r.perplexity.toExponential(2) : r.perplexity.toFixed(2);
  await page
    .locator('.statusbar-item', { hasText: `perplexity ${ppl}` })
    .first()
    .waitFor({ timeout: 30000 });
  await screenshot(page, 'surprisal');
  await runCommand(page, 'BERT Lens: Clear Surprisal');
  await waitFor(async () => (await decorationBoxes(page, pattern)).length === 0, { what: 'surprisal cleared' });
  await runCommand(page, 'View: Close All Editor Groups');
});

test('Continue Text: a preview first; accepted, it inserts the CLI’s greedy continuation, and one Undo removes it', async () => {
  await openFile(page, 'story.txt');
  await useSettings(server.userData, workspace, {
    'bertLens.causalModel': GPT,
    'bertLens.continueText.maxNewTokens': 8,
  });
  const prompt = TEXTS['story.txt'].trimEnd();
  const expected = cli('generate', '--json', '--model', GPT, '--max-new-tokens', '8', prompt);
  assert.equal(expected.tokens.length, 8);
  const file = join(workspace, 'story.txt');

  await gotoPosition(page, 1, prompt.length + 1);
  await runCommand(page, 'BERT Lens: Continue Text');
  const toast = await waitFor(
    async () => (await toasts(page)).find((t) => /Accept the continuation\?/.test(t.message)),
    { timeout: 120000, what: 'accept prompt' },
  );
  assert.deepEqual(toast.buttons, ['Accept', 'Reject']);
  assert.match(toast.message, /8 tokens \(stopped: max-new-tokens\)/);
  // The preview is ghost text after the cursor: the document itself is unchanged so far.
  const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
  assert.equal((await lines.innerText()).replace(/\u00a0/g, ' ').trim(), prompt);
  await screenshot(page, 'continue-text-preview');
  await runCommand(page, 'BERT Lens: Accept Continuation');
  await waitFor(() => /continue: accepted \d+ characters/.test(readExtensionLog(server.userData)), {
    what: 'the continuation accepted',
  });
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click(); // focus back in the text
  await page.keyboard.press('Control+S');
  await waitFor(() => readFileSync(file, 'utf8') === `${prompt}${expected.text}\n`, {
    what: `file holds the continuation ${JSON.stringify(expected.text)} (now ${JSON.stringify(readFileSync(file, 'utf8'))}; log: ${(readExtensionLog(server.userData).match(/(continue|Continue).*$/gm) ?? []).join(' | ')})`,
  });
  await page.keyboard.press('Control+Z');
  await page.keyboard.press('Control+S');
  await waitFor(() => readFileSync(file, 'utf8') === TEXTS['story.txt'], {
    what: `one Undo restores the text (now ${JSON.stringify(readFileSync(file, 'utf8'))})`,
  });
  await runCommand(page, 'View: Close All Editor Groups');
});

test('Fill-Mask panel, Directions view: bidirectional, left only, right only and causal columns as `directions --json`', async () => {
  await openFile(page, 'directions.txt');
  await useSettings(server.userData, workspace, { 'bertLens.model': BERT, 'bertLens.causalModel': GPT });
  const text = TEXTS['directions.txt'].trim();
  const expected = cli('directions', '--json', '--model', BERT, '--causal-model', GPT, '--span', '24:32', text);
  assert.equal(expected.word, 'language');
  await gotoPosition(page, 1, 27); // inside "language"
  await runCommand(page, 'BERT Lens: Show Fill-Mask Panel');
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await frame.locator('.bar-row').first().waitFor({ timeout: 120000 });
  await frame.locator('.directions button', { hasText: 'Directions' }).click();
  await waitFor(async () => (await frame.locator('.direction').count()) === 4, {
    timeout: 120000,
    what: 'four direction columns',
  });
  const columns = {
    Bidirectional: 'bidirectional',
    'Left side only': 'left_only',
    'Right side only': 'right_only',
    Causal: 'causal',
  };
  for (const [title, key] of Object.entries(columns)) {
    const col = frame.locator(`.direction[data-direction^="${title}"]`);
    assert.deepEqual(
      await col.locator('.bar-label').allInnerTexts(),
      expected[key].map((c) => c.word),
      title,
    );
    const scores = await col.locator('.bar-score').allInnerTexts();
    assert.deepEqual(
      scores,
      expected[key].map((c) => `${(c.score * 100).toFixed(1)}%`),
      `${title} scores`,
    );
  }
  assert.match(
    await frame.locator('.directions .explanation').innerText(),
    /GPT reads left to right.*ELMo.*BERT masks the word/s,
  );
  await screenshot(page, 'fill-mask-directions');
  await runCommand(page, 'View: Close All Editor Groups');
});
