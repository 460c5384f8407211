// The benchmark's command line (`npm run bench -- …`) and the machine it ran on.
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Device } from '../engine/api';
export interface Options {
  device: Device;
  runs: number;
  warmup: number;
  sentences: number;
  passes: number;
  writeDoc: boolean;
  /** --model: the at-scale benchmark on this folder (src/bench/scale.ts). */
  model?: string;
  baseline?: string;
  /** --embed-model: a feature-extraction export for the at-scale embeddings row. */
  embedModel?: string;
  child?: string;
  rounds: number;
  /** Re-render the at-scale tables from .bench/scale-results.json instead of measuring. */
  fromResults?: boolean;
  /** Run one part only ('gradients'). */
  only?: string;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = { device: 'cpu', runs: 50, warmup: 5, sentences: 256, passes: 5, writeDoc: true, rounds: 3 };
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? next();
    if (flag === '--device') o.device = value() as Device;
    else if (flag === '--runs') ((o.runs = Number(value())), (runsGiven = true));
    else if (flag === '--model') o.model = value();
    else if (flag === '--baseline') o.baseline = value();
    else if (flag === '--embed-model') o.embedModel = value();
    else if (flag === '--child') o.child = value();
    else if (flag === '--rounds') o.rounds = Number(value());
    else if (flag === '--warmup') o.warmup = Number(value());
    else if (flag === '--sentences') o.sentences = Number(value());
    else if (flag === '--passes') o.passes = Number(value());
    else if (flag === '--no-doc') o.writeDoc = false;
    else if (flag === '--from-results') o.fromResults = true;
    else if (flag === '--only') o.only = value();
    else if (flag === '--help' || flag === '-h') {
      console.log(
        'usage: node dist/bench.js [--device cpu|webgpu] [--runs 50] [--warmup 5] [--sentences 256] [--passes 3] [--no-doc] [--only gradients]\n       node dist/bench.js --model <folder> [--embed-model <feature-extraction folder>] [--baseline <built checkout>] [--rounds 3] [--runs 10] [--warmup 2] [--no-doc]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!['cpu', 'webgpu', 'cuda', 'dml', 'coreml'].includes(o.device)) throw new Error(`unknown device ${o.device}`);
  if (o.model && !runsGiven) ((o.runs = 10), (o.warmup = Math.min(o.warmup, 2)));
  if (o.model && !fs.existsSync(path.join(o.model, 'onnx', 'model.onnx')))
    throw new Error(
      `${o.model}: no onnx/model.onnx (make a BERT-base-sized one with: node scripts/make-bert-base.mjs)`,
    );
  return o;
}

export function machine(): {
  cpus: number;
  cpuModel: string;
  node: string;
  platform: string;
  date: string;
  memGiB: number;
} {
  let cpus = os.cpus().length;
  try {
    cpus = Number(execSync('nproc', { encoding: 'utf8' }).trim()) || cpus;
  } catch {
    /* keep os.cpus() */
  }
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    /* not Linux */
  }
  return {
    cpus,
    cpuModel,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    date: new Date().toISOString(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}
