// The Classifier Trainer's fine-tuning controls end to end: task, learning rate, train layers, freeze
// embeddings, head dropout and long texts are shown for fine-tuning (the last two reach the run's note); a head-only run of one epoch ends with the candidates table (TF-IDF,
// frozen, hybrid, fine-tuned) and the validation-only recommendation; the view keeps to the sidebar's width.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { topicsCsv } from '../data/topicsCsv.mjs';
import { openWorkbench, runCommand, screenshot, waitFor } from './harness.mjs';

let wb;
let page;

before(async () => {
  wb = await openWorkbench({
    files: { 'topics.csv': topicsCsv() },
    readyFile: 'topics.csv',
    prefix: 'bert-lens-ftui-ws-',
  });
  ({ page } = wb);
});

after(async () => {
  await wb?.close();
});

test('trainer: fine-tuning controls, then the candidates and the recommendation, within the sidebar width', async () => {
  await runCommand(page, 'Focus on Classifier Trainer View');
  const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await view.locator('text=40 examples').waitFor({ timeout: 60000 });
  await view.locator('#fine-tune-controls').waitFor();
  assert.deepEqual(await view.locator('#task option').allInnerTexts(), ['sequence classification']);
  assert.equal(await view.locator('#lr').inputValue(), '');
  assert.equal(await view.locator('#lr').getAttribute('placeholder'), 'auto');
  // The embedded model has 4 layers: all, top 1..3 + head, head only (known once the model has loaded, which
  // selecting a dataset starts for a local model).
  await waitFor(async () => (await view.locator('#train-layers option').count()) === 5, {
    what: 'train-layer choices of the 4-layer model',
    timeout: 120000,
  });
  assert.deepEqual(await view.locator('#train-layers option').evaluateAll((os) => os.map((o) => o.value)), [
    'all',
    'top-1',
    'top-2',
    'top-3',
    'head',
  ]);
  await view.locator('#train-layers').selectOption('head');
  await view.locator('#train-layers').waitFor();
  assert.equal(
    await view.locator('#freeze-emb').isDisabled(),
    true,
    'freezing embeddings means nothing for a head-only run',
  );
  await view.locator('#epochs').fill('1');
  await view.locator('#epochs').dispatchEvent('change');
  await view.locator('#lr').fill('0.001');
  await view.locator('#lr').dispatchEvent('change');
  // The head's dropout (empty: the model's config) and how long texts are read reach the run and its note.
  assert.equal(await view.locator('#dropout').getAttribute('placeholder'), 'auto');
  assert.deepEqual(await view.locator('#long-texts option').evaluateAll((os) => os.map((o) => o.value)), [
    'windows',
    'truncate',
  ]);
  await view.locator('#dropout').fill('0');
  await view.locator('#dropout').dispatchEvent('change');
  await view.locator('#long-texts').selectOption('truncate');
  await waitFor(async () => (await view.locator('#dropout').inputValue()) === '0', { what: 'dropout kept at 0' });
  await view.locator('#fine-tune-controls').scrollIntoViewIfNeeded();
  await screenshot(page, 'ftui-controls');
  await view.locator('#train').click();
  const candidates = view.locator('#candidates');
  await candidates.waitFor({ timeout: 600000 });
  const names = await candidates
    .locator('tbody tr')
    .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-candidate')));
  assert.deepEqual(names, ['tfidf', 'frozen', 'hybrid', 'fine_tuned']);
  const text = await candidates.innerText();
  assert.match(text, /TF-IDF \+ LR( ★)?\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d%/);
  assert.match(text, /Fine-tuned( ★)?\s+\d+\.\d%/);
  const rec = await view.locator('#recommendation').innerText();
  assert.match(
    rec,
    /^Recommended: (TF-IDF \+ LR|frozen encoder \+ head|hybrid \(frozen \+ TF-IDF\)|fine-tuned): \d+\.\d% validation accuracy/,
  );
  assert.equal(await candidates.locator('tr.best').count(), 1, 'one recommended row');
  assert.match(
    await view.locator('#fine-tuned-note').innerText(),
    /^Encoder fine-tuned \(.*, head dropout 0, first tokens of long texts only\)/,
  );
  // Nothing wider than the view: the controls and both tables wrap or fit.
  await view.locator('#recommendation').scrollIntoViewIfNeeded();
  await screenshot(page, 'ftui-candidates');
  const overflow = await view.locator('body').evaluate((b) => ({
    scroll: b.scrollWidth,
    client: b.clientWidth,
    // The outermost elements that stick out, to name the culprit.
    wide: [...b.querySelectorAll('*')]
      .filter(
        (e) =>
          e.getBoundingClientRect().right > b.clientWidth + 1 &&
          !(e.parentElement && e.parentElement.getBoundingClientRect().right > b.clientWidth + 1),
      )
      .map(
        (e) =>
          `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${String(e.className).split(' ')[0]}` : ''} "${(e.textContent ?? '').slice(0, 30)}" ${Math.round(e.getBoundingClientRect().width)}px`,
      ),
  }));
  assert.ok(
    overflow.scroll <= overflow.client + 1,
    `body ${overflow.scroll}px wide in a ${overflow.client}px view: ${overflow.wide.join(', ')}`,
  );
});
