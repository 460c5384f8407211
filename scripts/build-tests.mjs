// Bundles the unit tests (test/engine, test/cli, test/extension, test/webviews: *.test.ts and *.test.mjs) with the TypeScript
// sources they import into out/test/ (CommonJS), so that plain `node --test out/test/` runs them: the one way tests
// load TypeScript. Packages stay external; tests find fixtures from the repository root (test/helpers.ts).
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['test/engine', 'test/cli', 'test/extension', 'test/webviews'];
const files = [];
const walk = (d) => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.(ts|mjs)$/.test(n)) files.push(p);
  }
};
// A missing test folder, or one without tests, is an error: a typo must not pass as "no tests".
for (const r of roots) {
  if (!existsSync(r) || !statSync(r).isDirectory()) {
    console.error(`build-tests: no test folder ${r}`);
    process.exit(1);
  }
  const before = files.length;
  walk(r);
  if (files.length === before) {
    console.error(`build-tests: no *.test.ts or *.test.mjs files under ${r}`);
    process.exit(1);
  }
}
rmSync('out/test', { recursive: true, force: true });
await esbuild.build({
  entryPoints: files,
  outbase: 'test',
  outdir: 'out/test',
  outExtension: { '.js': '.cjs' },
  entryNames: '[dir]/[name]',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Packages (native addons, ESLint…) load from node_modules at run time; only the repository's sources are bundled.
  packages: 'external',
  external: ['vscode'],
  // Webview apps import their stylesheets as text, as esbuild.config.mjs bundles them (test/webviews/l10n.test.ts).
  loader: { '.css': 'text' },
  sourcemap: 'inline',
  logLevel: 'warning',
});
console.log(`built ${files.length} test files into out/test`);
