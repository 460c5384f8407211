// The command table (src/cli/commands): strict options per command, --help from the table, and dispatch — an
// unknown option is one line naming it and the command's options (exit 2), `train --mode fine-tune` fine-tunes.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { parseCommandLine } from '../../src/cli/args';
import { GLOBAL_OPTIONS } from '../../src/cli/command';
import { COMMANDS } from '../../src/cli/commands';
import { ROOT, fixture, readJson } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-cli-commands-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'bert-lens.js'), ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
}

test("an unknown option is one line naming it and the command's options, exit 2, nothing on stdout", () => {
  const r = cli(['fill-mask', '--frobnicate', '3', 'a [MASK].']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0],
    /^bert-lens: unknown option --frobnicate for fill-mask\. Its options: --top-k, --targets, --span, and the global --model, /,
  );
  // Another command's option is unknown here too (it used to be ignored).
  const t = cli(['tokenize', '--top-k', '3', 'a b']);
  assert.equal(t.status, 2);
  assert.match(t.stderr, /^bert-lens: unknown option --top-k for tokenize\. Its options: --pair, and the global /);
});

test('parsing: values that start with a dash, --name=value, text after --, options before the command', () => {
  const a = parseCommandLine(['--json', 'embed', '--layer', '-1', '--pooling=mean', '- a text'], COMMANDS);
  assert.deepEqual(a, {
    command: 'embed',
    positionals: ['- a text'],
    options: { json: true, layer: '-1', pooling: 'mean' },
  });
  const b = parseCommandLine(['tokenize', '--pair', 'b', '--', '--not-an-option'], COMMANDS);
  assert.deepEqual(b, { command: 'tokenize', positionals: ['--not-an-option'], options: { pair: 'b' } });
  const c = parseCommandLine(['nsp', 'first', 'second', '-h'], COMMANDS);
  assert.deepEqual(c, { command: 'nsp', positionals: ['first', 'second'], options: { help: true } });
  assert.throws(() => parseCommandLine(['embed', '--layer'], COMMANDS), /^Error: --layer needs a value\.$/);
  assert.throws(() => parseCommandLine(['embed', '--json=yes', 'x'], COMMANDS), /--json is a flag; it takes no value/);
});

test("--help: the table lists every command; a command's help shows its usage and options", () => {
  const g = cli(['--help']);
  assert.equal(g.status, 0);
  for (const c of COMMANDS) assert.ok(g.stdout.includes(`  ${c.usage.split('\n')[0]}`), c.name);
  const f = cli(['saliency', '--help']);
  assert.equal(f.status, 0);
  assert.match(f.stdout, /^Usage: bert-lens saliency TEXT \[--method grad-l2\|grad-input\|integrated-gradients\]/);
  assert.match(
    f.stdout,
    /Options of saliency: --method VALUE --steps VALUE --target VALUE --label VALUE --position VALUE --pair VALUE --question VALUE\n/,
  );
  assert.doesNotMatch(f.stdout, /fill-mask/);
  // Command names are unique, and no command redefines a global option.
  assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
  for (const c of COMMANDS)
    for (const o of Object.keys(c.options)) assert.ok(!(o in GLOBAL_OPTIONS), `${c.name} --${o}`);
});

test('train --mode fine-tune fine-tunes the encoder (not the frozen head) and prints the table on stderr with --json', () => {
  const rows = ['text,label'];
  const POS = ['good', 'great', 'fine', 'nice', 'happy', 'love'];
  const NEG = ['bad', 'awful', 'poor', 'sad', 'hate', 'wrong'];
  for (let i = 0; i < 12; i++) rows.push(`"a ${POS[i % 6]} day",pos`, `"a ${NEG[i % 6]} day",neg`);
  const csv = path.join(tmp, 'sentiment.csv');
  fs.writeFileSync(csv, rows.join('\n') + '\n');
  const out = path.join(tmp, 'ft-out');
  const r = cli([
    'train',
    '--mode',
    'fine-tune',
    '--data',
    csv,
    '--model',
    fixture('bert-mlm'),
    '--epochs',
    '1',
    '--batch-size',
    '8',
    '--seed',
    '3',
    '--split-seed',
    '9',
    '--output',
    out,
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.mode, 'fine-tune');
  assert.equal(j.seed, 3);
  assert.equal(j.split_seed, 9);
  assert.equal(j.task, 'sequence');
  assert.equal(j.epochs, 1);
  assert.equal(j.output, out);
  assert.deepEqual(Object.keys(j.history[0]), ['epoch', 'train_loss', 'val_metric']);
  assert.equal(j.train_layers, 'all');
  // The saved folder is a full fine-tuned model (fp32 graph), with the report of this run.
  assert.ok(fs.existsSync(path.join(out, 'onnx', 'model.onnx')));
  assert.deepEqual(readJson(path.join(out, 'training-report.json')).history, j.history);
  // The table comes from src/cli/trainTables.ts, on stderr in --json mode, with this run's numbers.
  assert.match(r.stderr, new RegExp(`test split \\(${j.test_size} examples; trained on ${j.train_size}\\):`));
  assert.match(r.stderr, /\nfine-tuned \(fp32\) {3}accuracy +[\d.]+% {2}macro-F1 +[\d.]+%\n/);
  assert.match(r.stderr, /\nmajority class {6}accuracy/);
  assert.ok(r.stderr.includes(`Saved to ${out} (`));
  // The frozen mode has one seed for the split and the head: --split-seed there is one line, exit 2.
  const f = cli(['train', '--mode', 'frozen', '--data', csv, '--model', fixture('bert-mlm'), '--split-seed', '9']);
  assert.equal(f.status, 2);
  assert.equal(
    f.stderr.trim(),
    "bert-lens: --split-seed is for --mode fine-tune; in the frozen mode --seed sets the split (and the head's start).",
  );
});
