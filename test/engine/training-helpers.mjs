// Loads the training engine's TypeScript sources for the tests: esbuild bundles them once per process into a
// CommonJS file under the OS temp folder (native addons stay external). Not a test itself.
import { buildSync } from 'esbuild';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
let cached;

export function training() {
  if (cached) return cached;
  const modules = ['csv', 'data', 'dataChecks', 'split', 'metrics', 'tfidf', 'heads', 'features', 'train', 'extractor', 'featureCache', 'onnxHead', 'save', 'report', 'trainCommand', 'methods', 'random', 'discover', 'session', 'longTexts'];
  const existing = modules.filter((m) => fs.existsSync(path.join(root, 'src/engine/training', `${m}.ts`)));
  const contents =
    existing.map((m) => `export * as ${m} from './src/engine/training/${m}';`).join('\n') +
    `\nexport * as errors from './src/engine/errors';\nexport { LoadedModel } from './src/engine/model';\nexport { Engine } from './src/engine/engine';\nexport * as runtime from './src/engine/runtime';\nexport * as classifyTask from './src/engine/tasks/sequenceClassification';\n`;
  const outfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-training-test-')), 'training.cjs');
  buildSync({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'training-test-entry.ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    external: ['onnxruntime-node', 'onnxruntime-common', 'tokenizers', 'vscode'],
    logLevel: 'error',
    nodePaths: [path.join(root, 'node_modules')],
  });
  // The bundle lives outside the repository: resolve native modules from the repository's node_modules.
  const src = fs.readFileSync(outfile, 'utf8').replace(/require\("(onnxruntime-node|tokenizers)"\)/g, (_, m) => `require(${JSON.stringify(require.resolve(m))})`);
  fs.writeFileSync(outfile, src);
  cached = require(outfile);
  return cached;
}

export function tmpDir(prefix = 'bert-lens-training-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fake feature extractor: a bag of hashed words, deterministic and instant. */
export function fakeExtractor(dim = 16) {
  return {
    key: `fake-${dim}`,
    dim,
    calls: 0,
    async embedBatch(texts, pairs, opts = {}) {
      this.calls++;
      const out = texts.map((t, i) => {
        const v = new Float32Array(dim);
        for (const w of `${t} ${pairs?.[i] ?? ''}`.toLowerCase().split(/\W+/).filter(Boolean)) {
          let h = 2166136261;
          for (const ch of w) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
          v[h % dim] += 1;
        }
        return v;
      });
      opts.onBatch?.(texts.length, texts.length);
      return out;
    },
  };
}
