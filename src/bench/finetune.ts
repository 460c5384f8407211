// `npm run bench:finetune -- [--rounds N] [--block N] [--repeat N] [--no-unfused] [--train N] [--test N] [--epochs N] [--frozen-lr X] [--frozen-epochs N]
//   [--skip-throughput] [--skip-token] [--skip-finetune] [--unweighted]`: the fine-tuning measurements of docs/training.md
// (fineTuneBench.ts) on the embedded model; prints Markdown. Throughput is a ratio measured within one run.
import * as os from 'node:os';
import * as path from 'node:path';
import { LoadedModel } from '../engine/model';
import type { TaskMetrics } from '../engine/training/fineTune';
import { throughput, tokenF1 } from './fineTuneBench';

/** Entity-level metrics (token classification). */
const entity = (m: TaskMetrics | undefined) =>
  (m ?? { precision: NaN, recall: NaN, f1: NaN }) as { precision: number; recall: number; f1: number };

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const has = (flag: string) => argv.includes(`--${flag}`);

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const model = await LoadedModel.load(
    'embedded/mini-bert-uncased',
    path.join(root, 'models', 'mini-bert-uncased'),
    'fp32',
    'cpu',
  );
  const load = os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  console.log(
    `${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? '?'}), load average ${load} at start; Node ${process.version}`,
  );
  const measure = () =>
    throughput(model, {
      rounds: Number(arg('rounds', '5')),
      block: Number(arg('block', '3')),
      compareUnfused: !has('no-unfused'),
    });
  const t = has('skip-throughput') ? undefined : await measure();
  // --repeat N: the whole measurement N times in a row (the first one is the table below), then each run's ratio
  // and their spread — the machine's state moves within minutes, and one run's ratio with it.
  const repeat = Math.max(1, Math.floor(Number(arg('repeat', '1'))));
  const runs = t ? [t] : [];
  for (let i = 1; t && i < repeat; i++) runs.push(await measure());
  if (t) {
    const ms = (x: number) => x.toFixed(0);
    console.log(
      `load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(
          ' ',
        )} at the end; ${t.rounds} interleaved rounds of ${t.block} calls per side; ${t.fusedLayerNorms} LayerNorms and ${t.fusedLinears} linear layers fused in the training graph\n`,
    );
    console.log(
      '| 128 tokens, batch 16, embedded model | examples/s | median ms per batch (session run + AdamW) | step / inference |\n| --- | --- | --- | --- |',
    );
    console.log(
      `| inference (forward of the fine-tuning network) | ${t.inferenceExamplesPerSecond.toFixed(1)} | ${ms(t.ms.inference)} | |`,
    );
    console.log(
      `| fine-tuning step (forward + backward + AdamW) | ${t.trainExamplesPerSecond.toFixed(1)} | ${ms(t.ms.step)} (${ms(t.ms.run)} + ${ms(t.ms.optimizer)}) | **${t.ratio.toFixed(2)}×** |`,
    );
    if (t.unfused)
      console.log(
        `| the same step on the graph as exported (LayerNorms and linears not fused) | ${t.unfused.trainExamplesPerSecond.toFixed(1)} | ${ms(t.unfused.ms.step)} (${ms(t.unfused.ms.run)} + ${ms(t.unfused.ms.optimizer)}) | ${t.unfused.ratio.toFixed(2)}× |`,
      );
    console.log('');
    if (runs.length > 1) {
      const ratios = runs.map((x) => x.ratio);
      const sorted = [...ratios].sort((a, b) => a - b);
      const med =
        sorted.length % 2
          ? sorted[(sorted.length - 1) / 2]
          : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
      console.log('| run | inference ms | step ms (run + AdamW) | step / inference |\n| --- | --- | --- | --- |');
      runs.forEach((x, i) =>
        console.log(
          `| ${i + 1} | ${ms(x.ms.inference)} | ${ms(x.ms.step)} (${ms(x.ms.run)} + ${ms(x.ms.optimizer)}) | ${x.ratio.toFixed(2)}× |`,
        ),
      );
      console.log(
        `\n${runs.length} runs: step / inference ${sorted[0].toFixed(2)}–${sorted[sorted.length - 1].toFixed(2)}×, median ${med.toFixed(2)}×; ${ratios.filter((r) => r <= 4).length} of ${runs.length} within 4×\n`,
      );
    }
  }
  if (!has('skip-token')) {
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const r = await tokenF1(model, {
      nTrain: Number(arg('train', '300')),
      nTest: Number(arg('test', '100')),
      epochs: Number(arg('epochs', '3')),
      frozenLr: Number(arg('frozen-lr', '1e-3')),
      frozenEpochs: Number(arg('frozen-epochs', arg('epochs', '3'))),
      skipFineTune: has('skip-finetune'),
      unweighted: has('unweighted'),
      log: (l: string) => process.stderr.write(`${l}\n`),
    });
    console.log(
      `Synthetic CoNLL-style set: ${r.data.train} train / ${r.data.val} validation / ${r.data.test} test sentences (test names and cities unseen)\n`,
    );
    console.log('| model | entity P | R | F1 | int8 F1 | seconds |\n| --- | --- | --- | --- | --- | --- |');
    const rows = [
      ['fine-tuned (all layers, lr 1e-4, per-tag class weights)', r.fineTuned],
      ['fine-tuned, unweighted (class weights none)', r.unweighted],
      [
        `frozen encoder, head only (lr ${arg('frozen-lr', '1e-3')}, ${arg('frozen-epochs', arg('epochs', '3'))} epochs)`,
        r.frozen,
      ],
    ] as const;
    for (const [name, o] of rows)
      if (o)
        console.log(
          `| ${name} | ${pct(entity(o.metrics).precision)} | ${pct(entity(o.metrics).recall)} | ${pct(entity(o.metrics).f1)} | ${pct(entity(o.quantizedMetrics).f1)} | ${o.seconds.toFixed(0)} |`,
        );
    const m = entity(r.frozen.baselines.majority_tag);
    console.log(`| majority tag per word | ${pct(m.precision)} | ${pct(m.recall)} | ${pct(m.f1)} | | |`);
  }
  await model.dispose();
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
