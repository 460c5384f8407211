// l10n: every user-visible string of the manifest is a %key% of package.nls.json (and every key is used); the
// extension's user-visible runtime strings (notifications, QuickPick / InputBox / progress titles and
// placeholders, panel titles, error lines) go through vscode.l10n.t; the text built in src/extension/core (hover
// Markdown, progress and walkthrough sentences) and every webview string go through l10n.t; and
// l10n/bundle.l10n.json (package.json "l10n") holds every message, so a translator has one file. English only for
// now: the bundle maps each message to itself; a translation goes next to it as bundle.l10n.<locale>.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT as root } from '../helpers';
import { BUNDLE, bundleText, collectMessages } from '../../scripts/l10n-export.mjs';
import { ALLOWED, coreOffenders, webviewOffenders } from './l10nScan';
import * as hover from '../../src/extension/core/hoverContent';
import * as walkthrough from '../../src/extension/core/walkthroughText';
import { downloadProgressMapper } from '../../src/extension/core/downloadProgress';
import { setTranslator } from '../../src/extension/core/l10n';

/** The parts of package.json the test walks; fields it reads by name are looked up in string-keyed records. */
type Fields = Record<string, string | undefined>;
interface Setting {
  [field: string]: unknown;
  enumDescriptions?: string[];
  markdownEnumDescriptions?: string[];
}
interface Manifest {
  displayName: string;
  description: string;
  l10n?: string;
  capabilities?: { untrustedWorkspaces?: { description?: string }; virtualWorkspaces?: { description?: string } };
  contributes: {
    commands: Fields[];
    viewsContainers?: Record<string, Fields[]>;
    views?: Record<string, Fields[]>;
    viewsWelcome?: Fields[];
    configuration:
      { title: string; properties: Record<string, Setting> } | { title: string; properties: Record<string, Setting> }[];
    submenus?: Fields[];
    walkthroughs?: {
      id: string;
      title: string;
      description: string;
      steps: (Fields & { media?: { altText?: string } })[];
    }[];
    colors?: Fields[];
  };
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const nls = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
const isKey = (s: unknown) => typeof s === 'string' && /^%[^%]+%$/.test(s);

/** Every user-visible string of the manifest, with where it is. */
function visibleStrings(): [string, unknown][] {
  const c = pkg.contributes;
  const out: [string, unknown][] = [
    ['displayName', pkg.displayName],
    ['description', pkg.description],
  ];
  for (const cmd of c.commands)
    for (const f of ['title', 'category', 'shortTitle'])
      if (cmd[f] !== undefined) out.push([`${cmd.command}.${f}`, cmd[f]]);
  for (const list of Object.values(c.viewsContainers ?? {}))
    for (const v of list) out.push([`viewsContainer ${v.id}`, v.title]);
  for (const list of Object.values(c.views ?? {}))
    for (const v of list)
      for (const f of ['name', 'contextualTitle']) if (v[f] !== undefined) out.push([`view ${v.id}.${f}`, v[f]]);
  for (const w of c.viewsWelcome ?? []) out.push([`viewsWelcome ${w.view}`, w.contents]);
  for (const cfg of [c.configuration].flat()) {
    out.push(['configuration.title', cfg.title]);
    for (const [name, p] of Object.entries(cfg.properties)) {
      for (const f of ['description', 'markdownDescription', 'deprecationMessage', 'markdownDeprecationMessage'])
        if (p[f] !== undefined) out.push([`${name}.${f}`, p[f]]);
      for (const f of ['enumDescriptions', 'markdownEnumDescriptions'] as const)
        for (const [i, d] of (p[f] ?? []).entries()) out.push([`${name}.${f}[${i}]`, d]);
    }
  }
  for (const s of c.submenus ?? []) out.push([`submenu ${s.id}`, s.label]);
  for (const w of c.walkthroughs ?? []) {
    out.push([`walkthrough ${w.id}.title`, w.title], [`walkthrough ${w.id}.description`, w.description]);
    for (const s of w.steps)
      out.push(
        [`step ${s.id}.title`, s.title],
        [`step ${s.id}.description`, s.description],
        [`step ${s.id}.altText`, s.media?.altText],
      );
  }
  for (const col of c.colors ?? []) out.push([`color ${col.id}`, col.description]);
  for (const [k, v] of [
    ['capabilities.untrustedWorkspaces', pkg.capabilities?.untrustedWorkspaces?.description],
    ['capabilities.virtualWorkspaces', pkg.capabilities?.virtualWorkspaces?.description],
  ] as const)
    if (v !== undefined) out.push([k, v]);
  return out;
}

test('every user-visible manifest string is a %key% (titles, categories, settings, views, walkthrough, colours)', () => {
  const strings = visibleStrings();
  assert.ok(strings.length > 150, `found ${strings.length}`);
  const plain = strings.filter(([, v]) => !isKey(v)).map(([where, v]) => `${where}: ${JSON.stringify(v)}`);
  assert.deepEqual(plain, [], 'move these strings to package.nls.json and write "%key%" in package.json');
});

test('every %key% in package.json exists in package.nls.json, and every nls key is used', () => {
  const text = JSON.stringify(pkg);
  const used = new Set([...text.matchAll(/"%([^"%]+)%"/g)].map((m) => m[1]));
  for (const k of used)
    assert.equal(typeof nls[k], 'string', `package.json uses %${k}% but package.nls.json has no such key`);
  const unused = Object.keys(nls).filter((k) => !used.has(k));
  assert.deepEqual(unused, [], 'package.nls.json keys that package.json never uses');
  for (const [k, v] of Object.entries(nls)) assert.ok(v.trim(), `${k} is empty`);
  // The runtime strings' bundle folder (VS Code looks for l10n/bundle.l10n.<locale>.json there).
  assert.equal(pkg.l10n, './l10n');
});

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

// A user-visible string written as a literal where VS Code shows it. `core/` is pure (no vscode import): its text
// goes through core/l10n.ts's l10n.t, checked below with the webviews.
const LITERAL = /['"`]/.source;
const PATTERNS = [
  new RegExp(`show(Information|Warning|Error)Message\\(\\s*${LITERAL}`),
  new RegExp(`\\b(title|placeHolder|prompt|saveLabel|openLabel|tooltip):\\s*${LITERAL}`),
  new RegExp(`\\.(title|placeholder|tooltip|text|detail) = ${LITERAL}`),
  new RegExp(`(withDelayedProgress|setStatusBarMessage)\\(\\s*${LITERAL}`),
  new RegExp(`createWebviewPanel\\([^,]+,\\s*${LITERAL}`),
  new RegExp(`userError\\(\\s*'[\\w-]+',\\s*${LITERAL}`),
  // State a webview shows (its busy line, its error line), and the webview page's title.
  new RegExp(`\\b(busy|error):\\s*['"\`][^'"\`$]*[A-Za-z]`),
  new RegExp(`webviewHtml\\(.*,\\s*${LITERAL}[^'"\`]*['"\`]\\)`),
];

test('runtime strings the extension shows go through vscode.l10n.t', () => {
  const files = sources(join(root, 'src', 'extension')).filter(
    (f) => !f.includes(`${join('src', 'extension', 'core')}`),
  );
  assert.ok(files.length > 20);
  const offenders: string[] = [];
  let wrapped = 0;
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      wrapped += (line.match(/vscode\.l10n\.t\(/g) ?? []).length;
      if (/^\s*(\/\/|\*)/.test(line) || /\/\/ l10n: /.test(line)) return; // a comment, or an explained exemption
      if (PATTERNS.some((re) => re.test(line)))
        offenders.push(`${relative(root, f)}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(offenders, [], "wrap these user-visible strings in vscode.l10n.t('… {0} …', args)");
  assert.ok(wrapped > 100, `only ${wrapped} vscode.l10n.t calls`);
});

test('l10n/bundle.l10n.json holds exactly the messages of every l10n.t call (node scripts/l10n-export.mjs)', () => {
  const { messages, problems } = collectMessages(root);
  assert.deepEqual(problems, [], 'the message of l10n.t must be a string literal (the bundle key)');
  assert.ok(messages.size > 400, `only ${messages.size} messages`);
  const bundle = JSON.parse(readFileSync(join(root, BUNDLE), 'utf8')) as Record<string, string>;
  const missing = [...messages.keys()].filter((k) => !(k in bundle));
  const stale = Object.keys(bundle).filter((k) => !messages.has(k));
  assert.deepEqual({ missing, stale }, { missing: [], stale: [] }, 'run node scripts/l10n-export.mjs');
  assert.equal(readFileSync(join(root, BUNDLE), 'utf8'), bundleText(messages), 'run node scripts/l10n-export.mjs');
  // Messages from all three places: the host, core/ and the webviews.
  for (const where of ['src/extension/commands', 'src/extension/core', 'src/webviews/apps'])
    assert.ok(
      [...messages.values()].some((w) => w.startsWith(where)),
      `no message from ${where}`,
    );
});

test('webview and core text goes through l10n.t (text nodes, title, aria-label, placeholder, hover Markdown)', () => {
  const offenders: string[] = [];
  let wrapped = 0;
  const webviews = sources(join(root, 'src', 'webviews')).filter((f) => !f.includes(join('webviews', 'protocol')));
  const core = sources(join(root, 'src', 'extension', 'core'));
  assert.ok(webviews.length > 15 && core.length > 15);
  for (const [files, scan] of [
    [webviews, webviewOffenders],
    [core, coreOffenders],
  ] as const)
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      wrapped += (text.match(/\bl10n\.t\(/g) ?? []).length;
      offenders.push(...scan(f, text).map((o) => `${relative(root, f)}:${o}`));
    }
  assert.deepEqual(offenders, [], "wrap these in l10n.t('… {0} …', args), or end the line with // l10n: <why not>");
  assert.ok(wrapped > 250, `only ${wrapped} l10n.t calls in the webviews and core`);
});

test('the scan finds what bypasses l10n.t, and passes symbols, allowed units and l10n.t itself', () => {
  const web = webviewOffenders(
    'x.ts',
    [
      "h('button', { id: 'train' }, 'Train');",
      "h('h2', {}, `Seed ${s}: ${n} chosen`);",
      "h('th', {}, '#', '×', l10n.t('Train'), 'ms', `${a} → ${b}`);",
      "h('button', { title: busy ? 'Busy' : l10n.t('Run'), 'aria-label': l10n.t('Run {0}', x) });",
      "h('input', { placeholder: 'hub id' });",
      'el.textContent = `${n} tokens`;',
      "el.setAttribute('aria-label', 'Close');",
      "row.append('Shaded by ' + name);",
      "h('td', {}, 'n'); // l10n: a symbol",
    ].join('\n'),
  );
  assert.deepEqual(
    web.map((o) => o.split(':')[0]),
    ['1', '2', '4', '5', '6', '7', '8'],
    web.join('\n'),
  );
  assert.ok(ALLOWED.has('ms'));
  const core = coreOffenders(
    'y.ts',
    [
      "import { x } from './two words';",
      'const a = `If masked: ${w}`;',
      "const b = l10n.t('If masked: {0}', w);",
      "const c = 'bertLens.entity1Background';",
      "const d = 'No other occurrence.';",
      'const e = `${x} of ${y}`; // l10n: numbers',
    ].join('\n'),
  );
  assert.deepEqual(
    core.map((o) => o.split(':')[0]),
    ['2', '5'],
    core.join('\n'),
  );
});

test('core text is translated through the installed translator (vscode.l10n.t in the host), English by default', () => {
  const model: hover.HoverModel = {
    word: 'bank',
    pieces: ['bank'],
    ids: [2924],
    layer: 4,
    norm: 12.5,
    vector: [0, 1],
    occurrences: [],
    modelId: 'mini-bert-uncased',
  };
  const english = hover.hoverMarkdown(model);
  assert.match(english, /^Pieces: `bank` \(2924\)$/m);
  assert.match(english, /^No other occurrence of this word in the document\.$/m);
  const fr: Record<string, string> = {
    'Pieces: {0}': 'Morceaux : {0}',
    'No other occurrence of this word in the document.': 'Aucune autre occurrence de ce mot dans le document.',
    'already downloaded': 'déjà téléchargé',
    '{0} (waiting for another download)': '{0} (en attente d’un autre téléchargement)',
  };
  const seen: string[] = [];
  setTranslator((message, ...args) => {
    seen.push(message);
    return (fr[message] ?? message).replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));
  });
  try {
    const md = hover.hoverMarkdown(model);
    assert.match(md, /^Morceaux : `bank` \(2924\)$/m);
    assert.match(md, /^Aucune autre occurrence de ce mot dans le document\.$/m);
    assert.match(md, /^Embedding \(layer 4\): norm 12\.50 `/m);
    assert.ok(seen.includes('Embedding (layer {0}): norm {1} `{2}`'));
    assert.equal(walkthrough.downloadSizeLabel({ cached: true }, '110 MB'), 'déjà téléchargé');
    assert.equal(
      downloadProgressMapper()({ file: 'model.onnx', loaded: 0, waiting: true } as never).message,
      'model.onnx (en attente d’un autre téléchargement)',
    );
  } finally {
    setTranslator(undefined);
  }
  assert.equal(hover.hoverMarkdown(model), english);
});
