// Fine-tuning benchmark: node scripts/bench-finetune.mjs [--rounds N] [--no-unfused] [--skip-throughput] [--train N] [--test N] [--epochs N] [--skip-token]
// Bundles src/engine/training/fineTuneBench.ts into .bench/ and runs it on the embedded model; prints Markdown.
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
const outfile = path.join(root, '.bench', 'finetune', 'bench-finetune.cjs');
const entry = `export * from './src/engine/training/fineTuneBench'; export { LoadedModel } from './src/engine/model';`;
buildSync({ stdin: { contents: entry, resolveDir: root, loader: 'ts' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, external: ['onnxruntime-node', 'onnxruntime-common', 'tokenizers'], logLevel: 'error' });
const b = createRequire(import.meta.url)(outfile);
const model = await b.LoadedModel.load('embedded/mini-bert-uncased', path.join(root, 'models', 'mini-bert-uncased'), 'fp32', 'cpu');
const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? '?'}), load average ${load} at start; Node ${process.version}`);
const t = process.argv.includes('--skip-throughput') ? undefined : await b.throughput(model, { rounds: Number(arg('rounds', '5')), compareUnfused: !process.argv.includes('--no-unfused') });
if (t) {
  const ms = (x) => x.toFixed(0);
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end; ${t.rounds} interleaved rounds; ${t.fusedLayerNorms} LayerNorms fused in the training graph\n`);
  console.log('| 128 tokens, batch 16, embedded model | examples/s | median ms per batch (session run + AdamW) | step / inference |\n| --- | --- | --- | --- |');
  console.log(`| inference (forward of the fine-tuning network) | ${t.inferenceExamplesPerSecond.toFixed(1)} | ${ms(t.ms.inference)} | |`);
  console.log(`| fine-tuning step (forward + backward + AdamW) | ${t.trainExamplesPerSecond.toFixed(1)} | ${ms(t.ms.step)} (${ms(t.ms.run)} + ${ms(t.ms.optimizer)}) | **${t.ratio.toFixed(2)}×** |`);
  if (t.unfused) console.log(`| the same step on the graph as exported (LayerNorms not fused) | ${t.unfused.trainExamplesPerSecond.toFixed(1)} | ${ms(t.unfused.ms.step)} (${ms(t.unfused.ms.run)} + ${ms(t.unfused.ms.optimizer)}) | ${t.unfused.ratio.toFixed(2)}× |`);
  console.log('');
}
if (!process.argv.includes('--skip-token')) {
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  const r = await b.tokenF1(model, { nTrain: Number(arg('train', '300')), nTest: Number(arg('test', '100')), epochs: Number(arg('epochs', '3')), frozenLr: Number(arg('frozen-lr', '1e-3')), frozenEpochs: Number(arg('frozen-epochs', arg('epochs', '3'))), skipFineTune: process.argv.includes('--skip-finetune'), log: (l) => process.stderr.write(`${l}\n`) });
  console.log(`Synthetic CoNLL-style set: ${r.data.train} train / ${r.data.val} validation / ${r.data.test} test sentences (test names and cities unseen)\n`);
  console.log('| model | entity P | R | F1 | int8 F1 | seconds |\n| --- | --- | --- | --- | --- | --- |');
  for (const [name, o] of [['fine-tuned (all layers, lr 1e-4)', r.fineTuned], [`frozen encoder, head only (lr ${arg('frozen-lr', '1e-3')}, ${arg('frozen-epochs', arg('epochs', '3'))} epochs)`, r.frozen]].filter(([, o]) => o)) console.log(`| ${name} | ${pct(o.metrics.precision)} | ${pct(o.metrics.recall)} | ${pct(o.metrics.f1)} | ${pct(o.quantizedMetrics.f1)} | ${o.seconds.toFixed(0)} |`);
  const m = r.frozen.baselines.majority_tag;
  console.log(`| majority tag per word | ${pct(m.precision)} | ${pct(m.recall)} | ${pct(m.f1)} | | |`);
}
await model.dispose();
