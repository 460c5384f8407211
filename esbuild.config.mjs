// Two kinds of bundle: Node (CommonJS) for the extension host, the engine worker, the CLI and the benchmark;
// browser (ESM) for each webview app under src/webviews/apps/<name>/main.ts. Type checking is `tsc --noEmit`.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
// Native addons stay outside the bundle and load from node_modules at run time.
const nativeExternals = [
  'vscode',
  'onnxruntime-node',
  'onnxruntime-common',
  'tokenizers',
  '@huggingface/transformers',
  'sharp',
];

const nodeEntries = {
  extension: 'src/extension/extension.ts',
  engineWorker: 'src/engine/worker/engineWorker.ts',
  cli: 'src/cli/main.ts',
  bench: 'src/bench/bench.ts',
  benchCausal: 'src/bench/causal.ts',
  benchTraining: 'src/bench/training.ts',
  benchFinetune: 'src/bench/finetune.ts',
};
// A missing entry point is an error, never a bundle silently left out.
const missing = (paths) => paths.filter((p) => !existsSync(p));
const fail = (what) => {
  console.error(`esbuild.config.mjs: ${what}`);
  process.exit(1);
};
if (missing(Object.values(nodeEntries)).length)
  fail(`missing entry point(s): ${missing(Object.values(nodeEntries)).join(', ')}`);
const nodeBuild = {
  entryPoints: nodeEntries,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outdir: 'dist',
  external: nativeExternals,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

const appsDir = 'src/webviews/apps';
if (!existsSync(appsDir)) fail(`missing ${appsDir}`);
const apps = readdirSync(appsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
if (!apps.length) fail(`no webview apps in ${appsDir}`);
if (missing(apps.map((a) => `${appsDir}/${a}/main.ts`)).length)
  fail(`webview app(s) without main.ts: ${missing(apps.map((a) => `${appsDir}/${a}/main.ts`)).join(', ')}`);
const webBuild = {
  entryPoints: Object.fromEntries(apps.map((a) => [a, `${appsDir}/${a}/main.ts`])),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  outdir: 'dist/webviews',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  loader: { '.css': 'text' },
};

const builds = [nodeBuild, webBuild];
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
