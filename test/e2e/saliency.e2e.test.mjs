// Explain Prediction end to end with the embedded model: on a sentence with a mask, the shaded tokens, their
// colours (blue raises, orange lowers the target's log-probability) and opacity levels equal what
// `bert-lens saliency --json` computes (same method, fp32 graph); the hover gives the value; an edit clears it.
// The Fill-Mask panel's "Why?" button shades the token chips with the same scores.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cli,
  decorationBoxes,
  gotoPosition,
  logJson,
  openFile,
  openWorkbench,
  runCommand,
  screenshot,
  useSettings,
  waitFor,
} from './harness.mjs';

const TEXTS = {
  'explain.txt': 'the capital of france is [MASK], a city on the seine.\n',
  'fill.txt': 'python is a programming language.\n',
};
/** extension/core/saliencyPlan.ts: levels and opacities; decorations/styles.ts: the two colours. */
const LEVELS = 5;
const alpha = (level) => Number((0.08 + (0.5 * level) / LEVELS).toFixed(2));
const BG = '^rgba\\((0, 114, 178|213, 94, 0), ';

let wb;
let page;
let server;
let workspace;

before(async () => {
  wb = await openWorkbench({ files: TEXTS, readyFile: 'explain.txt', prefix: 'bert-lens-saliency-ws-' });
  ({ server, page, workspace } = wb);
});

after(async () => {
  await wb?.close();
});

test('Explain Prediction shades the tokens as `bert-lens saliency --json` scores them', async () => {
  await useSettings(server.userData, workspace);
  const sentence = TEXTS['explain.txt'].trim();
  const ref = cli('saliency', '--json', '--method', 'grad-input', sentence);
  assert.equal(ref.target.position, 6, 'the mask');
  const text = ref.offsets.map(([s, e], i) => ({ i, s, e })).filter(({ s, e }) => e > s);
  const max = Math.max(...text.map(({ i }) => Math.abs(ref.scores[i])));
  const expected = new Map();
  for (const { i, s, e } of text) {
    const level = Math.max(1, Math.min(LEVELS, Math.ceil((Math.abs(ref.scores[i]) / max) * LEVELS)));
    const rgb = ref.scores[i] < 0 ? '213, 94, 0' : '0, 114, 178';
    for (let c = s; c < e; c++) expected.set(`0:${c}`, `rgba(${rgb}, ${alpha(level)})`);
  }
  assert.ok(
    [...expected.values()].some((v) => v.startsWith('rgba(213')) &&
      [...expected.values()].some((v) => v.startsWith('rgba(0')),
    'both signs appear',
  );

  await openFile(page, 'explain.txt');
  await gotoPosition(page, 1, 1);
  await runCommand(page, 'BERT Lens: Explain Prediction');
  const entry = await waitFor(() => logJson(server.userData, 'saliency-result').at(-1), {
    timeout: 120000,
    what: 'saliency log line',
  });
  assert.deepEqual(entry.tokens, ref.tokens);
  assert.deepEqual(entry.target, ref.target);
  entry.scores.forEach((v, i) =>
    assert.ok(
      Math.abs(v - ref.scores[i]) <= 1e-5 + 1e-4 * Math.abs(ref.scores[i]),
      `score of ${ref.tokens[i]}: ${v} vs ${ref.scores[i]}`,
    ),
  );

  const boxes = await waitFor(
    async () => {
      const b = await decorationBoxes(page, BG);
      return b.length ? b : false;
    },
    { what: 'saliency decorations' },
  );
  const covered = new Map();
  for (const b of boxes) for (let c = b.start; c < b.end; c++) covered.set(`${b.line}:${c}`, b.bg);
  assert.deepEqual(
    [...covered].sort(),
    [...expected].sort(),
    'shaded columns, colours and opacities follow the CLI scores',
  );
  await screenshot(page, 'saliency');

  // The hover on the most salient token gives its value.
  const top = text.reduce((a, b) => (Math.abs(ref.scores[b.i]) > Math.abs(ref.scores[a.i]) ? b : a));
  await gotoPosition(page, 1, top.s + 1);
  await runCommand(page, 'Show or Focus Hover');
  const hover = page.locator('.monaco-hover-content', { hasText: 'gradient × input' }).first();
  await hover.waitFor({ timeout: 60000 });
  const shown = await hover.innerText();
  assert.ok(
    shown.includes(`${ref.tokens[top.i]} · gradient × input ${ref.scores[top.i].toPrecision(4)}`) ||
      shown.includes(ref.scores[top.i].toPrecision(4).slice(0, 5)),
    shown,
  );
  assert.ok(shown.includes(`explaining “${ref.target.token}” at token 6`), shown);
  await page.keyboard.press('Escape');

  // An edit clears the shading.
  await page.keyboard.press('Control+End');
  await page.keyboard.type('x');
  await waitFor(async () => (await decorationBoxes(page, BG)).length === 0, { what: 'shading cleared on edit' });
  await runCommand(page, 'File: Revert File');
  await runCommand(page, 'View: Close All Editor Groups');
});

test('the Fill-Mask panel’s Why? button shades the chips with the CLI’s scores', async () => {
  await useSettings(server.userData, workspace);
  const ref = cli('saliency', '--json', '--method', 'grad-input', 'python is a programming [MASK].');
  await openFile(page, 'fill.txt');
  await gotoPosition(page, 1, 27); // inside "language"
  await runCommand(page, 'BERT Lens: Show Fill-Mask Panel');
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await frame.locator('.bar-row').first().waitFor({ timeout: 120000 });
  await frame.locator('button', { hasText: 'Why?' }).first().click();
  await frame.locator('.token[data-saliency]').first().waitFor({ timeout: 120000 });
  const chips = await frame.locator('.token').evaluateAll((els) =>
    els.map((e) => ({
      text: e.textContent,
      score: e.dataset.saliency === undefined ? null : Number(e.dataset.saliency),
      bg: getComputedStyle(e).backgroundColor,
    })),
  );
  assert.equal(chips.length, ref.tokens.length);
  chips.forEach((c, i) => {
    if (ref.offsets[i][1] <= ref.offsets[i][0]) return assert.equal(c.score, null, `special token ${i} is not shaded`);
    assert.ok(
      Math.abs(c.score - ref.scores[i]) <= 1e-5 + 1e-4 * Math.abs(ref.scores[i]),
      `chip ${c.text}: ${c.score} vs ${ref.scores[i]}`,
    );
    assert.match(c.bg, ref.scores[i] < 0 ? /^rgba\(213, 94, 0, / : /^rgba\(0, 114, 178, /);
  });
  await screenshot(page, 'fill-mask-saliency');

  // The text came from fill.txt: the editor gets the same shading as Explain Prediction, from the same scores.
  const entry = await waitFor(
    () => logJson(server.userData, 'saliency-result').find((e) => e.from === 'fill-mask panel'),
    { timeout: 60000, what: 'panel saliency log line' },
  );
  assert.equal(entry.target.position, ref.target.position);
  entry.scores.forEach((v, i) =>
    assert.ok(
      Math.abs(v - ref.scores[i]) <= 1e-5 + 1e-4 * Math.abs(ref.scores[i]),
      `editor score ${i}: ${v} vs ${ref.scores[i]}`,
    ),
  );
  const text = entry.offsets.map(([s, e], i) => ({ i, s, e })).filter(({ s, e }) => e > s);
  const max = Math.max(...text.map(({ i }) => Math.abs(entry.scores[i])));
  const expected = new Map();
  for (const { i, s, e } of text) {
    const level = Math.max(1, Math.min(LEVELS, Math.ceil((Math.abs(entry.scores[i]) / max) * LEVELS)));
    for (let c = s; c < e; c++)
      expected.set(`0:${c}`, `rgba(${entry.scores[i] < 0 ? '213, 94, 0' : '0, 114, 178'}, ${alpha(level)})`);
  }
  assert.equal(expected.get('0:24'), expected.get('0:31'), '"language" (the masked word) is shaded as one token');
  await runCommand(page, 'View: Focus First Editor Group');
  const boxes = await waitFor(
    async () => {
      const b = await decorationBoxes(page, BG);
      return b.length ? b : false;
    },
    { what: 'editor saliency decorations from the panel' },
  );
  const covered = new Map();
  for (const b of boxes) for (let c = b.start; c < b.end; c++) covered.set(`${b.line}:${c}`, b.bg);
  assert.deepEqual([...covered].sort(), [...expected].sort(), 'the editor is shaded as the panel chips');
  await runCommand(page, 'View: Close All Editor Groups');
});
