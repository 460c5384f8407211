// Loads a TypeScript module of the extension's pure logic in plain Node: esbuild bundles it (no 'vscode'
// allowed — the bundle fails if one sneaks in) into a temporary .mjs file that is then imported.
import { build } from 'esbuild';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'bert-lens-unit-'));
let n = 0;

export async function loadTs(relativePath) {
  const entry = resolve(import.meta.dirname, '../..', relativePath);
  const out = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', write: false, logLevel: 'silent' });
  const file = join(dir, `m${n++}.mjs`);
  writeFileSync(file, out.outputFiles[0].text);
  return import(pathToFileURL(file).href);
}
