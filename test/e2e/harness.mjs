// Drives a real VS Code host offline: code-server 4.100.3 (installed by scripts/setup-e2e.sh into .e2e/) with
// the packaged .vsix installed, and Debian's Chromium through playwright-core. One instance serves all
// scenarios (2 cores, ~1.7 GB peak). See ../shared/docs/e2e-in-code-server.md.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const ARTIFACTS = join(ROOT, 'test-results', 'e2e');
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

/** Starts code-server on a fresh profile with the .vsix installed and a workspace folder. */
export async function startCodeServer({ vsix, workspace }) {
  if (!existsSync(CODE_SERVER)) throw new Error('code-server missing: run scripts/setup-e2e.sh');
  const base = mkdtempSync(join(tmpdir(), 'bert-lens-e2e-'));
  const home = join(base, 'home');
  const userData = join(base, 'user-data');
  const extensions = join(base, 'extensions');
  for (const d of [home, userData, extensions]) mkdirSync(d, { recursive: true });
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share') };
  execFileSync(CODE_SERVER, ['--install-extension', vsix, '--extensions-dir', extensions, '--user-data-dir', userData], { env, stdio: 'pipe' });
  // Quiet, predictable workbench.
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User/settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'security.workspace.trust.enabled': false,
    'editor.fontFamily': 'monospace', 'editor.fontSize': 14, 'editor.minimap.enabled': false, 'editor.hover.delay': 300,
    'extensions.ignoreRecommendations': true, 'telemetry.telemetryLevel': 'off', 'workbench.colorTheme': 'Default Dark Modern',
    'editor.quickSuggestions': { other: false, comments: false, strings: false }, 'editor.wordBasedSuggestions': 'off',
    'editor.occurrencesHighlight': 'off', 'editor.selectionHighlight': false, 'files.autoSave': 'off',
  }));
  const port = await freePort();
  const config = join(base, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const t0 = Date.now();
  const child = spawn(CODE_SERVER, ['--config', config, '--extensions-dir', extensions, '--user-data-dir', userData, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened', workspace], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, { timeout: 60000, what: 'code-server /healthz' });
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
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  return { browser, page };
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
    await page.locator(`.tab.active[aria-label*="${name}"], .tab.active:has-text("${name}")`).first().waitFor({ timeout: 15000 });
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
  return rows.evaluateAll((rs) => rs.filter((r) => !r.classList.contains('quick-input-list-separator-as-item')).map((r) => r.querySelector('.label-name')?.textContent?.trim() ?? ''));
}

/** Runs a command by title from the palette, retrying while the extension has not registered it yet. */
export async function runCommand(page, title) {
  for (let attempt = 0; attempt < 20; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 3000 });
      await page.keyboard.press('Enter');
      return;
    } catch {
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  throw new Error(`command not found in palette: ${title}`);
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
  return JSON.parse(execFileSync(process.execPath, [join(ROOT, 'bin/bert-lens.js'), ...args], { cwd: ROOT, encoding: 'utf8' }));
}
