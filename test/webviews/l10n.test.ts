// The localisation bundle reaches the webviews: the host's HTML shell carries `vscode.l10n.bundle` in #app's
// data-l10n attribute, and the apps' l10n.t reads it. Here a French bundle goes through the real shell
// (webviewShell), into a minimal DOM, and the masking-preview app renders its button, heading, legend and
// tooltips in French; without a bundle the same strings read as written (English keys). The pure trainer views
// translate through the same l10n.t.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webviewShell } from '../../src/extension/core/webviewShell';
import { mpState } from '../../src/webviews/protocol/walk';
import { l10n } from '../../src/webviews/shared/l10n';
import { comparisonRows } from '../../src/webviews/apps/trainer/view';
import { candidateRows, trainLayerOptions } from '../../src/webviews/apps/trainer/candidateRows';

const FR = {
  Resample: 'Rééchantillonner',
  'Seed {0}: {1} of {2} tokens chosen': 'Graine {0} : {1} jetons choisis sur {2}',
  'masked {0}': 'masqués {0}',
  '{0}: the model reads "{1}"': '{0} : le modèle lit « {1} »',
  masked: 'masqué',
  Train: 'Entraîner',
  'This classifier': 'Ce classifieur',
};

/** Just enough of the DOM for h(), injectStyle() and an app's render(). */
class FakeElement {
  children: (FakeElement | string)[] = [];
  attributes: Record<string, string> = {};
  dataset: Record<string, string> = {};
  style = { setProperty: () => undefined } as unknown as Record<string, unknown>;
  className = '';
  nonce = '';
  constructor(readonly tagName: string) {}
  setAttribute(k: string, v: string) {
    this.attributes[k] = v;
  }
  getAttribute(k: string) {
    return this.attributes[k] ?? null;
  }
  addEventListener() {}
  append(...nodes: (FakeElement | string)[]) {
    this.children.push(...nodes);
  }
  replaceChildren(...nodes: (FakeElement | string)[]) {
    this.children = nodes;
  }
  get textContent(): string {
    return this.children.map((c) => (typeof c === 'string' ? c : c.textContent)).join('');
  }
  set textContent(s: string) {
    this.children = [s];
  }
  /** Every element below this one, depth first. */
  all(): FakeElement[] {
    return this.children.flatMap((c) => (typeof c === 'string' ? [] : [c, ...c.all()]));
  }
}

/** The data-l10n attribute of the shell's #app, decoded as a browser would. */
function dataL10n(html: string): string | undefined {
  const m = /<main id="app"[^>]* data-l10n="([^"]*)"/.exec(html);
  return m?.[1]
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

test('the host shell carries the bundle (escaped) in data-l10n, and none in English', () => {
  const base = { nonce: 'n0nce', cspSource: 'vscode-resource:', script: 'x.js', title: 'Masking Preview' };
  const html = webviewShell({ ...base, bundle: { ...FR, 'a "quoted" <b>&': 'ok' }, language: 'fr' });
  assert.deepEqual(JSON.parse(dataL10n(html)!), { ...FR, 'a "quoted" <b>&': 'ok' });
  assert.match(html, /<html lang="fr">/);
  assert.match(html, /script-src 'nonce-n0nce'/);
  const english = webviewShell(base);
  assert.equal(dataL10n(english), undefined);
  assert.doesNotMatch(english, /data-l10n/);
  assert.match(english, /<html lang="en">/);
  assert.equal(dataL10n(webviewShell({ ...base, bundle: {} })), undefined);
});

test('a webview app renders its strings from the bundle in the page (masking preview, French)', async () => {
  const app = new FakeElement('main');
  app.dataset.nonce = 'n0nce';
  app.dataset.l10n = dataL10n(webviewShell({ nonce: 'n', cspSource: 'c', script: 's', title: 't', bundle: FR }))!;
  const posted: unknown[] = [];
  let onMessage: ((e: { data: unknown }) => void) | undefined;
  const g = globalThis as Record<string, unknown>;
  g.acquireVsCodeApi = () => ({
    postMessage: (m: unknown) => posted.push(m),
    getState: () => undefined,
    setState() {},
  });
  g.document = {
    getElementById: (id: string) => (id === 'app' ? app : null),
    createElement: (tag: string) => new FakeElement(tag),
    head: new FakeElement('head'),
    body: new FakeElement('body'),
  };
  g.window = {
    addEventListener: (type: string, fn: (e: { data: unknown }) => void) => type === 'message' && (onMessage = fn),
  };
  await import('../../src/webviews/apps/maskPreview/main');
  assert.deepEqual(posted, [{ method: 'maskPreview/ready', params: {} }]);
  onMessage!({
    data: mpState.create({
      text: 'the bank',
      seed: 7,
      modelLabel: 'mini-bert-uncased',
      result: {
        tokens: ['[CLS]', 'the', 'bank', '[SEP]'],
        corrupted: ['[CLS]', 'the', '[MASK]', '[SEP]'],
        offsets: [
          [0, 0],
          [0, 3],
          [4, 8],
          [0, 0],
        ],
        seed: 7,
        maskToken: '[MASK]',
        chosen: [{ position: 2, original: 'bank', replacement: '[MASK]', kind: 'mask' }],
        predictions: [
          {
            position: 2,
            predictions: [{ token: 'bank', id: 2924, score: 0.5 }],
            original: { token: 'bank', id: 2924, score: 0.5, rank: 1 },
          },
        ],
      },
    }),
  });
  const els = app.all();
  const resample = els.find((e) => e.attributes.id === 'resample');
  assert.equal(resample?.textContent, 'Rééchantillonner');
  assert.equal(els.find((e) => e.tagName === 'h2')?.textContent, 'Graine 7 : 1 jetons choisis sur 4');
  assert.ok(els.some((e) => e.textContent === 'masqués 1'));
  assert.equal(
    els.find((e) => e.attributes['data-position'] === '2')?.attributes.title,
    'masqué : le modèle lit « [MASK] »',
  );
  // Not in the bundle: the English message, formatted.
  assert.ok(els.some((e) => e.tagName === 'label' && e.textContent === 'seed'));
  assert.ok(els.some((e) => e.textContent === 'random 0'));
  assert.ok(app.textContent.includes('BERT learns by repairing corrupted text: 15 % of the tokens are chosen'));
  // The trainer sidebar's controls, in the same page: "Train" → "Entraîner".
  const { fineTuneControls } = await import('../../src/webviews/apps/trainer/fineTuneControls');
  const controls = fineTuneControls(
    { settings: { mode: 'auto' }, numLayers: 4 } as never,
    () => undefined,
  ) as unknown as FakeElement;
  const labels = controls.all().filter((e) => e.tagName === 'label');
  assert.deepEqual(
    labels.map((e) => e.children.find((c) => typeof c === 'string')),
    ['Task', 'Learning rate', 'Entraîner', 'Freeze embeddings', 'Head dropout', 'Long texts'],
  );
});

test('the pure trainer views translate through the same l10n.t, and read English without a bundle', () => {
  const m = (a: number) => ({ accuracy: a, macro_f1: a, per_class: [], confusion: [] });
  l10n.config({
    contents: { 'This classifier': 'Ce classifieur', 'Fine-tuned': 'Affiné', 'top {0} + head': 'top {0} + tête' },
  });
  try {
    assert.deepEqual(
      comparisonRows(m(0.9), m(0.5), m(0.7)).map((r) => r.name),
      ['Ce classifieur', 'Majority class', 'TF-IDF + LR'],
    );
    const c = { fine_tuned: { test: { accuracy: 0.9, macro_f1: 0.8 } } } as Parameters<typeof candidateRows>[0];
    assert.equal(candidateRows(c, { candidate: 'fine_tuned', reason: 'best' } as never)[0].title, 'Affiné ★');
    assert.deepEqual(trainLayerOptions(2)[1], ['top-1', 'top 1 + tête']);
  } finally {
    l10n.config({ contents: undefined });
  }
  assert.equal(comparisonRows(m(0.9), m(0.5), m(0.7))[0].name, 'This classifier');
  assert.equal(l10n.t('{0} of {1}', 3, 'x'), '3 of x');
  assert.equal(l10n.t('{name} has {n}', { name: 'BERT', n: 4 }), 'BERT has 4');
  assert.equal(l10n.t('{0} and {1}', 'only one'), 'only one and {1}');
});
