// The editor features that no peer offers, end to end with the embedded model (and the NER fixture for the
// Entities export), asserting real values against the CLI:
// - Show Attention Overlay: the decorated tokens, their opacity levels and the strongest one equal the rollout
//   row of the word at the cursor as computed here from `attention --json` (head mean per layer, 0.5·A + 0.5·I,
//   rows renormalised, multiplied from layer 1 up); the hover on a token gives its weight; an edit clears it;
// - the "Replace with a BERT Lens suggestion" code actions list the top 3 whole words of
//   `fill-mask --span S:E` in order, with their probabilities, and applying one changes the file;
// - the Fill-Mask panel's Export JSON equals what the panel shows (and the CLI's candidates and scores), and its
//   Export CSV has one row per candidate;
// - the Entities view's Export Entities… writes the CLI's entities with their line numbers.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  acceptSaveDialog,
  clearNotifications,
  cli,
  decorationBoxes,
  gotoPosition,
  logJson,
  openFile,
  openWorkbench,
  runCommand,
  screenshot,
  test,
  useSettings,
  waitFor,
} from './harness.mjs';

const NER_MODEL = join(ROOT, 'test/fixtures/bert-ner');
/** Overlay backgrounds (decorations/styles.ts OVERLAY_RGB) and their levels (core/attentionOverlay.ts). */
const OVERLAY_BG = '^rgba\\(0, 150, 255, ';
const LEVELS = 10;
const MAX_ALPHA = 0.6;
const TEXTS = {
  'overlay.txt': 'The cat sat on the mat because it was tired.\n',
  'suggest.txt': 'the cat sat on the mat.\n',
  'fill.txt': 'python is a programming language.\n',
  'people.txt': 'Meeting notes\nJohn Smith works at Google.\nHe moved to London.\n',
};

let wb;
let server;
let page;
let workspace;

before(async () => {
  wb = await openWorkbench({ files: TEXTS, readyFile: 'overlay.txt', prefix: 'bert-lens-editor-ws-' });
  ({ server, page, workspace } = wb);
});

after(async () => {
  await wb?.close();
});

/** Rollout as the brief defines it, from the CLI's raw attentions. */
function rollout(attentions) {
  const n = attentions[0][0].length;
  let acc = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (const layer of attentions) {
    const mean = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => layer.reduce((s, head) => s + head[i][j], 0) / layer.length),
    );
    const aug = mean.map((r, i) => {
      const row = r.map((x, j) => 0.5 * x + (i === j ? 0.5 : 0));
      const sum = row.reduce((a, b) => a + b, 0);
      return row.map((x) => x / sum);
    });
    acc = aug.map((r) => acc[0].map((_, j) => r.reduce((s, x, k) => s + x * acc[k][j], 0)));
  }
  return acc;
}

/** RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks) → rows of fields. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (row.push(field), (field = ''));
    else if (ch === '\n') (row.push(field), rows.push(row), (row = []), (field = ''));
    else field += ch;
  }
  if (field || row.length) (row.push(field), rows.push(row));
  return rows;
}

test('Show Attention Overlay paints the rollout row of the word at the cursor, strongest token as the CLI computes it', async () => {
  await useSettings(server.userData, workspace);
  const sentence = TEXTS['overlay.txt'].trim();
  const { tokens, attentions } = cli('attention', '--json', '--variant', 'quantized', sentence);
  const { offsets } = cli('tokenize', '--json', sentence);
  const word = [sentence.indexOf(' it ') + 1, sentence.indexOf(' it ') + 3];
  const focus = offsets.map(([s, e], i) => (e > s && s < word[1] && e > word[0] ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual(
    focus.map((i) => tokens[i]),
    ['it'],
  );
  const row = rollout(attentions)[focus[0]];
  const others = offsets.map(([s, e], j) => ({ j, s, e })).filter(({ j, s, e }) => e > s && !focus.includes(j));
  const max = Math.max(...others.map(({ j }) => row[j]));
  const argmax = others.find(({ j }) => row[j] === max);
  const expected = new Map();
  for (const { j, s, e } of others) {
    const level = Math.min(LEVELS, Math.round((row[j] / max) * LEVELS));
    if (level < 1) continue;
    for (let c = s; c < e; c++)
      expected.set(`0:${c}`, `rgba(0, 150, 255, ${Number(((MAX_ALPHA * level) / LEVELS).toFixed(2))})`);
  }

  await openFile(page, 'overlay.txt');
  await gotoPosition(page, 1, word[0] + 2); // inside "it"
  await runCommand(page, 'BERT Lens: Show Attention Overlay');
  const entry = await waitFor(() => logJson(server.userData, 'attention-overlay').at(-1), {
    timeout: 120000,
    what: 'overlay log line',
  });
  assert.equal(entry.word, 'it');
  assert.equal(entry.source, 'rollout');
  for (const r of entry.ranges) {
    const j = others.find((o) => o.s === r.start && o.e === r.end).j;
    assert.ok(Math.abs(r.weight - row[j]) < 1e-4, `weight of "${r.token}" ${r.weight} vs ${row[j]}`);
  }
  const boxes = await waitFor(
    async () => {
      const b = await decorationBoxes(page, OVERLAY_BG);
      return b.length ? b : false;
    },
    { what: 'overlay decorations' },
  );
  const covered = new Map();
  for (const b of boxes) for (let c = b.start; c < b.end; c++) covered.set(`${b.line}:${c}`, b.bg);
  assert.deepEqual(
    [...covered].sort(),
    [...expected].sort(),
    'decorated columns and their opacities follow the rollout row',
  );
  // The strongest-decorated range is the arg-max of the row.
  const alpha = (bg) => Number(bg.match(/, ([\d.]+)\)$/)[1]);
  const top = Math.max(...boxes.map((b) => alpha(b.bg)));
  assert.equal(top, MAX_ALPHA);
  const topColumns = [...covered].filter(([, bg]) => alpha(bg) === top).map(([k]) => Number(k.split(':')[1]));
  for (let c = argmax.s; c < argmax.e; c++)
    assert.ok(topColumns.includes(c), `column ${c} of "${tokens[argmax.j]}" is painted strongest`);
  assert.ok(
    topColumns.every((c) => others.some(({ j, s, e }) => c >= s && c < e && row[j] / max >= 0.95)),
    'only near-max tokens share the top level',
  );
  await screenshot(page, 'attention-overlay');
  // The hover on the strongest token gives its weight.
  await gotoPosition(page, 1, argmax.s + 1);
  await runCommand(page, 'Show or Focus Hover');
  const hover = page.locator('.monaco-hover-content', { hasText: 'attention' }).first();
  await hover.waitFor({ timeout: 60000 });
  assert.ok(
    (await hover.innerText()).includes(`${tokens[argmax.j]} receives ${max.toFixed(4)} of “it”’s attention (rollout`),
    await hover.innerText(),
  );
  await page.keyboard.press('Escape');
  // An edit clears the overlay.
  await page.keyboard.press('Control+End');
  await page.keyboard.type('x');
  await waitFor(async () => (await decorationBoxes(page, OVERLAY_BG)).length === 0, {
    what: 'overlay cleared on edit',
  });
  await runCommand(page, 'File: Revert File');
  await runCommand(page, 'View: Close All Editor Groups');
});

test('the code actions on a word are the CLI’s top 3 whole-word candidates, and applying one edits the file', async () => {
  await useSettings(server.userData, workspace);
  const text = TEXTS['suggest.txt'];
  const span = [19, 22]; // "mat"
  const expected = cli(
    'fill-mask',
    '--json',
    '--variant',
    'quantized',
    '--top-k',
    '8',
    '--span',
    `${span[0]}:${span[1]}`,
    text.trim(),
  ).spans[0].candidates.slice(0, 3);
  assert.equal(expected.length, 3);
  await openFile(page, 'suggest.txt');
  await gotoPosition(page, 1, span[0] + 2);
  await runCommand(page, 'Refactor...');
  const rows = page.locator('.action-widget .monaco-list-row', { hasText: 'BERT Lens' });
  await rows.first().waitFor({ timeout: 120000 });
  const titles = await rows.allInnerTexts();
  assert.deepEqual(
    titles.map((t) => t.trim()),
    expected.map((c) => `Replace with “${c.word}” (${(c.score * 100).toFixed(1)}%) — BERT Lens`),
    'the actions list the CLI’s top 3 in order with their probabilities',
  );
  assert.deepEqual(logJson(server.userData, 'code-action').at(-1), {
    span,
    original: 'mat',
    top: expected.map((c) => c.word),
  });
  await screenshot(page, 'code-action-suggestions');
  // Keyboard, as a user would: move the focus to the second suggestion and apply it.
  const want = titles[1].trim();
  await waitFor(
    async () => {
      const focused = page.locator('.action-widget .monaco-list-row.focused');
      if ((await focused.count()) && (await focused.first().getAttribute('aria-label')) === want) return true;
      await page.keyboard.press('ArrowDown');
      return false;
    },
    { timeout: 10000, interval: 100, what: `focus on "${want}"` },
  );
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+S');
  const saved = await waitFor(
    () => {
      const t = readFileSync(join(workspace, 'suggest.txt'), 'utf8');
      return t !== text && t;
    },
    { what: 'suggest.txt saved' },
  );
  assert.equal(saved, `the cat sat on the ${expected[1].word}.\n`);
  await runCommand(page, 'View: Close All Editor Groups');
});

test('the Fill-Mask panel exports JSON equal to what it shows, and CSV with one row per candidate', async () => {
  await useSettings(server.userData, workspace);
  const text = TEXTS['fill.txt'];
  const span = [24, 32]; // "language"
  const expected = cli(
    'fill-mask',
    '--json',
    '--variant',
    'quantized',
    '--top-k',
    '5',
    '--span',
    `${span[0]}:${span[1]}`,
    text.trim(),
  ).spans[0];
  await openFile(page, 'fill.txt');
  await gotoPosition(page, 1, span[0] + 3);
  await runCommand(page, 'BERT Lens: Show Fill-Mask Panel');
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await frame.locator('.bar-row').first().waitFor({ timeout: 120000 });
  const labels = await frame.locator('.mask-group .bar-label').allInnerTexts();
  const scores = await frame.locator('.mask-group .bar-score').allInnerTexts();

  await frame.locator('button', { hasText: 'Export JSON' }).click();
  const jsonFile = await acceptSaveDialog(page, workspace, 'json');
  const data = JSON.parse(readFileSync(jsonFile, 'utf8'));
  assert.equal(data.text, text);
  assert.deepEqual(data.masks, [span]);
  assert.equal(data.models.length, 1);
  const [col] = data.models;
  assert.equal(col.label, 'mini-bert-uncased (embedded)');
  assert.deepEqual(
    col.masks.map((m) => [m.start, m.end, m.original]),
    [[span[0], span[1], 'language']],
  );
  const cands = col.masks[0].candidates;
  assert.deepEqual(
    cands.map((c) => c.word),
    labels,
    'the words the panel shows, in order',
  );
  assert.deepEqual(
    cands.map((c) => `${(c.score * 100).toFixed(1)}%`),
    scores,
    'the scores the panel shows',
  );
  assert.deepEqual(
    cands.map((c) => c.word),
    expected.candidates.map((c) => c.word),
    'the CLI’s candidates',
  );
  cands.forEach((c, i) => assert.ok(Math.abs(c.score - expected.candidates[i].score) < 1e-5));
  assert.equal(col.masks[0].predictions.length, expected.pieces.length, 'per-piece predictions');
  await clearNotifications(page);

  await frame.locator('button', { hasText: 'Export CSV' }).click();
  const csvFile = await acceptSaveDialog(page, workspace, 'csv');
  const lines = readFileSync(csvFile, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'model,mask,start,end,original,rank,word,score');
  assert.equal(lines.length, 1 + cands.length);
  assert.equal(
    lines[1],
    `mini-bert-uncased (embedded),1,${span[0]},${span[1]},language,1,${cands[0].word},${cands[0].score}`,
  );
  await clearNotifications(page);
  await runCommand(page, 'View: Close All Editor Groups');
});

test('Export Entities… writes the NER fixture’s entities with their lines as JSON and CSV', async () => {
  const text = TEXTS['people.txt'];
  const expected = cli('ner', '--json', '--model', NER_MODEL, '--aggregation', 'simple', text).entities;
  assert.ok(expected.length > 0);
  const lineOf = (offset) => text.slice(0, offset).split('\n').length;
  await useSettings(server.userData, workspace, { 'bertLens.model': NER_MODEL, 'bertLens.variant': 'fp32' });
  await openFile(page, 'people.txt');
  await runCommand(page, 'BERT Lens: Recognize Entities');
  await waitFor(() => logJson(server.userData, 'entities').at(-1), { timeout: 120000, what: 'entities log line' });
  await runCommand(page, 'BERT Lens: Export Entities…');
  const jsonFile = await acceptSaveDialog(page, workspace, 'json');
  assert.match(jsonFile, /people-entities\.json$/);
  const data = JSON.parse(readFileSync(jsonFile, 'utf8'));
  assert.deepEqual(
    data.entities.map((e) => [e.label, e.start, e.end, e.text, e.line]),
    expected.map((e) => [e.label, e.start, e.end, e.text, lineOf(e.start)]),
  );
  data.entities.forEach((e, i) => assert.ok(Math.abs(e.score - expected[i].score) < 1e-5));
  await clearNotifications(page);
  await runCommand(page, 'BERT Lens: Export Entities…');
  const csvFile = await acceptSaveDialog(page, workspace, 'json', 'people-entities.csv');
  const [header, ...rows] = parseCsv(readFileSync(csvFile, 'utf8'));
  assert.deepEqual(header, ['label', 'start', 'end', 'text', 'score', 'line']);
  assert.deepEqual(
    rows.map((r) => [r[0], r[1], r[2], r[3], r[5]]),
    expected.map((e) => [e.label, String(e.start), String(e.end), e.text, String(lineOf(e.start))]),
  );
  rows.forEach((r, i) => assert.ok(Math.abs(Number(r[4]) - expected[i].score) < 1e-5));
  await clearNotifications(page);
  await runCommand(page, 'BERT Lens: Clear Decorations');
  await useSettings(server.userData, workspace);
  await runCommand(page, 'View: Close All Editor Groups');
});
