// The walkthrough and the conventions, end to end with the embedded model:
// - the "Learn BERT on your own text" walkthrough opens, and a step completes when its command runs;
// - the masking-preview panel shows what `mask-preview --json` computes (chosen positions, kinds, top
//   predictions), for seed 0 and, after Resample, for seed 1;
// - the input-embeddings panel shows `input-embeddings --json`'s rows (segment ids flipping after [SEP], sum and
//   output norms), the position heatmap and its colour legend;
// - a high-contrast theme: the heatmap legend renders and the panel repaints with the theme;
// - the Explorer's "Train Classifier on This File" selects that file in the Classifier Trainer;
// - the language status item ({ } in the status bar): the model and a Select Model link for plaintext, the last
//   call's latency after one, absent for JavaScript;
// - the "bank" step offers Xenova/bert-base-uncased with the size the (local) hub announces, and downloads it;
// - Restricted Mode: the embedded model works and the workspace's bertLens.model is ignored; without a reachable
//   hub the offer shows the estimate ("about"); once the folder is trusted (Workspace Trust editor → Trust) the
//   workspace's model applies.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  cli,
  gotoPosition,
  languageStatus,
  openFile,
  openWorkbench,
  readExtensionLog,
  runCommand,
  screenshot,
  test,
  toasts,
  waitFor,
} from './harness.mjs';
import { startLocalHub } from './hubServer.mjs';
import { topicsCsv } from '../data/topicsCsv.mjs';

const MASK_TEXT = 'The bank raised its interest rates again, so we moved our savings to a small bank by the river.';
const PAIR = ['The cat sat on the mat.', 'It was very happy.'];
const TEXTS = {
  'masking.txt': `${MASK_TEXT}\n`,
  'pair.txt': `${PAIR.join(' ')}\n`,
  'labels.csv': topicsCsv(),
  'notes.js': 'const answer = 42;\n', // a language outside bertLens.hover.languages (VS Code opens .csv as plain text)
};
/** The BERT Lens webview on screen (the walkthrough's own media webview has no extension id). */
const webview = (page) =>
  page.frameLocator('iframe.webview.ready[src*="extensionId=bert-lens"]').frameLocator('iframe#active-frame');
const FULL_LESSON = 'Xenova/bert-base-uncased';
// Served as the full lesson's model: the embedded model's folder (a BERT whose hidden states the lesson reads).
const LESSON_FOLDER = join(ROOT, 'models/mini-bert-uncased');

/** The visible toast whose message matches `re`, with its buttons. */
async function toastMatching(page, re, what) {
  return waitFor(async () => (await toasts(page)).find((t) => re.test(t.message)), { what, timeout: 120000 });
}

/** Switches the colour theme through the workspace settings (VS Code applies them live). */
function setTheme(workspace, theme) {
  const file = join(workspace, '.vscode/settings.json');
  let settings = {};
  try {
    settings = JSON.parse(readFileSync(file, 'utf8'));
  } catch {}
  settings['workbench.colorTheme'] = theme;
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(file, JSON.stringify(settings, null, 2));
}

describe('walkthrough, panels and Explorer entry (trusted workspace)', () => {
  let wb;
  let page;
  let server;
  let localHub;
  let hub;
  let hubCache;
  before(async () => {
    // A local hub serving a small BERT under the full lesson's id, and an empty cache.
    localHub = await startLocalHub({ [FULL_LESSON]: { folder: LESSON_FOLDER } }, 'bert-lens-walk-hub-');
    ({ hub, cache: hubCache } = localHub);
    wb = await openWorkbench({
      files: TEXTS,
      readyFile: 'masking.txt',
      prefix: 'bert-lens-walk-ws-',
      env: localHub.env,
    });
    ({ page, server } = wb);
  });
  after(async () => {
    await wb?.close();
    await localHub?.close();
  });

  test('the walkthrough opens, and the input-embeddings step completes when its command runs', async () => {
    await runCommand(page, 'BERT Lens: Learn BERT on Your Own Text');
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.locator('text=Learn BERT on your own text').first().waitFor({ timeout: 60000 });
    for (const title of [
      'Contextual representations',
      'Masked language modelling',
      'WordPiece',
      'Input embeddings',
      'Train a classifier',
    ]) {
      assert.ok(await walkthrough.locator('.getting-started-step', { hasText: title }).count(), `step "${title}"`);
    }
    const step = walkthrough.locator('.getting-started-step', { hasText: 'Input embeddings' }).first();
    // VS Code marks a step's checkbox with role=checkbox and aria-checked.
    assert.equal(await step.locator('[role="checkbox"][aria-checked="true"]').count(), 0, 'not complete before');
    await screenshot(page, 'walkthrough');
    await runCommand(page, 'BERT Lens: Show Input Embeddings');
    await webview(page).locator('#bars .row').first().waitFor({ timeout: 120000 });
    await runCommand(page, 'BERT Lens: Learn BERT on Your Own Text');
    await waitFor(
      async () =>
        (await page
          .locator('.gettingStartedContainer .getting-started-step', { hasText: 'Input embeddings' })
          .first()
          .locator('[role="checkbox"][aria-checked="true"]')
          .count()) === 1,
      { what: 'the step checked', timeout: 30000 },
    );
    assert.equal(
      await page
        .locator('.gettingStartedContainer .getting-started-step', { hasText: 'WordPiece' })
        .first()
        .locator('[role="checkbox"][aria-checked="true"]')
        .count(),
      0,
      'other steps stay open',
    );
    await screenshot(page, 'walkthrough-step-done');
    await runCommand(page, 'View: Close All Editor Groups');
  });

  test("masking preview: the panel shows the CLI's draw and predictions, and Resample draws seed 1", async () => {
    for (const seed of [0, 1]) {
      const expected = cli('mask-preview', '--json', '--variant', 'quantized', '--seed', String(seed), MASK_TEXT);
      if (seed === 0) {
        await openFile(page, 'masking.txt');
        await gotoPosition(page, 1, 5);
        await runCommand(page, 'BERT Lens: Show Masking Preview');
      } else {
        await webview(page).locator('#resample').click();
      }
      const frame = webview(page);
      await frame.locator('h2', { hasText: `Seed ${seed}:` }).waitFor({ timeout: 120000 });
      const rows = await frame.locator('#predictions tbody tr').evaluateAll((trs) =>
        trs.map((tr) => ({
          position: Number(tr.dataset.position),
          cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
          top: tr.querySelector('.ptok')?.textContent,
        })),
      );
      assert.deepEqual(
        rows.map((r) => r.position),
        expected.chosen.map((c) => c.position),
        `seed ${seed}: chosen positions`,
      );
      rows.forEach((r, k) => {
        const c = expected.chosen[k];
        assert.equal(r.cells[1], c.original);
        assert.equal(r.cells[2], { mask: 'masked', random: 'random', kept: 'kept' }[c.kind]);
        assert.equal(r.cells[3], c.replacement);
        assert.equal(r.top, expected.predictions[k].predictions[0].token);
      });
      assert.equal(await frame.locator('#tokens .tok.chosen').count(), expected.chosen.length);
    }
    await screenshot(page, 'mask-preview');
    await runCommand(page, 'View: Close All Editor Groups');
  });

  test('input embeddings: rows, segment flip after [SEP] and the position heatmap agree with the CLI', async () => {
    const expected = cli('input-embeddings', '--json', '--variant', 'quantized', PAIR[0], '--pair', PAIR[1]);
    await openFile(page, 'pair.txt');
    await gotoPosition(page, 1, 3);
    await runCommand(page, 'BERT Lens: Show Input Embeddings');
    const frame = webview(page);
    await frame.locator('#bars .row').first().waitFor({ timeout: 120000 });
    const rows = await frame.locator('#bars .row').evaluateAll((els) =>
      els.map((e) => ({
        token: e.querySelector('.tname').textContent,
        segment: Number(e.querySelector('.seg').textContent),
        flip: e.classList.contains('flip'),
        nums: [...e.querySelectorAll('.num')].map((n) => n.textContent),
      })),
    );
    assert.deepEqual(
      rows.map((r) => r.token),
      expected.tokens,
    );
    assert.deepEqual(
      rows.map((r) => r.segment),
      expected.rows.map((r) => r.segment),
    );
    const sep = expected.tokens.indexOf('[SEP]');
    assert.deepEqual(
      rows.map((r, i) => (r.flip ? i : -1)).filter((i) => i >= 0),
      [sep + 1],
      'the segment flips right after the first [SEP]',
    );
    rows.forEach((r, i) =>
      assert.deepEqual(r.nums, [expected.rows[i].sum_norm.toFixed(3), expected.rows[i].output_norm.toFixed(3)]),
    );
    const canvas = frame.locator('#positionHeatmap');
    const n = expected.tokens.length;
    const size = await canvas.evaluate((c) => [c.width, c.height]);
    assert.equal(size[0] % n, 0);
    assert.equal(size[0], size[1]);
    assert.ok((await frame.locator('.heat .legend').count()) >= 1, 'a colour legend beside the heatmap');
    await screenshot(page, 'input-embeddings');
  });

  test('high-contrast theme: the heatmap legend renders and the panel repaints in the theme', async () => {
    const frame = webview(page);
    const before = await frame.locator('#positionHeatmap').evaluate((c) => c.toDataURL());
    setTheme(wb.workspace, 'Default High Contrast');
    try {
      await waitFor(async () => (await frame.locator('body.vscode-high-contrast').count()) === 1, {
        what: 'high-contrast body class',
        timeout: 30000,
      });
    } catch (err) {
      await screenshot(page, 'failed-high-contrast');
      console.log(
        'high-contrast not applied; body class:',
        await frame.locator('body').getAttribute('class'),
        await page.locator('.monaco-workbench').getAttribute('class'),
      );
      throw err;
    }
    await waitFor(async () => (await frame.locator('#positionHeatmap').evaluate((c) => c.toDataURL())) !== before, {
      what: 'heatmap repainted',
      timeout: 30000,
    });
    const legend = frame.locator('.heat .legend').first();
    assert.ok(await legend.isVisible());
    assert.match(await legend.getAttribute('aria-label'), /colour scale from 0 to 1/);
    const ramp = await legend.locator('canvas').evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, 1).data;
      return [d[3], d[(c.width - 1) * 4 + 3]];
    });
    assert.ok(ramp[0] < 40 && ramp[1] > 200, `the ramp goes from transparent to opaque (alpha ${ramp})`);
    const border = await legend.locator('canvas').evaluate((c) => getComputedStyle(c).borderTopStyle);
    assert.equal(border, 'solid');
    await screenshot(page, 'input-embeddings-high-contrast');
    setTheme(wb.workspace, 'Default Dark Modern');
    await waitFor(async () => (await frame.locator('body.vscode-dark').count()) === 1, {
      what: 'dark theme back',
      timeout: 30000,
    });
    await runCommand(page, 'View: Close All Editor Groups');
  });

  test('Explorer: "Train Classifier on This File" opens the trainer with that file selected', async () => {
    await runCommand(page, 'View: Close All Editor Groups');
    await page.keyboard.press('Control+Shift+E');
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'labels.csv' }).first();
    await row.click({ button: 'right' });
    const item = page.locator('.context-view .action-item', { hasText: 'Train Classifier on This File' }).first();
    await item.waitFor({ timeout: 15000 });
    await item.click();
    // A context menu sometimes ignores a click that lands while it is still laying out (it stays open with the
    // item highlighted): choose the highlighted item with the keyboard then.
    await page.waitForTimeout(500);
    if (await item.isVisible().catch(() => false)) {
      await item.hover();
      await page.keyboard.press('Enter');
    }
    const view = webview(page);
    await view.locator('text=40 examples').waitFor({ timeout: 120000 });
    const selected = await view.locator('#dataset').evaluate((s) => s.value);
    assert.ok(selected.endsWith('labels.csv'), selected);
    await screenshot(page, 'train-on-file');
    assert.doesNotMatch(readExtensionLog(server.userData), /Train Classifier on This File failed/);
  });

  test('language status: the model and Select Model for plaintext, the latency after a call, nothing for JavaScript', async () => {
    await runCommand(page, 'View: Close All Editor Groups');
    await openFile(page, 'masking.txt');
    const first = await waitFor(() => languageStatus(page), { what: 'the BERT Lens language status item' });
    assert.equal(first.text, 'BERT: mini-bert-uncased (embedded)');
    assert.equal(first.link, 'Select Model');
    await gotoPosition(page, 1, 5);
    await runCommand(page, 'BERT Lens: Predict Masked Token');
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Replace “bank”' })
      .first()
      .waitFor({ timeout: 120000 });
    await page.keyboard.press('Escape');
    const after = await waitFor(
      async () => {
        const st = await languageStatus(page);
        return /last call: \S+ \d+ ms/.test(st?.detail ?? '') && st;
      },
      { what: 'the latency in the detail' },
    );
    assert.equal(after.text, 'BERT: mini-bert-uncased (embedded)', 'the text stays short');
    assert.match(after.detail, /^cpu · /, 'the provider, then the latency');
    await screenshot(page, 'language-status');
    await openFile(page, 'notes.js');
    await page
      .locator('.statusbar-item[id="status.editor.mode"]', { hasText: 'JavaScript' })
      .waitFor({ timeout: 30000 });
    assert.equal(await languageStatus(page), undefined, 'not shown for JavaScript');
    // The link opens Select Model.
    await openFile(page, 'masking.txt');
    // The hover sits at the window's right edge, where a mouse move to the link can close it: the link gets its
    // click event directly, and the hover is opened again if the picker did not come.
    await waitFor(
      async () => {
        await page.locator('.statusbar-item[id="status.languageStatus"]').hover();
        const link = page.locator('.hover-language-status .right a.monaco-link', { hasText: 'Select Model' }).first();
        await link.waitFor({ state: 'visible', timeout: 5000 });
        await link.dispatchEvent('click');
        return page
          .locator('.quick-input-widget .quick-input-title', { hasText: 'Select Model' })
          .first()
          .waitFor({ timeout: 5000 })
          .then(() => true)
          .catch(() => false);
      },
      { what: 'Select Model from the language status link', timeout: 30000 },
    );
    await page.mouse.move(5, 5); // away from the status bar, so that its hover does not cover the next toasts
    await page.keyboard.press('Escape');
    await runCommand(page, 'View: Close All Editor Groups');
  });

  test('the "bank" step names its model and offers the full lesson with the size the hub announces', async () => {
    const before = hub.requests.length;
    await runCommand(page, 'BERT Lens: Compare "bank" in Three Sentences');
    const toast = await toastMatching(page, /cosine of the first "bank"/, 'the bank lesson notification');
    assert.match(toast.message, /mini-bert-uncased \(embedded\), layer \d+/);
    // What the hub answered HEAD for (the files a load fetches that the repository has), summed: its own sizes.
    const heads = hub.requests
      .slice(before)
      .filter((r) => r.method === 'HEAD' && r.path.startsWith(`/${FULL_LESSON}/resolve/main/`));
    const files = [...new Set(heads.map((r) => decodeURIComponent(r.path.split('/resolve/main/')[1])))].filter((f) =>
      existsSync(join(LESSON_FOLDER, f)),
    );
    assert.ok(files.includes('config.json') && files.includes('onnx/model_quantized.onnx'), files.join(', '));
    const total = files.reduce((n, f) => n + statSync(join(LESSON_FOLDER, f)).size, 0);
    assert.deepEqual(toast.buttons, [`Download ${FULL_LESSON} (${(total / 1e6).toFixed(1)} MB)`]);
    assert.ok(!hub.requests.slice(before).some((r) => r.method === 'GET'), 'nothing downloaded before the user asks');
    await screenshot(page, 'bank-offer');
    await page
      .locator('.notifications-toasts.visible .notification-toast', { hasText: 'cosine of the first' })
      .first()
      .locator('.monaco-button', { hasText: 'Download' })
      .click();
    const full = await toastMatching(
      page,
      new RegExp(`\\(${FULL_LESSON}, layer \\d+\\)`),
      'the lesson with the downloaded model',
    );
    assert.match(full.message, /cosine of the first "bank"/);
    assert.ok(existsSync(join(hubCache, 'models--Xenova--bert-base-uncased')), 'downloaded into the hub cache');
    await runCommand(page, 'View: Revert and Close Editor'); // the untitled sample, without a save prompt
    await runCommand(page, 'View: Close All Editor Groups');
  });
});

describe('Restricted Mode', () => {
  let wb;
  let page;
  before(async () => {
    wb = await openWorkbench({
      files: { 'predict.txt': 'python is a programming [MASK].\n' },
      readyFile: 'predict.txt',
      prefix: 'bert-lens-restricted-ws-',
      restricted: true,
      env: { HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_OFFLINE: '' },
    }); // no hub answers
    ({ page } = wb);
    // The repository asks for another model (the NER fixture, which cannot fill masks).
    mkdirSync(join(wb.workspace, '.vscode'), { recursive: true });
    writeFileSync(
      join(wb.workspace, '.vscode/settings.json'),
      JSON.stringify({ 'bertLens.model': join(ROOT, 'test/fixtures/bert-ner') }),
    );
  });
  after(async () => {
    await wb?.close();
  });

  test('the embedded model answers and the workspace bertLens.model is ignored until the folder is trusted', async () => {
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 60000 });
    const expected = cli(
      'fill-mask',
      '--json',
      '--variant',
      'quantized',
      'python is a programming [MASK].',
    ).masks[0].predictions.map((p) => p.token);
    await openFile(page, 'predict.txt');
    await runCommand(page, 'BERT Lens: Predict Masked Token');
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Fill [MASK]' })
      .first()
      .waitFor({ timeout: 120000 });
    const first = await page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name')
      .first()
      .textContent();
    assert.equal(first.trim(), expected[0], "the embedded model, not the workspace's NER model");
    await screenshot(page, 'restricted-mode');
    await page.keyboard.press('Escape');
    assert.match(readExtensionLog(wb.server.userData), /mini-bert-uncased/);
    assert.doesNotMatch(readExtensionLog(wb.server.userData), /bert-ner/);
  });

  test('the language status shows the embedded model, and the offer falls back to the estimate without a hub', async () => {
    await openFile(page, 'predict.txt');
    const st = await waitFor(() => languageStatus(page), { what: 'the BERT Lens language status item' });
    assert.equal(st.text, 'BERT: mini-bert-uncased (embedded)');
    await runCommand(page, 'BERT Lens: Compare "bank" in Three Sentences');
    const toast = await toastMatching(page, /cosine of the first "bank"/, 'the bank lesson notification');
    assert.deepEqual(toast.buttons, [`Download ${FULL_LESSON} (about 110 MB)`]);
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'View: Revert and Close Editor'); // the untitled sample, without a save prompt
    await runCommand(page, 'View: Close All Editor Groups');
  });

  test('after the user trusts the folder, the workspace bertLens.model applies', async () => {
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().click();
    const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first();
    await trust.waitFor({ timeout: 30000 });
    await screenshot(page, 'restricted-trust-editor');
    await trust.click();
    await waitFor(async () => (await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).count()) === 0, {
      what: 'Restricted Mode gone',
    });
    // VS Code reports the newly applied workspace settings as a configuration change (or the trust event does).
    await waitFor(
      () => /(workspace trusted|settings changed): model=\S*bert-ner/.test(readExtensionLog(wb.server.userData)),
      { what: 'the extension saw the workspace model' },
    );
    await runCommand(page, 'View: Close All Editor Groups');
    await openFile(page, 'predict.txt');
    await waitFor(async () => (await languageStatus(page))?.text === 'BERT: bert-ner', {
      what: 'the workspace model in the language status',
    });
    await screenshot(page, 'trusted-model');
  });
});
