// Drives a real VS Code host offline: code-server 4.100.3 (installed by scripts/setup-e2e.sh into .e2e/) with
// the packaged .vsix installed, and Debian's Chromium through playwright-core. One instance serves all
// scenarios (2 cores, ~1.7 GB peak). See docs/e2e.md.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  rmSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test as nodeTest } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const ARTIFACTS = join(ROOT, 'test-results', 'e2e');
export const VSIX = process.env.BERT_LENS_VSIX ?? join(ROOT, 'bert-lens.vsix');
const CODE_SERVER = join(ROOT, '.e2e/code-server/node_modules/.bin/code-server');

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export async function waitFor(fn, { timeout = 60000, interval = 200, what = 'condition' } = {}) {
  const t0 = Date.now();
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Starts code-server on a fresh profile with the .vsix installed and a workspace folder; `env` is added to
 *  code-server's environment (the extension host and the engine worker inherit it: HF_ENDPOINT, HF_HUB_CACHE…). */
export async function startCodeServer({ vsix, workspace, env: extraEnv = {}, restricted = false }) {
  if (!existsSync(CODE_SERVER)) throw new Error('code-server missing: run scripts/setup-e2e.sh');
  const base = mkdtempSync(join(tmpdir(), 'bert-lens-e2e-'));
  const home = join(base, 'home');
  const userData = join(base, 'user-data');
  const extensions = join(base, 'extensions');
  for (const d of [home, userData, extensions]) mkdirSync(d, { recursive: true });
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    ...extraEnv,
  };
  execFileSync(
    CODE_SERVER,
    ['--install-extension', vsix, '--extensions-dir', extensions, '--user-data-dir', userData],
    { env, stdio: 'pipe' },
  );
  // Quiet, predictable workbench.
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'security.workspace.trust.enabled': false,
      'editor.fontFamily': 'monospace',
      'editor.fontSize': 14,
      'editor.minimap.enabled': false,
      'editor.hover.delay': 300,
      'extensions.ignoreRecommendations': true,
      'telemetry.telemetryLevel': 'off',
      'workbench.colorTheme': 'Default Dark Modern',
      'editor.quickSuggestions': { other: false, comments: false, strings: false },
      'editor.wordBasedSuggestions': 'off',
      'editor.occurrencesHighlight': 'off',
      'editor.selectionHighlight': false,
      'files.autoSave': 'off',
      // `restricted`: workspace trust on, and this workspace opens untrusted (Restricted Mode) without a prompt.
      ...(restricted
        ? {
            'security.workspace.trust.enabled': true,
            'security.workspace.trust.startupPrompt': 'never',
            'security.workspace.trust.banner': 'always',
          }
        : {}),
    }),
  );
  const port = await freePort();
  const config = join(base, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const t0 = Date.now();
  const child = spawn(
    CODE_SERVER,
    [
      '--config',
      config,
      '--extensions-dir',
      extensions,
      '--user-data-dir',
      userData,
      '--disable-telemetry',
      '--disable-update-check',
      '--log',
      'trace',
      ...(restricted ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--ignore-last-opened',
      workspace,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, {
    timeout: 60000,
    what: 'code-server /healthz',
  });
  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`,
    userData,
    startedMs: Date.now() - t0,
    output: () => output,
    async stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      await new Promise((r) => setTimeout(r, 1000));
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      if (!process.env.BERT_LENS_E2E_KEEP) rmSync(base, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  return { browser, page };
}

/** A fresh workspace holding `files`, code-server with the .vsix installed, and Chromium on it, ready once
 *  `readyFile` shows in the explorer. `close()` stops both and removes the workspace. */
export async function openWorkbench({ files, readyFile, prefix = 'bert-lens-ws-', env, restricted = false }) {
  const workspace = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(workspace, name)), { recursive: true });
    writeFileSync(join(workspace, name), text);
  }
  let server;
  let browser;
  const close = async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    rmSync(workspace, { recursive: true, force: true });
  };
  try {
    server = await startCodeServer({ vsix: VSIX, workspace, env, restricted });
    const launched = await launchBrowser();
    browser = launched.browser;
    const { page } = launched;
    currentPage = page;
    await page.goto(server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: readyFile }).waitFor({ timeout: 60000 });
    return { workspace, server, browser, page, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The extension's output channel, as VS Code writes it to disk (newest file named "…BERT Lens.log"). */
export function readExtensionLog(userData) {
  const files = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('BERT Lens.log')) files.push(p);
    }
  };
  walk(join(userData, 'logs'));
  return files.map((f) => readFileSync(f, 'utf8')).join('\n');
}

/** Log lines "<prefix> <json>" parsed, in order. */
export function logJson(userData, prefix) {
  return readExtensionLog(userData)
    .split('\n')
    .map((l) => l.match(new RegExp(`\\] ${prefix}: (\\{.*|\\[.*)$`)))
    .filter(Boolean)
    .map((m) => JSON.parse(m[1]));
}

export async function openFile(page, name) {
  // Quick Open (Ctrl+P) sometimes keeps the previous editor when the file is already open in a background tab;
  // a click on the Explorer row always activates it.
  await page.keyboard.press('Control+Shift+E');
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ state: 'visible' });
  await row.dblclick();
  try {
    await page
      .locator(`.tab.active[aria-label*="${name}"], .tab.active:has-text("${name}")`)
      .first()
      .waitFor({ timeout: 15000 });
  } catch (err) {
    await screenshot(page, `failed-open-${name}`);
    throw err;
  }
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
}

/** The labels of the QuickPick opened by an extension (titled `title`), once it shows items. */
export async function quickPickLabels(page, title) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).first().waitFor({ timeout: 120000 });
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row:visible');
  await rows.first().waitFor({ timeout: 120000 });
  return rows.evaluateAll((rs) =>
    rs
      .filter((r) => !r.classList.contains('quick-input-list-separator-as-item'))
      .map((r) => r.querySelector('.label-name')?.textContent?.trim() ?? ''),
  );
}

/** Opens the command palette and returns its input, retrying the opening when something (a focus change, a
 *  closing notification) swallowed the key press: the palette is open once its input shows `>`. */
async function openPalette(page) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 0; attempt < 5; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await waitFor(async () => (await input.inputValue()).startsWith('>'), {
        timeout: 5000,
        interval: 100,
        what: 'the palette’s ">" prefix',
      });
      return input;
    } catch {
      await page.keyboard.press('Escape');
      await page
        .locator('.monaco-workbench')
        .focus()
        .catch(() => {});
    }
  }
  throw new Error('the command palette did not open after 5 tries');
}

/** Runs a command by title from the palette, retrying while the extension has not registered it yet and when
 *  the palette did not open or closed under us. */
export async function runCommand(page, title) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const input = await openPalette(page);
    try {
      await input.fill(`>${title}`);
      // Enter runs the focused row: wait until that is the command (right after the palette opens, the list can
      // still be the unfiltered one, whose first row is the command run last).
      const row = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title }).first();
      await row.waitFor({ timeout: 3000 });
      if ((await input.inputValue()) !== `>${title}`) throw new Error('the palette lost its text');
      await page.keyboard.press('Enter');
      return;
    } catch {
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  throw new Error(`command not found in palette: ${title}`);
}

/** A known state before each scenario: no quick input open, no notification toast, the views in their default
 *  places, and the focus in the editor area. */
export async function knownState(page) {
  const quickInput = page.locator('.quick-input-widget');
  for (let i = 0; i < 3 && (await quickInput.isVisible().catch(() => false)); i++) await page.keyboard.press('Escape');
  await runCommand(page, 'Notifications: Clear All Notifications');
  await waitFor(async () => (await page.locator('.notifications-toasts.visible .notification-toast').count()) === 0, {
    timeout: 10000,
    what: 'no notification toasts',
  });
  await runCommand(page, 'View: Reset View Locations');
  await runCommand(page, 'View: Focus Active Editor Group');
  await waitFor(async () => !(await quickInput.isVisible()), { timeout: 10000, what: 'no quick input open' });
}

let currentPage;
/** The page of the workbench opened last (for failure captures). */
export function activePage() {
  return currentPage;
}

/** On a failure, a screenshot and the workbench DOM under test-results/e2e/failure-<name>.{png,html}. */
export async function captureFailure(page, name) {
  if (!page) return;
  const base = `failure-${name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80)}`;
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${base}.png`) }).catch(() => {});
  const html = await page.content().catch((e) => `<!-- could not read the DOM: ${e.message} -->`);
  writeFileSync(join(ARTIFACTS, `${base}.html`), html);
}

/** node:test's `test`, starting each scenario from `knownState` and capturing the screen and DOM when it fails. */
export function test(name, ...rest) {
  const fn = rest.pop();
  const options = rest[0] ?? {};
  return nodeTest(name, options, async (t) => {
    try {
      if (currentPage) await knownState(currentPage);
      await fn(t);
    } catch (err) {
      await captureFailure(currentPage, name);
      throw err;
    }
  });
}

/** Moves the cursor to line:column (1-based) with Go to Line. */
export async function gotoPosition(page, line, column) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** The engine's answer for the same input, through the CLI (offsets in code points; tests use ASCII text). */
export function cli(...args) {
  return JSON.parse(
    execFileSync(process.execPath, [join(ROOT, 'bin/bert-lens.js'), ...args], { cwd: ROOT, encoding: 'utf8' }),
  );
}

/** Decorations painted in the active editor whose background matches `bgPattern` (a RegExp source), each mapped
 *  back to its line (0-based) and columns through the text under it (label pseudo-elements shift pixels, not
 *  text). Adjacent ranges of one decoration type may be painted as one box. */
export async function decorationBoxes(page, bgPattern) {
  return page.evaluate((pattern) => {
    const re = new RegExp(pattern);
    const lineOf = (el) => {
      // View lines are absolutely positioned in document order by `top`; line numbers come from the margin.
      const top = el.getBoundingClientRect().top;
      const nums = [
        ...document.querySelectorAll(
          '.editor-group-container.active .monaco-editor .margin-view-overlays .line-numbers',
        ),
      ];
      const n = nums.find((x) => Math.abs(x.getBoundingClientRect().top - top) < 2);
      return n ? Number(n.textContent.trim()) - 1 : -1;
    };
    const column = (x, y) => {
      const r = document.caretRangeFromPoint(x, y);
      const line = r?.startContainer.parentElement?.closest('.view-line');
      if (!line) return [-1, -1];
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      let total = 0;
      while (walker.nextNode()) {
        if (walker.currentNode === r.startContainer) return [lineOf(line), total + r.startOffset];
        total += walker.currentNode.textContent.length;
      }
      return [-1, -1];
    };
    // The cursor sits on top of the text and would catch the hit test at a line's end.
    const cursors = [...document.querySelectorAll('.editor-group-container.active .monaco-editor .cursors-layer')];
    cursors.forEach((c) => (c.style.display = 'none'));
    const out = [];
    for (const el of document.querySelectorAll('.editor-group-container.active .monaco-editor .view-overlays *')) {
      const bg = getComputedStyle(el).backgroundColor;
      if (!re.test(bg)) continue;
      const r = el.getBoundingClientRect();
      if (r.width < 1) continue;
      const y = r.top + r.height / 2;
      const [line, start] = column(r.left + 1, y);
      const [, end] = column(r.right - 1, y);
      out.push({ bg, line, start, end });
    }
    cursors.forEach((c) => (c.style.display = ''));
    return out.sort((a, b) => a.line - b.line || a.start - b.start);
  }, bgPattern);
}

/** A CSS colour value (e.g. `var(--vscode-editor-findMatchHighlightBackground)`) as the workbench computes it. */
export async function computedColour(page, value) {
  return page.evaluate((v) => {
    const el = document.createElement('div');
    el.style.backgroundColor = v;
    document.querySelector('.monaco-workbench').append(el);
    const c = getComputedStyle(el).backgroundColor;
    el.remove();
    return c;
  }, value);
}

/** The visible notification toasts: severity (from the icon) and message text. */
export async function toasts(page) {
  return page.locator('.notifications-toasts.visible .notification-toast').evaluateAll((els) =>
    els.map((t) => ({
      severity:
        t.querySelector('.notification-list-item-icon')?.className.match(/codicon-(error|warning|info)/)?.[1] ??
        'progress',
      message: t.querySelector('.notification-list-item-message')?.textContent ?? '',
      buttons: [...t.querySelectorAll('.monaco-button')].map((b) => b.textContent.trim()).filter(Boolean),
    })),
  );
}

/** Writes the workspace's .vscode/settings.json (BERT Lens keys with explicit defaults, plus `overrides`) and
 *  waits until the extension has seen the change; a no-op when the file already says the same. Explicit
 *  defaults keep every scenario independent of what the previous one configured. */
export async function useSettings(userData, workspace, overrides = {}) {
  const settings = { 'bertLens.model': '', 'bertLens.offline': false, 'bertLens.variant': 'auto', ...overrides };
  const file = join(workspace, '.vscode/settings.json');
  let current;
  try {
    current = JSON.parse(readFileSync(file, 'utf8'));
  } catch {}
  if (!current && !Object.keys(overrides).length) return; // nothing configured yet: the defaults hold
  const same =
    current &&
    Object.keys({ ...current, ...settings }).every((k) => JSON.stringify(current[k]) === JSON.stringify(settings[k]));
  if (same) return;
  const count = () => (readExtensionLog(userData).match(/settings changed: /g) ?? []).length;
  const before = count();
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  // A change written before the extension has activated is never reported (its listener is not there yet).
  await waitFor(() => /activated in /.test(readExtensionLog(userData)), { what: 'the extension activated' });
  writeFileSync(file, JSON.stringify(settings, null, 2));
  const model = settings['bertLens.model'] || 'embedded';
  await waitFor(
    () => {
      if (count() <= before) return false;
      const last = readExtensionLog(userData)
        .match(/settings changed: .*/g)
        .at(-1);
      return (
        last.includes(`model=${model} `) &&
        last.includes(`variant=${settings['bertLens.variant']}`) &&
        last.includes(`offline=${settings['bertLens.offline']}`)
      );
    },
    { what: `settings ${JSON.stringify(overrides)} seen by the extension` },
  );
}

/** BERT Lens's language status item as VS Code shows it: hovers the `{ }` language-status entry of the status
 *  bar and returns the item's text and detail (e.g. "BERT: mini-bert-uncased (embedded)" / "cpu · last call:
 *  hover 12 ms") and its command link, or undefined when the active editor's language does not show it. */
export async function languageStatus(page) {
  const entry = page.locator('.statusbar-item[id="status.languageStatus"]');
  if (!(await entry.isVisible().catch(() => false))) return undefined;
  await entry.hover();
  const hover = page.locator('.hover-language-status').first();
  try {
    await hover.waitFor({ state: 'visible', timeout: 5000 });
  } catch {
    return undefined;
  }
  const item = await hover.locator('.element').evaluateAll((els) => {
    const e = els.find((x) => x.querySelector('.left')?.textContent.startsWith('BERT: '));
    if (!e) return undefined;
    const left = e.querySelector('.left');
    const detail =
      left.querySelector('.detail')?.textContent ??
      [...left.childNodes]
        .slice(2)
        .map((n) => n.textContent)
        .join('');
    return {
      text: left.childNodes[0].textContent,
      detail,
      link: e.querySelector('.right a.monaco-link')?.textContent ?? '',
      busy: !!e.querySelector('.codicon-loading, .codicon-sync'),
    };
  });
  await page.mouse.move(5, 5);
  await page.keyboard.press('Escape');
  return item;
}

/** Clears all notifications and waits until no toast is left. */
export async function clearNotifications(page) {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await waitFor(async () => (await toasts(page)).length === 0, { what: 'notifications cleared' });
}

/** Waits for code-server's save dialog (its simple file dialog: a quick input prefilled with the default path)
 *  to offer a path ending in `suffix`, and returns that path. */
async function saveDialogPath(page, suffix, what) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  return waitFor(
    async () => {
      const v = (await input.isVisible()) && (await input.inputValue());
      return v && v.endsWith(suffix) ? v : false;
    },
    { what },
  );
}

/** Accepts the save dialog for a model folder (the trainer's, distillation's), which offers a path ending in
 *  `suffix`, and waits until each of `files` exists in that folder; returns the folder. */
export async function acceptModelSaveDialog(page, suffix, files) {
  const dir = await saveDialogPath(page, suffix, 'save dialog');
  await page.keyboard.press('Enter');
  await waitFor(() => files.every((f) => existsSync(join(dir, f))), { what: `${dir} written`, timeout: 120000 });
  return dir;
}

/** Accepts code-server's save dialog (its simple file dialog: a quick input prefilled with the default path in
 *  `workspace`), optionally with another file name; waits until the file is written and the extension's
 *  "saved" notification shows, and returns the written file's path. */
export async function acceptSaveDialog(page, workspace, ext, rename) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  let value = await saveDialogPath(page, `.${ext}`, `save dialog for ${ext}`);
  assert.ok(value.startsWith(workspace), `the dialog offers the workspace folder (${value})`);
  if (rename) {
    value = join(workspace, rename);
    await input.fill(value);
  }
  await page.keyboard.press('Enter');
  await waitFor(() => existsSync(value) && readFileSync(value, 'utf8').length > 0, { what: `${value} written` });
  await page
    .locator('.notifications-toasts.visible .notification-list-item-message', { hasText: `saved ${value}` })
    .first()
    .waitFor();
  return value;
}

/** Fills the input box titled `title` (shown by the extension) and accepts it. */
export async function answerInputBox(page, title, value) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).first().waitFor({ timeout: 120000 });
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(value);
  await page.keyboard.press('Enter');
}

/** Picks an item of the QuickPick titled `title` by filtering on `label`. */
export async function pickItem(page, title, label) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).first().waitFor({ timeout: 120000 });
  await page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label })
    .first()
    .waitFor({ timeout: 60000 });
  await page.locator('.quick-input-widget .quick-input-box input').fill(label);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Select Model… → "Hugging Face hub id" → `repo`: starts the download of a hub model as a user does. */
export async function selectHubModel(page, repo) {
  await runCommand(page, 'BERT Lens: Select Model');
  await pickItem(page, 'BERT Lens: Select Model', 'Hugging Face hub id');
  await answerInputBox(page, 'Hugging Face hub model id', repo);
}
