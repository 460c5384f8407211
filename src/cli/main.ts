// bert-lens: the command-line front end. It runs the same engine as the extension, in its worker thread through
// the worker client (`train --mode fine-tune` is the one exception: in-process, see commands/train.ts), prints
// tables by default and stable JSON with --json. Each command is a module in commands/; the table there drives
// parsing, --help and dispatch.
import { EngineClient } from '../engine/client';
import { EngineError, formatError } from '../engine/errors';
import { type ParsedArgs, UsageError, parseCommandLine } from './args';
import { type Command, GLOBAL_OPTIONS, type Io } from './command';
import { COMMANDS } from './commands';
import { isJson, specFrom } from './common';
import { streamSink } from './jsonWriter';

export type { Io } from './command';

const GLOBAL_HELP = `Options:
  --model <folder|hub id>   default: the embedded mini-bert-uncased
  --variant fp32|quantized|fp16
  --device cpu|webgpu|cuda|dml|coreml   falls back to cpu when unavailable
  --offline                 never touch the network
  --cache-dir DIR           Hugging Face hub cache (default ~/.cache/huggingface/hub)
  --json                    machine-readable output
  --verbose                 log to stderr

Offsets in --json output are Unicode code points (Python's string indices).`;

const USAGE = `bert-lens — explore BERT-family models locally (ONNX Runtime, no Python)

Usage: bert-lens <command> [options] TEXT      (bert-lens <command> --help for one command)

Commands:
${COMMANDS.map((c) => `  ${c.usage}\n`).join('')}
${GLOBAL_HELP}`;

/** `bert-lens NAME --help`: the command's usage, its options, and the global ones. */
export function commandHelp(c: Command): string {
  const own = Object.entries(c.options).map(([n, o]) => `--${n}${o.type === 'string' ? ' VALUE' : ''}`);
  return `Usage: bert-lens ${c.usage}\n\n${own.length ? `Options of ${c.name}: ${own.join(' ')}\n` : ''}Global options: ${Object.keys(
    GLOBAL_OPTIONS,
  )
    .map((n) => `--${n}`)
    .join(' ')}\n\n${GLOBAL_HELP}`;
}

export async function run(argv: string[], io: Io, client: EngineClient): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseCommandLine(argv, COMMANDS);
  } catch (e) {
    io.err(`bert-lens: ${(e as Error).message}`);
    return 2;
  }
  const command = COMMANDS.find((c) => c.name === args.command);
  if (args.command !== undefined && !command) {
    io.err(`bert-lens: unknown command "${args.command}". Run bert-lens --help for the list.`);
    return 2;
  }
  if (!command || args.options.help) {
    io.out(command ? commandHelp(command) : USAGE);
    return command || args.options.help ? 0 : 2;
  }
  const json = isJson(args);
  const spec = specFrom(args);
  const dev = spec.device;
  if (dev && !['cpu', 'webgpu', 'cuda', 'dml', 'coreml'].includes(dev)) {
    io.err(`bert-lens: unknown device "${dev}". Use one of: cpu, webgpu, cuda, dml, coreml.`);
    return 2;
  }
  if (spec.variant && !['fp32', 'quantized', 'fp16'].includes(spec.variant)) {
    io.err(`bert-lens: unknown variant "${spec.variant}". Use fp32, quantized or fp16.`);
    return 2;
  }
  let lastFile = '';
  const onProgress = (p: { file?: string; loaded?: number; total?: number; waiting?: boolean; message?: string }) => {
    if (!p.file || json) return;
    if (p.waiting) {
      io.err(p.message ?? `waiting for another download of ${p.file}`);
      return;
    }
    if (p.file !== lastFile) {
      lastFile = p.file;
      io.err(`downloading ${p.file}${p.total ? ` (${(p.total / 1e6).toFixed(1)} MB)` : ''}`);
    }
  };
  try {
    // Load first, so that download progress and the provider note come before results.
    if (command.loadsModel) {
      const summary = await client.loadModel(spec, { onProgress });
      if (summary.fallbackReason && !json) io.err(`note: ${summary.fallbackReason}`);
    }
    return await command.run(args, io, client);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`bert-lens: ${e.message}`);
      return 2;
    }
    if (e instanceof EngineError) {
      if (json) io.err(JSON.stringify({ error: e.toJSON() }));
      io.err(`bert-lens: ${formatError(e)}`);
      return 1;
    }
    io.err(`bert-lens: unexpected error: ${(e as Error).message ?? e}`);
    return 1;
  }
}

/** Entry from bin/bert-lens.js (and `node dist/cli.js`). */
export function main(): void {
  // A reader that stops early (`| head`) closes the pipe: end quietly instead of an unhandled EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') console.error(`bert-lens: cannot write the output: ${err.message}`);
    process.exit(err.code === 'EPIPE' ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : 1);
  });
  const client = new EngineClient({
    logger: process.argv.includes('--verbose')
      ? { info: (m) => console.error(m), warn: (m) => console.error(m), error: (m) => console.error(m) }
      : { info() {}, warn() {}, error() {} },
  });
  run(
    process.argv.slice(2),
    { out: (l) => console.log(l), err: (l) => console.error(l), write: streamSink(process.stdout) },
    client,
  ).then(async (code) => {
    await client.dispose();
    process.exitCode = code;
  });
}

if (require.main === module) main();
