// Bundles the unit tests (test/engine/**, test/extension-unit/**: *.test.ts|js|mjs) into out/test/ so that
// plain `node --test` runs them. Native modules stay external; tests find fixtures from the repository root.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test/engine', 'test/extension-unit'];
const files = [];
const walk = (d) => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.ts$/.test(n)) files.push(p);
  }
};
for (const r of roots) {
  try {
    walk(r);
  } catch {
    /* folder absent */
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
  external: ['vscode', 'onnxruntime-node', 'onnxruntime-common', 'tokenizers', '@huggingface/transformers', 'sharp', 'playwright-core'],
  sourcemap: 'inline',
  logLevel: 'warning',
});
console.log(`built ${files.length} test files into out/test`);
