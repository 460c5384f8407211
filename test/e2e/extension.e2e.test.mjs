// End-to-end scenarios in one code-server instance with the packaged extension installed, a local stand-in for
// the Hugging Face hub (HF_ENDPOINT) and an empty hub cache (HF_HUB_CACHE). Each scenario sets the workspace's
// BERT Lens settings itself (explicit defaults, see useSettings) and asserts real values against the engine's
// own answer through the CLI:
// - activation is lazy (no model loaded) and the language status item (status bar { }) names the embedded model;
// - Predict Masked Token: the QuickPick lists the CLI's top candidates; picking one changes the file text;
// - the Fill-Mask panel: masked token, bars equal to the CLI's whole-word candidates, click toggles a mask;
// - the hover: pieces, ids, the top alternatives and the other occurrences of the word;
// - Show Attention: 4 × 4 heatmaps, head means, rollout, a detail matrix of tokens², the special-token toggle;
// - Recognize Entities: the embedded masked LM explains that an NER model is needed (with Select Model); with the
//   NER fixture the decorated ranges equal the CLI's entities, one colour per label, cleared on edit;
// - Ask a Question (QA fixture): the highlighted range equals the CLI's answer span, the toast its text and score;
// - Classify Selection with a second text (NLI fixture): the shown labels and percentages equal `classify --pair`;
// - Detect Replaced Tokens (ELECTRA fixture): the decorated columns and their colour buckets equal the CLI's
//   probabilities, and the hover on a token shows its probability;
// - Attention export through code-server's save dialog: the JSON's attentions equal `attention --json` within
//   1e-5, the SVG has one cell per token pair and the selected head's weights;
// - Select Model… with a hub id: the progress notification shows the file's percentage mid-download, the files
//   land in the Hugging Face cache layout (refs, snapshot links, ETag blobs), the language status names the model;
// - cancelling a download: no finished blob, the model setting and language status stay, only an info note;
// - offline with an uncached hub id: one error notification with the way forward and Select Model / Show Log
//   actions, no stack trace, no request to the hub;
// - Developer: Reload Window restores the Attention panel (serializer) with its grid, recomputed.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  acceptSaveDialog,
  answerInputBox,
  clearNotifications,
  cli,
  computedColour,
  decorationBoxes,
  gotoPosition,
  languageStatus,
  quickPickLabels,
  logJson,
  openFile,
  openWorkbench,
  readExtensionLog,
  runCommand,
  screenshot,
  selectHubModel,
  test,
  toasts,
  useSettings,
  waitFor,
} from './harness.mjs';
import { COMMIT, startLocalHub } from './hubServer.mjs';

const NER_MODEL = join(ROOT, 'test/fixtures/bert-ner');
const QA_MODEL = join(ROOT, 'test/fixtures/bert-qa');
const NLI_MODEL = join(ROOT, 'test/fixtures/bert-nli');
const RTD_MODEL = join(ROOT, 'test/fixtures/electra-discriminator');
const MLM_FIXTURE = join(ROOT, 'test/fixtures/bert-mlm');
/** Entity decorations: the label's colour at 28 % (core/decorationPlan.ts, decorations/styles.ts). */
const ENTITY_BG = '^rgba\\(\\d+, \\d+, \\d+, 0\\.28\\)$';
const HUB_REPO = 'test-org/tiny-bert-mlm';
const SLOW_REPO = 'test-org/slow-bert-mlm';
const TEXTS = {
  'predict.txt': 'python is a programming [MASK].\n',
  'word.txt': 'the cat sat on the mat.\n',
  'hover.txt':
    'I deposited money at the bank before lunch.\nWe sat on the bank of the river.\n\nThe bank raised its interest rates.\n',
  'attention.txt': 'The cat sat on the mat because it was tired.\n',
  'ner.txt': 'John Smith works at Google in London.\n',
  'qa.txt': 'Meeting notes:\nJohn Smith works at Google in London. He likes apples.\n',
  'nli.txt': 'A man is playing a guitar on stage.\n',
  'rtd.txt': 'The quick brown fox ate over the lazy dog.\n',
  'export.txt': 'The bank raised its rates.\n',
  'restore.txt': 'A dog chased the ball across the park.\n',
};
const QUESTION = 'Where does John work?';
const PAIR = 'A man is sleeping.';

let wb;
let server;
let page;
let workspace;
let localHub;
let hub;
let hubCache;

before(async () => {
  // A local hub (HF_ENDPOINT) and an empty cache (HF_HUB_CACHE) for the Select Model and offline scenarios.
  localHub = await startLocalHub(
    {
      [HUB_REPO]: { folder: MLM_FIXTURE, hold: 'onnx/model.onnx' },
      [SLOW_REPO]: { folder: MLM_FIXTURE, hold: 'onnx/model.onnx', stall: true },
    },
    'bert-lens-hub-cache-',
  );
  ({ hub, cache: hubCache } = localHub);
  wb = await openWorkbench({ files: TEXTS, readyFile: 'predict.txt', env: localHub.env });
  ({ server, page, workspace } = wb);
});

after(async () => {
  await wb?.close();
  await localHub?.close();
});

test('activation: lazy, with a language status item and no model loaded', async () => {
  await openFile(page, 'predict.txt'); // plaintext activates the extension
  const log = await waitFor(
    () => readExtensionLog(server.userData).match(/activated in ([\d.]+) ms/) && readExtensionLog(server.userData),
    { what: 'activation log line' },
  );
  assert.match(log, /no model loaded yet/);
  assert.doesNotMatch(log, /model loaded:/);
  const status = await waitFor(() => languageStatus(page), { what: 'the BERT Lens language status item' });
  assert.equal(status.text, 'BERT: mini-bert-uncased (embedded)');
  assert.equal(status.detail, 'not loaded yet');
});

test('Predict Masked Token fills [MASK] with the chosen candidate', async () => {
  await useSettings(server.userData, workspace);
  const expected = cli(
    'fill-mask',
    '--json',
    '--variant',
    'quantized',
    TEXTS['predict.txt'].trim(),
  ).masks[0].predictions.map((p) => p.token);
  await openFile(page, 'predict.txt');
  await runCommand(page, 'BERT Lens: Predict Masked Token');
  const labels = await quickPickLabels(page, 'Fill [MASK]');
  assert.deepEqual(
    labels.slice(0, 3),
    expected.slice(0, 3),
    'the QuickPick lists the engine’s top candidates in order',
  );
  await screenshot(page, 'predict-masked-token');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+S');
  const text = await waitFor(
    () => {
      const t = readFileSync(join(workspace, 'predict.txt'), 'utf8');
      return t.includes('[MASK]') ? false : t;
    },
    { what: 'predict.txt saved' },
  );
  assert.equal(text, `python is a programming ${expected[0]}.\n`);
});

test('Predict Masked Token on the word at the cursor replaces it with the second candidate', async () => {
  await useSettings(server.userData, workspace);
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
  const text = await waitFor(
    () => {
      const t = readFileSync(join(workspace, 'word.txt'), 'utf8');
      return t !== TEXTS['word.txt'] && t;
    },
    { what: 'word.txt saved' },
  );
  assert.equal(text, `the cat sat on the ${labels[1]}.\n`);
});

test('Fill-Mask panel masks the word at the cursor, shows bars, and toggles masks on click', async () => {
  await useSettings(server.userData, workspace);
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
  await useSettings(server.userData, workspace);
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
  await useSettings(server.userData, workspace);
  await openFile(page, 'attention.txt');
  await gotoPosition(page, 1, 6);
  await runCommand(page, 'BERT Lens: Show Attention');
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await frame.locator('.heatmap.head').first().waitFor({ timeout: 120000 });
  const cells = await frame
    .locator('.heatmap.head')
    .evaluateAll((els) => els.map((e) => [Number(e.dataset.layer), Number(e.dataset.head)]));
  assert.equal(cells.length, 16);
  assert.deepEqual([...new Set(cells.map((c) => c[0]))].sort(), [0, 1, 2, 3]);
  assert.deepEqual([...new Set(cells.map((c) => c[1]))].sort(), [0, 1, 2, 3]);
  assert.equal(await frame.locator('.heatmap.mean').count(), 4);
  assert.equal(await frame.locator('.heatmap.rollout').count(), 1);
  const expectedTokens = cli('tokenize', '--json', TEXTS['attention.txt'].trim()).tokens.length;
  assert.equal(
    await frame.locator('.detail svg rect.cell').count(),
    expectedTokens * expectedTokens,
    'the detail matrix has one cell per token pair',
  );
  // Hide [CLS]/[SEP]/punctuation: the matrix shrinks by those tokens.
  await frame.locator('#hide').check();
  const hidden = expectedTokens - 3; // [CLS], [SEP] and "."
  await waitFor(async () => (await frame.locator('.detail svg rect.cell').count()) === hidden * hidden, {
    what: 'filtered matrix',
  });
  await frame.locator('#hide').uncheck();
  await frame.locator('.heatmap.head[data-layer="3"][data-head="2"]').click();
  await screenshot(page, 'attention');
  await runCommand(page, 'View: Close All Editor Groups');
});

test('Recognize Entities with the embedded masked LM explains that an NER model is needed', async () => {
  await useSettings(server.userData, workspace);
  await openFile(page, 'ner.txt');
  await runCommand(page, 'BERT Lens: Recognize Entities');
  const toast = page
    .locator('.notifications-toasts.visible .notification-list-item-message', {
      hasText: 'token-classification (NER) model',
    })
    .first();
  await toast.waitFor({ timeout: 120000 });
  assert.ok(
    await page.locator('.notifications-toasts.visible .monaco-button', { hasText: 'Select Model' }).first().isVisible(),
  );
  await page.keyboard.press('Escape');
  await runCommand(page, 'Notifications: Clear All Notifications');
});

test('Recognize Entities decorates the engine’s entity ranges with the NER fixture', async () => {
  const expected = cli(
    'ner',
    '--json',
    '--model',
    NER_MODEL,
    '--aggregation',
    'simple',
    TEXTS['ner.txt'].trim(),
  ).entities.map((e) => ({ label: e.label, start: e.start, end: e.end }));
  await useSettings(server.userData, workspace, { 'bertLens.model': NER_MODEL, 'bertLens.variant': 'fp32' });
  await openFile(page, 'ner.txt');
  await runCommand(page, 'BERT Lens: Recognize Entities');
  const entry = await waitFor(() => logJson(server.userData, 'entities').at(-1), {
    timeout: 120000,
    what: 'entities log line',
  });
  assert.deepEqual(
    entry.map((e) => ({ label: e.label, start: e.start, end: e.end })),
    expected,
  );
  assert.ok(expected.length > 0, 'the fixture finds entities in this text');
  // The decorations in the editor: elements painted with an entity background, mapped back to columns.
  const boxes = await waitFor(
    async () => {
      const b = await decorationBoxes(page, ENTITY_BG);
      return b.length ? b : false;
    },
    { what: 'entity decorations' },
  );
  assert.deepEqual(
    boxes.map((b) => [b.start, b.end]),
    expected.map((e) => [e.start, e.end]),
  );
  const byLabel = new Map();
  expected.forEach((e, i) => byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), boxes[i].bg]));
  for (const colours of byLabel.values()) assert.equal(new Set(colours).size, 1, 'one colour per label');
  assert.equal(
    new Set([...byLabel.values()].map((c) => c[0])).size,
    byLabel.size,
    'different labels, different colours',
  );
  await screenshot(page, 'entities');
  // Editing the text clears the decorations.
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(' ok');
  await waitFor(async () => (await decorationBoxes(page, ENTITY_BG)).length === 0, { what: 'decorations cleared' });
  await runCommand(page, 'File: Revert File');
  await runCommand(page, 'View: Close All Editor Groups');
});

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Character columns covered by boxes, as "line:col" → background colour. */
function coveredColumns(boxes) {
  const out = new Map();
  for (const b of boxes) for (let c = b.start; c < b.end; c++) out.set(`${b.line}:${c}`, b.bg);
  return out;
}

test('Ask a Question highlights the engine’s answer span with the QA fixture', async () => {
  const [heading, context] = TEXTS['qa.txt'].split('\n');
  const expected = cli('qa', '--json', '--model', QA_MODEL, '--variant', 'fp32', '--question', QUESTION, context)
    .answers[0];
  await useSettings(server.userData, workspace, { 'bertLens.model': QA_MODEL, 'bertLens.variant': 'fp32' });
  await openFile(page, 'qa.txt');
  // The selection (line 2) is the context, so the answer is mapped back from selection to document offsets.
  await gotoPosition(page, 2, 1);
  await page.keyboard.press('Shift+End');
  await runCommand(page, 'BERT Lens: Ask a Question');
  await answerInputBox(page, 'BERT Lens: Ask a Question', QUESTION);
  const entry = await waitFor(() => logJson(server.userData, 'qa').find((e) => e.question === QUESTION), {
    timeout: 120000,
    what: 'qa log line',
  });
  const base = heading.length + 1;
  assert.deepEqual(
    [entry.answers[0].start, entry.answers[0].end, entry.answers[0].text],
    [expected.start + base, expected.end + base, expected.text],
  );
  const colour = await computedColour(page, 'var(--vscode-editor-findMatchHighlightBackground)');
  const boxes = await waitFor(
    async () => {
      const b = await decorationBoxes(page, `^${escapeRe(colour)}$`);
      return b.length ? b : false;
    },
    { what: 'answer decoration' },
  );
  assert.deepEqual(
    boxes.map((b) => [b.line, b.start, b.end]),
    [[1, expected.start, expected.end]],
    'the highlighted range is the CLI’s answer',
  );
  const toast = page
    .locator('.notifications-toasts.visible .notification-list-item-message', { hasText: 'Answer:' })
    .first();
  await toast.waitFor();
  assert.equal(await toast.innerText(), `Answer: “${expected.text}” (score ${expected.score.toFixed(3)})`);
  await screenshot(page, 'question-answering');
  await clearNotifications(page);
  await runCommand(page, 'BERT Lens: Clear Decorations');
  await runCommand(page, 'View: Close All Editor Groups');
});

test('Classify Selection with a second text shows the NLI fixture’s labels and scores', async () => {
  const expected = cli(
    'classify',
    '--json',
    '--model',
    NLI_MODEL,
    '--variant',
    'fp32',
    '--pair',
    PAIR,
    TEXTS['nli.txt'].trim(),
  ).labels.map((l) => `${l.label}: ${(l.score * 100).toFixed(1)}%`);
  await useSettings(server.userData, workspace, { 'bertLens.model': NLI_MODEL, 'bertLens.variant': 'fp32' });
  await openFile(page, 'nli.txt');
  await gotoPosition(page, 1, 1);
  await page.keyboard.press('Shift+End'); // the sentence is the selection, the pair is typed in
  await runCommand(page, 'BERT Lens: Classify Selection');
  await answerInputBox(page, 'BERT Lens: Classify Selection', PAIR);
  const labels = await quickPickLabels(page, 'BERT Lens: classification');
  assert.deepEqual(labels, expected, 'labels in order with the CLI’s scores');
  assert.equal(expected.length, 3);
  await screenshot(page, 'classify-pair');
  await page.keyboard.press('Escape');
  await runCommand(page, 'View: Close All Editor Groups');
});

test('Detect Replaced Tokens decorates every token by its probability, as the CLI computes it', async () => {
  const text = TEXTS['rtd.txt'];
  const rtd = cli('rtd', '--json', '--model', RTD_MODEL, '--variant', 'fp32', text);
  const { offsets, tokens } = cli('tokenize', '--json', '--model', RTD_MODEL, text);
  assert.deepEqual(tokens, rtd.tokens);
  // Expected: each token with p ≥ 0.2 painted in its bucket's colour (see core/decorationPlan.ts and styles.ts).
  const expected = new Map();
  offsets.forEach(([s, e], i) => {
    const p = rtd.replaced[i];
    if (e <= s || p < 0.2) return;
    const bucket = Math.min(4, Math.floor(((p - 0.2) / 0.8) * 5));
    for (let c = s; c < e; c++)
      expected.set(`0:${c}`, `rgba(213, 94, 0, ${Number((0.12 + 0.5 * ((bucket + 1) / 5)).toFixed(2))})`);
  });
  assert.ok(expected.size > 0);
  await useSettings(server.userData, workspace, { 'bertLens.model': RTD_MODEL, 'bertLens.variant': 'fp32' });
  await openFile(page, 'rtd.txt');
  await runCommand(page, 'BERT Lens: Detect Replaced Tokens');
  const boxes = await waitFor(
    async () => {
      const b = await decorationBoxes(page, '^rgba\\(213, 94, 0, ');
      return b.length ? b : false;
    },
    { timeout: 120000, what: 'replaced-token decorations' },
  );
  assert.deepEqual(
    [...coveredColumns(boxes)].sort(),
    [...expected].sort(),
    'decorated columns and their colours match the CLI',
  );
  // The hover on a token gives its probability.
  const fox = tokens.indexOf('fox');
  await gotoPosition(page, 1, offsets[fox][0] + 2);
  await runCommand(page, 'Show or Focus Hover');
  const hover = page.locator('.monaco-hover-content', { hasText: 'replaced with probability' }).first();
  await hover.waitFor({ timeout: 60000 });
  assert.match(await hover.innerText(), new RegExp(`fox replaced with probability ${rtd.replaced[fox].toFixed(3)}`));
  await screenshot(page, 'replaced-tokens');
  await page.keyboard.press('Escape');
  await runCommand(page, 'BERT Lens: Clear Decorations');
  await runCommand(page, 'View: Close All Editor Groups');
});

/** Clicks an export button in the attention panel and accepts the save dialog; returns the saved file's path. */
async function exportAttention(frame, button, ext) {
  await frame.locator('button', { hasText: button }).click();
  return acceptSaveDialog(page, workspace, ext);
}

test('Show Attention exports JSON equal to the CLI’s attentions and an SVG with one cell per token pair', async () => {
  await useSettings(server.userData, workspace);
  const sentence = TEXTS['export.txt'].trim();
  const expected = cli('attention', '--json', '--variant', 'quantized', sentence);
  await openFile(page, 'export.txt');
  await gotoPosition(page, 1, 6);
  await runCommand(page, 'BERT Lens: Show Attention');
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await frame.locator('.heatmap.head').first().waitFor({ timeout: 120000 });

  const jsonFile = await exportAttention(frame, 'Export JSON', 'json');
  const data = JSON.parse(readFileSync(jsonFile, 'utf8'));
  assert.equal(data.text, sentence);
  assert.deepEqual(data.tokens, expected.tokens);
  assert.equal(data.attentions.length, expected.attentions.length);
  let maxDiff = 0;
  expected.attentions.forEach((layer, l) =>
    layer.forEach((head, h) =>
      head.forEach((row, i) =>
        row.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - data.attentions[l][h][i][j])))),
      ),
    ),
  );
  assert.equal(data.attentions.flat(3).length, expected.attentions.flat(3).length);
  assert.ok(maxDiff <= 1e-5, `attentions within 1e-5 of the CLI (max difference ${maxDiff})`);

  await clearNotifications(page);
  await frame.locator('.heatmap.head[data-layer="1"][data-head="2"]').click();
  const svgFile = await exportAttention(frame, 'Export SVG', 'svg');
  assert.match(svgFile, /attention-head-l2-h3\.svg$/);
  const svg = readFileSync(svgFile, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const n = expected.tokens.length;
  assert.equal((svg.match(/<rect class="cell"/g) ?? []).length, n * n, 'one cell per token pair');
  assert.match(svg, /Layer 2, head 3/);
  // The first cell's tooltip carries the weight of layer 2, head 3 as the CLI computes it.
  const first = /<title>([^<]*) → ([^<]*): ([\d.]+)<\/title>/.exec(svg);
  assert.equal(Number(first[3]).toFixed(4), expected.attentions[1][2][0][0].toFixed(4));
  await clearNotifications(page);
  await runCommand(page, 'View: Close All Editor Groups');
});

test('Select Model… downloads a hub id from HF_ENDPOINT with progress into the cache, then the language status names it', async () => {
  await useSettings(server.userData, workspace);
  await openFile(page, 'word.txt');
  await selectHubModel(page, HUB_REPO);
  // The server holds the ONNX file at half way, so the progress notification is seen mid-download.
  await hub.reached(HUB_REPO);
  const progress = page
    .locator('.notifications-toasts.visible .notification-toast', { hasText: `loading ${HUB_REPO}` })
    .first();
  await progress.waitFor({ timeout: 60000 });
  await waitFor(async () => /onnx\/model\.onnx \d+% of 4\.1 MB/.test(await progress.innerText()), {
    what: 'download progress in the notification',
  });
  await screenshot(page, 'download-progress');
  hub.release(HUB_REPO);
  await waitFor(
    async () => {
      const s = await languageStatus(page);
      return s?.text === `BERT: ${HUB_REPO}` && s.detail.startsWith('cpu');
    },
    { timeout: 60000, what: 'language status with the hub model and its provider' },
  );
  // The Hugging Face cache layout: refs/main → commit, snapshot links into blobs named by ETag, nothing partial.
  const root = join(hubCache, 'models--test-org--tiny-bert-mlm');
  assert.equal(readFileSync(join(root, 'refs/main'), 'utf8'), COMMIT);
  const onnx = join(root, 'snapshots', COMMIT, 'onnx/model.onnx');
  assert.ok(lstatSync(onnx).isSymbolicLink());
  assert.deepEqual(readFileSync(onnx), readFileSync(join(MLM_FIXTURE, 'onnx/model.onnx')));
  const blobs = readdirSync(join(root, 'blobs'));
  assert.ok(blobs.includes(hub.etag(MLM_FIXTURE, 'onnx/model.onnx')));
  assert.equal(blobs.filter((b) => b.endsWith('.incomplete')).length, 0);
  assert.equal(JSON.parse(readFileSync(join(workspace, '.vscode/settings.json'), 'utf8'))['bertLens.model'], HUB_REPO);
  assert.deepEqual(
    (await toasts(page)).filter((t) => t.severity === 'error'),
    [],
  );
  await clearNotifications(page);
  await runCommand(page, 'View: Close All Editor Groups');
});

test('cancelling a hub download leaves no finished blob, keeps the model, and shows only a cancellation note', async () => {
  await useSettings(server.userData, workspace);
  await openFile(page, 'word.txt');
  await selectHubModel(page, SLOW_REPO);
  await hub.reached(SLOW_REPO); // the server sent half of the ONNX file and stalls
  const progress = page
    .locator('.notifications-toasts.visible .notification-toast', { hasText: `loading ${SLOW_REPO}` })
    .first();
  await progress.waitFor({ timeout: 60000 });
  await waitFor(async () => /onnx\/model\.onnx \d+%/.test(await progress.innerText()), { what: 'download progress' });
  await progress.hover();
  await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
  const note = page.locator('.notifications-toasts.visible .notification-toast', { hasText: 'cancelled' }).first();
  await note.waitFor({ timeout: 60000 });
  const shown = await toasts(page);
  assert.deepEqual(
    shown.filter((t) => t.severity === 'error' || t.severity === 'warning'),
    [],
    'no error toast',
  );
  assert.ok(
    shown.some((t) => t.severity === 'info' && /download of test-org\/slow-bert-mlm cancelled/.test(t.message)),
    JSON.stringify(shown),
  );
  const blobs = join(hubCache, 'models--test-org--slow-bert-mlm', 'blobs');
  const etag = hub.etag(MLM_FIXTURE, 'onnx/model.onnx');
  assert.ok(!readdirSync(blobs).includes(etag), 'no finished ONNX blob');
  assert.ok(
    !existsSync(join(hubCache, 'models--test-org--slow-bert-mlm', 'snapshots', COMMIT, 'onnx/model.onnx')),
    'no snapshot link to it',
  );
  // The model setting stays what it was, and so does the language status.
  await waitFor(
    () => JSON.parse(readFileSync(join(workspace, '.vscode/settings.json'), 'utf8'))['bertLens.model'] === '',
    { what: 'model setting restored' },
  );
  await waitFor(async () => (await languageStatus(page))?.text === 'BERT: mini-bert-uncased (embedded)', {
    what: 'language status back on the embedded model',
  });
  assert.doesNotMatch(readExtensionLog(server.userData), /failed \[/);
  await clearNotifications(page);
  await runCommand(page, 'View: Close All Editor Groups');
});

test('offline with a hub id that is not cached: a clear notification with an action, no stack trace', async () => {
  await useSettings(server.userData, workspace, {
    'bertLens.model': 'test-org/never-cached',
    'bertLens.offline': true,
  });
  const before = hub.requests.length;
  await openFile(page, 'word.txt');
  await gotoPosition(page, 1, 6);
  await runCommand(page, 'BERT Lens: Predict Masked Token');
  const toast = page
    .locator('.notifications-toasts.visible .notification-toast', { hasText: 'offline mode is on' })
    .first();
  await toast.waitFor({ timeout: 60000 });
  const [shown] = (await toasts(page)).filter((t) => t.message.includes('offline mode is on'));
  assert.equal(shown.severity, 'error');
  assert.match(
    shown.message,
    /^BERT Lens: test-org\/never-cached is not in the cache \(.*\) and offline mode is on\. Turn offline mode off/,
  );
  assert.doesNotMatch(shown.message, /\n\s+at |Unexpected error/);
  assert.deepEqual(shown.buttons, ['Select Model', 'Show Log']);
  assert.equal(hub.requests.length, before, 'nothing was requested from the hub');
  assert.match(readExtensionLog(server.userData), /Predict Masked Token failed \[offline-not-cached\]/);
  await screenshot(page, 'offline-not-cached');
  // The action opens Select Model.
  await toast.locator('.monaco-button', { hasText: 'Select Model' }).click();
  await page
    .locator('.quick-input-widget .quick-input-title', { hasText: 'BERT Lens: Select Model' })
    .first()
    .waitFor({ timeout: 60000 });
  await page.keyboard.press('Escape');
  await clearNotifications(page);
  await useSettings(server.userData, workspace);
  await runCommand(page, 'View: Close All Editor Groups');
});

test('the Attention panel is restored after Developer: Reload Window and shows its grid again', async () => {
  await useSettings(server.userData, workspace);
  await openFile(page, 'restore.txt');
  await gotoPosition(page, 1, 4);
  await runCommand(page, 'BERT Lens: Show Attention');
  let frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await frame.locator('.heatmap.head').first().waitFor({ timeout: 120000 });
  const loadsBefore = (readExtensionLog(server.userData).match(/attention: 4 layers × 4 heads/g) ?? []).length;
  const reloaded = page.waitForEvent('load', { timeout: 90000 });
  await runCommand(page, 'Developer: Reload Window');
  await reloaded;
  await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
  frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await frame.locator('.heatmap.head').first().waitFor({ timeout: 120000 });
  assert.equal(await frame.locator('.heatmap.head').count(), 16);
  assert.match(await frame.locator('.toolbar .text').first().innerText(), /A dog chased the ball across the park\./);
  assert.equal(await page.locator('.tab', { hasText: 'BERT Lens: Attention' }).count(), 1, 'one restored panel');
  assert.ok(
    (readExtensionLog(server.userData).match(/attention: 4 layers × 4 heads/g) ?? []).length > loadsBefore,
    'recomputed by the new extension host',
  );
  await screenshot(page, 'attention-restored');
  await runCommand(page, 'View: Close All Editor Groups');
});
