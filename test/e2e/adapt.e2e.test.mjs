// Domain adaptation in the Classifier Trainer sidebar, end to end: "Adapt Model to Workspace" switches the view to
// its Adapt mode, one epoch of masked-LM training on the workspace's Markdown files runs with the embedded model,
// the live sample shows chosen tokens of all three kinds ([MASK], random, kept) with the model's guesses, and the
// held-out masked-token accuracy and pseudo-perplexity appear before and after. A folder that files.exclude hides
// is not read.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { openWorkbench, readExtensionLog, runCommand, screenshot, test, waitFor } from './harness.mjs';

let wb;
let server;
let page;

const WHO = [
  'The harbour master',
  'The pilot boat',
  'A cargo ship',
  'The tug crew',
  'The night watch',
  'The lock keeper',
  'The ferry captain',
];
const DOES = [
  'checks the tide tables',
  'waits at the outer buoy',
  'signals the crane operators',
  'logs the arrival time',
  'opens the eastern lock gate',
  'calls the coast guard',
  'reads the weather report',
];
const WHEN = [
  'before the ferry leaves',
  'when the fog comes in',
  'at the change of the watch',
  'after the last tug returns',
];

/** Prose about a harbour: enough lines for a few training inputs of 128 tokens and a held-out tenth. */
function harbourNotes(offset) {
  const lines = ['# Harbour notes', ''];
  for (let i = 0; i < 60; i++) lines.push(`${WHO[(i + offset) % 7]} ${DOES[(i * 3 + offset) % 7]} ${WHEN[i % 4]}.`);
  return lines.join('\n') + '\n';
}

before(async () => {
  wb = await openWorkbench({
    files: {
      'harbour.md': harbourNotes(0),
      'ferries.md': harbourNotes(3),
      // Hidden by files.exclude: adaptation must not read it (the log line below counts 2 files, not 3).
      'drafts/old-notes.md': harbourNotes(5),
      '.vscode/settings.json': JSON.stringify({ 'files.exclude': { 'drafts/**': true } }),
    },
    readyFile: 'harbour.md',
    prefix: 'bert-lens-adapt-ws-',
  });
  ({ server, page } = wb);
});

after(async () => {
  await wb?.close();
});

test('Adapt Model to Workspace: live sample with [MASK] / random / kept, and held-out numbers before and after', async () => {
  await runCommand(page, 'Adapt Model to Workspace');
  const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await view.locator('#adapt-start').waitFor({ timeout: 60000 });
  assert.match(await view.locator('#adapt-h').innerText(), /Adapt Model to Workspace/);
  await view.locator('#adapt-start').click();
  // The numbers before training come first, then the live sample while it trains, then the numbers after.
  await view.locator('#acc-before').waitFor({ timeout: 120000 });
  await view.locator('#adapt-sample .tok.chosen').first().waitFor({ timeout: 120000 });
  await waitFor(async () => !/…/.test(await view.locator('#acc-after').innerText()), {
    timeout: 180000,
    what: 'the numbers after adaptation',
  });
  for (const kind of ['mask', 'random', 'kept'])
    assert.ok(
      (await view.locator(`#adapt-sample .tok.chosen.${kind}`).count()) > 0,
      `the live sample shows a ${kind} token`,
    );
  const masked = view.locator('#adapt-sample .tok.chosen.mask').first();
  assert.match(await masked.innerText(), /\[MASK\]\s*→ \S+/);
  const before = Number((await view.locator('#acc-before').innerText()).replace(/[^\d.]/g, ''));
  const after = Number((await view.locator('#acc-after').innerText()).replace(/[^\d.]/g, ''));
  const pplBefore = Number(await view.locator('#ppl-before').innerText());
  const pplAfter = Number(await view.locator('#ppl-after').innerText());
  assert.ok(before >= 0 && before <= 100 && after >= 0 && after <= 100, `${before} ${after}`);
  assert.ok(pplBefore > 1 && pplAfter > 1 && pplAfter < pplBefore, `pseudo-perplexity ${pplBefore} -> ${pplAfter}`);
  // The running counts: all three kinds, mostly [MASK].
  const count = async (k) => Number((await view.locator(`#count-${k}`).innerText()).match(/^\S+ (\d+)/)[1]);
  const [m, r, k] = [await count('mask'), await count('random'), await count('kept')];
  assert.ok(m > r + k && r > 0 && k > 0, `counts ${m}/${r}/${k}`);
  await view.locator('#adapt-save').waitFor();
  await view.locator('#adapt-sample').scrollIntoViewIfNeeded();
  await screenshot(page, 'adapt');
  const log = await waitFor(
    () =>
      readExtensionLog(server.userData).match(
        /adapted .* on 2 file\(s\): masked accuracy ([\d.]+) -> ([\d.]+), pseudo-perplexity ([\d.]+) -> ([\d.]+)/,
      ),
    { what: 'adaptation log line' },
  );
  assert.ok(
    Math.abs(Number(log[1]) * 100 - before) < 0.06 && Math.abs(Number(log[2]) * 100 - after) < 0.06,
    `${log[0]} vs ${before} ${after}`,
  );
});
