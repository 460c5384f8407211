// l10n: every user-visible string of the manifest is a %key% of package.nls.json (and every key is used), and
// the extension's user-visible runtime strings (notifications, QuickPick / InputBox / progress titles and
// placeholders, panel titles, error lines) go through vscode.l10n.t. English only for now: no bundle files, so
// package.json declares no "l10n" folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT as root } from '../helpers';

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
  // English only: no bundle folder declared (VS Code would look for l10n/bundle.l10n.<locale>.json there).
  assert.equal(pkg.l10n, undefined);
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

// A user-visible string written as a literal where VS Code shows it. `core/` is pure (no vscode import) and
// is exempt; webview apps localise nothing yet (their text is not covered here).
const LITERAL = /['"`]/.source;
const PATTERNS = [
  new RegExp(`show(Information|Warning|Error)Message\\(\\s*${LITERAL}`),
  new RegExp(`\\b(title|placeHolder|prompt|saveLabel|openLabel|tooltip):\\s*${LITERAL}`),
  new RegExp(`\\.(title|placeholder|tooltip|text|detail) = ${LITERAL}`),
  new RegExp(`(withDelayedProgress|setStatusBarMessage)\\(\\s*${LITERAL}`),
  new RegExp(`createWebviewPanel\\([^,]+,\\s*${LITERAL}`),
  new RegExp(`userError\\(\\s*'[\\w-]+',\\s*${LITERAL}`),
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
