// The manifest a marketplace user sees: command titles in code and package.json agree, the walkthrough's steps
// and media, workspace-trust and remote declarations, settings metadata, theme colours, icon and l10n strings.
// And the walkthrough's pure text: the "bank" sentence states only what the model produced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as candidates from '../../src/extension/core/candidates';
import * as wt from '../../src/extension/core/walkthroughText';
import { ROOT as root } from '../helpers';

/** The parts of package.json these tests read. */
interface Setting {
  type?: string;
  scope?: string;
  enum?: string[];
  enumDescriptions?: string[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  markdownDescription?: string;
}
interface MenuItem {
  command?: string;
  submenu?: string;
  when?: string;
}
interface Manifest {
  icon: string;
  preview: boolean;
  keywords: string[];
  homepage: string;
  repository: { url: string };
  bugs: { url: string };
  extensionKind: string[];
  capabilities: {
    untrustedWorkspaces: { supported: boolean | 'limited'; restrictedConfigurations: string[] };
    virtualWorkspaces: { supported: boolean | 'limited'; description: string };
  };
  contributes: {
    commands: { command: string; title: string }[];
    walkthroughs: {
      id: string;
      steps: { id: string; description: string; media: { svg: string; altText: string }; completionEvents: string[] }[];
    }[];
    configuration: { properties: Record<string, Setting> };
    menus: Record<string, MenuItem[]>;
    colors: { id: string; defaults: Record<string, string> }[];
  };
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const nls = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
function resolveNls(s: string): string;
function resolveNls(s: string | undefined): string | undefined;
function resolveNls(s: string | undefined): string | undefined {
  return typeof s === 'string' && /^%.+%$/.test(s) ? nls[s.slice(1, -1)] : s;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (n.endsWith('.ts')) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}

test('every %key% in package.json has an English string in package.nls.json', () => {
  const keys = [...JSON.stringify(pkg).matchAll(/"%([^"%]+)%"/g)].map((m) => m[1]);
  assert.ok(keys.length > 20);
  for (const k of keys) assert.equal(typeof nls[k], 'string', `missing nls key ${k}`);
});

test('command titles: the title a command is registered with in code equals its package.json title', () => {
  const code = sources(join(root, 'src', 'extension'));
  const declared = new Map(pkg.contributes.commands.map((c) => [c.command, resolveNls(c.title)]));
  // command('id', 'Title', …) and registerCommand('id', guarded(log, 'Title', …)) registrations
  const registered = code.flatMap((file) => [
    ...file.matchAll(/command\(\s*'(bertLens\.[\w.]+)',\s*'([^'\n]+)'/g),
    ...file.matchAll(/registerCommand\(\s*'(bertLens\.[\w.]+)',\s*guarded\([^,]+,\s*'([^'\n]+)'/g),
  ]);
  assert.ok(registered.length >= 20, `found ${registered.length} registrations`);
  for (const [, id, title] of registered) {
    assert.ok(declared.has(id), `${id} is registered in code but not declared in package.json`);
    const strip = (s: string) => s.replace(/(\u2026|\.\.\.)$/, '');
    assert.equal(
      strip(declared.get(id)!),
      strip(title),
      `${id}: package.json "${declared.get(id)}" vs code "${title}"`,
    );
  }
  for (const c of pkg.contributes.commands) assert.ok(resolveNls(c.title), `${c.command} has no title`);
});

test('walkthrough: nine steps, each with Markdown text, an existing SVG with alt text, and completion events', () => {
  const [w] = pkg.contributes.walkthroughs;
  assert.equal(w.id, 'bertLens.learn');
  assert.equal(w.steps.length, 9);
  const commands = new Set(pkg.contributes.commands.map((c) => c.command));
  for (const s of w.steps) {
    const text = resolveNls(s.description);
    assert.ok(text && text.length > 80, `${s.id} description`);
    assert.ok(existsSync(join(root, s.media.svg)), `${s.id}: ${s.media.svg}`);
    assert.match(readFileSync(join(root, s.media.svg), 'utf8'), /^<svg /);
    assert.ok(resolveNls(s.media.altText), `${s.id} alt text`);
    assert.ok(s.completionEvents.length >= 1);
    for (const e of s.completionEvents)
      if (e.startsWith('onCommand:')) assert.ok(commands.has(e.slice(10)), `${s.id}: ${e}`);
    for (const [, id] of text.matchAll(/\(command:([\w.]+)/g))
      assert.ok(commands.has(id) || id === 'bertLens.trainer.focus', `${s.id} links to ${id}`);
  }
  const bank = resolveNls(w.steps[0].description);
  assert.match(bank, /which model/);
});

test('conventions: workspace trust, virtual workspaces, extension kind, machine-scoped cache, settings metadata', () => {
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, [
    'bertLens.model',
    'bertLens.cacheDir',
  ]);
  assert.equal(pkg.capabilities.virtualWorkspaces.supported, 'limited');
  assert.ok(resolveNls(pkg.capabilities.virtualWorkspaces.description));
  assert.deepEqual(pkg.extensionKind, ['workspace']);
  const props = pkg.contributes.configuration.properties;
  assert.equal(props['bertLens.cacheDir'].scope, 'machine');
  assert.equal(props['bertLens.variant'].enumDescriptions!.length, props['bertLens.variant'].enum!.length);
  assert.equal(
    props['bertLens.executionProvider'].enumDescriptions!.length,
    props['bertLens.executionProvider'].enum!.length,
  );
  for (const k of ['bertLens.hover.layer', 'bertLens.attentionOverlay.layer']) {
    assert.equal(props[k].type, 'integer');
    assert.ok(Number.isInteger(props[k].minimum) && Number.isInteger(props[k].maximum), k);
  }
  assert.equal(props['bertLens.codeActions.enabled'].type, 'boolean');
  assert.ok(
    !(props['bertLens.hover.languages'].default as string[]).includes('comments'),
    'the comment hover is opt-in',
  );
  const modelDoc = resolveNls(props['bertLens.model'].markdownDescription);
  assert.ok(modelDoc);
  assert.match(modelDoc, /Example/);
});

test('menus: one BERT Lens editor submenu, Explorer entry for data files, when clauses on model-specific commands', () => {
  const m = pkg.contributes.menus;
  assert.equal(m['editor/context'].filter((x) => x.submenu === 'bertLens.editor').length, 1);
  assert.ok(!m['editor/context'].some((x) => x.command?.startsWith('bertLens.')), 'no loose editor items');
  assert.ok(m['bertLens.editor'].length >= 6);
  const explorer = m['explorer/context'].find((x) => x.command === 'bertLens.trainer.trainOnFile');
  assert.ok(explorer?.when);
  const pattern = explorer.when.match(/=~ \/(.*)\/$/);
  assert.ok(pattern);
  const re = new RegExp(pattern[1]);
  for (const ext of ['.csv', '.tsv', '.jsonl', '.conll']) assert.ok(re.test(ext), ext);
  assert.ok(!re.test('.txt') && !re.test('.csv.bak'));
  const when = Object.fromEntries(m.commandPalette.map((x) => [x.command, x.when]));
  assert.match(when['bertLens.qa.ask'], /question-answering/);
  assert.match(when['bertLens.trainer.classifySelection'], /bertLens.hasClassifier/);
});

test('theme colours have light, dark and high-contrast defaults; the icon is a 128 px PNG; marketplace fields', () => {
  assert.ok(pkg.contributes.colors.length >= 4);
  for (const c of pkg.contributes.colors)
    for (const k of ['light', 'dark', 'highContrast']) assert.ok(c.defaults[k], `${c.id}.${k}`);
  const png = readFileSync(join(root, pkg.icon));
  assert.deepEqual([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
  assert.equal(png.readUInt32BE(16), 128);
  assert.equal(png.readUInt32BE(20), 128);
  assert.equal(pkg.preview, true);
  assert.ok(pkg.keywords.length >= 5);
  for (const u of [pkg.repository.url, pkg.bugs.url, pkg.homepage])
    assert.match(u, /^https:\/\/github\.com\/bert-lens\/bert-lens/);
  assert.ok(existsSync(join(root, 'CHANGELOG.md')));
});

test('the "bank" sentence names the model and never claims a separation the numbers do not show', () => {
  const small = wt.describeBankLesson({
    model: '',
    modelLabel: 'mini-bert-uncased (embedded)',
    layer: 4,
    river: 0.842,
    rates: 0.694,
    sensesSeparated: false,
  });
  assert.match(small, /mini-bert-uncased \(embedded\)/);
  assert.match(small, /0\.842/);
  assert.match(small, /does not separate/);
  assert.doesNotMatch(small, /closer to each other/);
  // even a caller's wrong flag cannot make it claim what the numbers do not say
  assert.match(
    wt.describeBankLesson({ model: 'x', modelLabel: 'x', layer: 12, river: 0.9, rates: 0.5, sensesSeparated: true }),
    /does not separate/,
  );
  assert.match(
    wt.describeBankLesson({
      model: 'b',
      modelLabel: 'Xenova/bert-base-uncased',
      layer: 12,
      river: 0.41,
      rates: 0.77,
      sensesSeparated: true,
    }),
    /closer to each other than to the river/,
  );
});

test('the full lesson\'s size: the hub\'s total in MB, "already downloaded" when cached, else the estimate labelled "about"', () => {
  assert.equal(wt.downloadSizeLabel({ cached: false, total: 110_472_913 }, '110 MB'), '110.5 MB');
  assert.equal(wt.downloadSizeLabel({ cached: false, total: 4_123_456 }, '110 MB'), '4.1 MB');
  assert.equal(wt.downloadSizeLabel({ cached: true, total: 0 }, '110 MB'), 'already downloaded');
  // The hub gave no size for some file (no total), or could not be asked: the estimate, never as a fact.
  assert.equal(wt.downloadSizeLabel({ cached: false }, '110 MB'), 'about 110 MB');
  assert.equal(wt.downloadSizeLabel(undefined, '110 MB'), 'about 110 MB');
});

test('word-piece statistics: the most split words with ## pieces, and the [UNK] rate over non-special tokens', () => {
  const r = {
    tokens: ['[CLS]', 'the', 'x', '##yl', '##oph', '##on', '##ist', 'token', '##ised', '[UNK]', '.', '[SEP]'],
    wordIds: [null, 0, 1, 1, 1, 1, 1, 2, 2, 3, 4, null],
    specialTokensMask: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  };
  const s = wt.wordPieceStats(r);
  assert.equal(s.tokens, 10);
  assert.equal(s.unknown, 1);
  assert.equal(s.unknownRate, 0.1);
  assert.deepEqual(s.rarest, [
    { word: 'xylophonist', pieces: ['x', '##yl', '##oph', '##on', '##ist'] },
    { word: 'tokenised', pieces: ['token', '##ised'] },
  ]);
});

test('Predict Masked Token list: the original marked current and never the pre-selected best; punctuation hidden by default', async () => {
  const c = candidates;
  const cands = [
    { word: 'language', score: 0.5, pieces: ['language'] },
    { word: '.', score: 0.2 },
    { word: 'x', score: 0.1 },
    { word: 'tool', score: 0.05, pieces: ['tool'] },
    { word: 'lingo', score: 0.01, pieces: ['ling', '##o'] },
  ];
  const r = c.listCandidates('Language', cands);
  assert.deepEqual(
    r.items.map((i) => i.word),
    ['language', 'tool', 'lingo'],
  );
  assert.deepEqual(
    r.items.map((i) => i.current),
    [true, false, false],
  );
  assert.equal(r.best, 1, 'the best candidate that changes the text');
  assert.deepEqual(r.items[2].pieces, ['ling', '##o'], 'each row shows its own pieces');
  assert.deepEqual(
    c.listCandidates('Language', cands, true).items.map((i) => i.word),
    ['language', '.', 'x', 'tool', 'lingo'],
  );
  // masking punctuation itself keeps punctuation candidates
  assert.deepEqual(
    c
      .listCandidates(',', [
        { word: '.', score: 0.6 },
        { word: ',', score: 0.3 },
      ])
      .items.map((i) => [i.word, i.current]),
    [
      ['.', false],
      [',', true],
    ],
  );
  assert.ok(!c.isNoise('7') && c.isNoise('—') && c.isNoise('a') && !c.isNoise('an'));
});
