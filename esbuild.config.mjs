// Two kinds of bundle: Node (CommonJS) for the extension host, the engine worker, the CLI and the benchmark;
// browser (ESM) for each webview app under src/webviews/apps/<name>/main.ts. Type checking is `tsc --noEmit`.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
// Native addons stay outside the bundle and load from node_modules at run time.
const nativeExternals = ['vscode', 'onnxruntime-node', 'onnxruntime-common', 'tokenizers', '@huggingface/transformers', 'sharp'];

const nodeEntries = {
  extension: 'src/extension/extension.ts',
  engineWorker: 'src/engine/worker/engineWorker.ts',
  cli: 'src/cli/main.ts',
  bench: 'src/bench/bench.ts',
};
const nodeBuild = {
  entryPoints: Object.fromEntries(Object.entries(nodeEntries).filter(([, p]) => existsSync(p))),
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
const apps = existsSync(appsDir)
  ? readdirSync(appsDir).filter((d) => existsSync(`${appsDir}/${d}/main.ts`))
  : [];
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

const builds = [nodeBuild, ...(apps.length ? [webBuild] : [])];
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
