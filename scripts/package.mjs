// Builds a platform-specific .vsix: the production bundles, the embedded int8 model with its card, and only
// the native binaries the target needs (onnxruntime-node, onnxruntime-common, tokenizers). Files are staged
// in .package/<target>/ and packed there with `vsce package --target <target>`, so no
// sources, tests, source maps or other platforms' binaries can slip in.
//   node scripts/package.mjs [--target linux-x64] [--out bert-lens-linux-x64.vsix]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const target = arg('target', `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}`);
const out = resolve(root, arg('out', 'bert-lens.vsix'));
const [plat, arch] = target.split('-');

// onnxruntime-node ships bin/napi-v6/<platform>/<arch>; tokenizers ships tokenizers.<triple>.node.
const TOKENIZERS = {
  'linux-x64': 'linux-x64-gnu',
  'linux-arm64': 'linux-arm64-gnu',
  'alpine-x64': 'linux-x64-musl',
  'alpine-arm64': 'linux-arm64-musl',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-x64-msvc',
  'win32-arm64': 'win32-arm64-msvc',
};
if (!TOKENIZERS[target]) throw new Error(`unsupported target ${target}; one of ${Object.keys(TOKENIZERS).join(', ')}`);
const ortPlat = plat === 'alpine' ? 'linux' : plat;
const ortBin = join('node_modules/onnxruntime-node/bin/napi-v6', ortPlat, arch);
if (!existsSync(join(root, ortBin)))
  throw new Error(`onnxruntime-node has no binary for ${target} (${ortBin}); e.g. macOS x64 was dropped in 1.24`);

execFileSync(process.execPath, ['esbuild.config.mjs', '--production'], { cwd: root, stdio: 'inherit' });

const stage = join(root, '.package', target);
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const copy = (rel, dest = rel) => {
  const from = join(root, rel);
  if (!existsSync(from)) throw new Error(`missing ${rel}`);
  mkdirSync(dirname(join(stage, dest)), { recursive: true });
  cpSync(from, join(stage, dest), { recursive: true });
};

for (const f of ['dist/extension.js', 'dist/engineWorker.js']) copy(f);
for (const f of readdirSync(join(root, 'dist/webviews'))) if (f.endsWith('.js')) copy(`dist/webviews/${f}`);
// Both variants: inference uses int8 (the extension asks for 'quantized'); gradients (saliency, fine-tuning) need
// the fp32 graph, so it ships too (~29 MB) and explanations work offline from the first minute.
for (const f of [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
  'MODEL_CARD.md',
  'onnx/model_quantized.onnx',
  'onnx/model.onnx',
]) {
  if (existsSync(join(root, 'models/mini-bert-uncased', f))) copy(`models/mini-bert-uncased/${f}`);
}
copy('media');
// The marketplace page, the licence and the change log are required: no stand-ins.
for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md']) copy(f);
// The manifest's %key% strings (titles, walkthrough, settings) and their translations.
for (const f of readdirSync(root)) if (/^package\.nls(\.[\w-]+)?\.json$/.test(f)) copy(f);
copy('l10n'); // the runtime strings' bundle: English, translations go next to it as bundle.l10n.<locale>.json
if (existsSync(join(root, 'docs/images'))) copy('docs/images');
copy('node_modules/onnxruntime-node/package.json');
copy('node_modules/onnxruntime-node/dist');
copy(ortBin);
copy('node_modules/onnxruntime-common/package.json');
copy('node_modules/onnxruntime-common/dist/cjs');
copy('node_modules/tokenizers/package.json');
copy('node_modules/tokenizers/index.js');
copy(`node_modules/tokenizers/tokenizers.${TOKENIZERS[target]}.node`);
// onnxruntime-node's other dependencies (adm-zip, global-agent) serve only its install script: drop them and
// the script from the staged manifest so `npm list` (which vsce runs) sees a complete tree.
const ortPkgPath = join(stage, 'node_modules/onnxruntime-node/package.json');
const ortPkg = JSON.parse(readFileSync(ortPkgPath, 'utf8'));
ortPkg.dependencies = { 'onnxruntime-common': ortPkg.dependencies['onnxruntime-common'] };
delete ortPkg.scripts;
writeFileSync(ortPkgPath, JSON.stringify(ortPkg, null, 2));

// The manifest without build-time fields.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
delete pkg.scripts;
delete pkg.devDependencies;
delete pkg.bin;
for (const [field, url] of [
  ['repository.url', pkg.repository?.url],
  ['bugs.url', pkg.bugs?.url],
  ['homepage', pkg.homepage],
]) {
  if (!/^https:\/\/\S+$/.test(url ?? '')) throw new Error(`package.json needs ${field} (an https URL)`);
}
pkg.dependencies = {
  'onnxruntime-node': pkg.dependencies['onnxruntime-node'],
  tokenizers: pkg.dependencies.tokenizers,
};
// Fail early if the bundles need a package this script does not stage.
for (const f of ['dist/extension.js', 'dist/engineWorker.js']) {
  for (const [, m] of readFileSync(join(root, f), 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) {
    // Node's built-ins may be required without the node: prefix (bundled undici requires 'string_decoder').
    if (!m.startsWith('node:') && !builtinModules.includes(m) && m !== 'vscode' && !(m in pkg.dependencies))
      throw new Error(`${f} requires ${m}, which is not packaged`);
  }
}
writeFileSync(join(stage, 'package.json'), JSON.stringify(pkg, null, 2));
// Everything staged is meant to ship (vsce collects the staged node_modules through `npm list`).
writeFileSync(join(stage, '.vscodeignore'), '**/*.map\n**/*.d.ts\n');

const vsce = join(root, 'node_modules/@vscode/vsce/vsce');
execFileSync(process.execPath, [vsce, 'package', '--target', target, '-o', out], { cwd: stage, stdio: 'inherit' });
// What ships, as vsce lists it (docs/packaging.md records it): `node scripts/package.mjs --list`.
if (process.argv.includes('--list')) execFileSync(process.execPath, [vsce, 'ls'], { cwd: stage, stdio: 'inherit' });
console.log(`packaged ${out} for ${target}`);
