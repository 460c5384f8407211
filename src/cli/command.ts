// The shape of a CLI command: each command is a module under commands/ exporting one `Command`; the table in
// commands/index.ts drives parsing (args.ts, node:util parseArgs, strict), `--help` and dispatch (main.ts).
import type { EngineClient } from '../engine/client';
import type { ParsedArgs } from './args';
import type { ChunkSink } from './jsonWriter';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Raw chunks for --json output (streamed); without it, --json goes through `out` as one line. */
  write?: ChunkSink;
}

/** One option: `--name VALUE` (string) or the flag `--name` (boolean). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
}

export type Options = Record<string, OptionSpec>;

export interface Command {
  name: string;
  /** The usage line(s) shown in `bert-lens --help` and `bert-lens NAME --help`. */
  usage: string;
  /** The command's own options; the global ones (GLOBAL_OPTIONS) are accepted by every command. */
  options: Options;
  /** Load the model of --model first (download progress and the provider note come before results). */
  loadsModel?: boolean;
  run(args: ParsedArgs, io: Io, client: EngineClient): Promise<number>;
}

const str: OptionSpec = { type: 'string' };
const flag: OptionSpec = { type: 'boolean' };

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Options = {
  model: str,
  variant: str,
  device: str,
  offline: flag,
  'cache-dir': str,
  endpoint: str,
  revision: str,
  json: flag,
  verbose: flag,
  help: { type: 'boolean', short: 'h' },
};

/** Shorthands for command option tables. */
export const opt = { str, flag };
