// Writes l10n/bundle.l10n.json: every message of a `vscode.l10n.t(…)` / `l10n.t(…)` call under src/ (the extension
// host, its pure core/ modules and the webviews), as VS Code's bundle format (English message → English text), so a
// translator copies it to bundle.l10n.<locale>.json and translates the values. Keys in the format of
// @vscode/l10n-dev's export (the English message itself), sorted; this script avoids that dependency.
//   node scripts/l10n-export.mjs          write the bundle
//   node scripts/l10n-export.mjs --check  exit 1 if the bundle is out of date (the unit test checks the same)
import ts from 'typescript';
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';

export const BUNDLE = 'l10n/bundle.l10n.json';

function sources(dir) {
  const out = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** `x.l10n.t(` or `l10n.t(`. */
function isL10nCall(node) {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return false;
  const callee = node.expression;
  if (callee.name.text !== 't') return false;
  const obj = callee.expression;
  return (
    (ts.isIdentifier(obj) && obj.text === 'l10n') || (ts.isPropertyAccessExpression(obj) && obj.name.text === 'l10n')
  );
}

/** Every message of the l10n.t calls under `root`/src, and the calls whose message is not a literal. */
export function collectMessages(root) {
  const messages = new Map();
  const problems = [];
  for (const file of sources(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('l10n.t(')) continue;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const visit = (node) => {
      if (isL10nCall(node)) {
        const arg = node.arguments[0];
        const where = `${relative(root, file)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        if (arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg))) {
          if (!messages.has(arg.text)) messages.set(arg.text, where);
        } else problems.push(`${where}: ${node.getText().slice(0, 100)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { messages, problems };
}

/** The bundle's text: messages sorted, each its own English translation. */
export function bundleText(messages) {
  const keys = [...messages.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, k])), null, 2) + '\n';
}

// Run as a script (the unit test imports the functions; no import.meta, so that it bundles as CommonJS too).
if (/l10n-export\.mjs$/.test(process.argv[1] ?? '')) {
  const ROOT = join(dirname(process.argv[1]), '..');
  const { messages, problems } = collectMessages(ROOT);
  if (problems.length) {
    console.error(`l10n-export: the message of l10n.t must be a string literal:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  const text = bundleText(messages);
  const path = join(ROOT, BUNDLE);
  if (process.argv.includes('--check')) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
      console.error(`l10n-export: ${BUNDLE} is out of date; run node scripts/l10n-export.mjs`);
      process.exit(1);
    }
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`l10n-export: ${messages.size} messages in ${BUNDLE}`);
  }
}
