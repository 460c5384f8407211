// Command-line parsing, driven by the command table: `node:util` parseArgs in strict mode over the command's
// options plus the global ones. `--name value`, `--name=value`, boolean flags and positionals; an option's value
// may start with a dash (`--layer -1`), and any other argument is a positional (text such as "- a [MASK].").
import { parseArgs as nodeParseArgs } from 'node:util';
import type { Command, Options } from './command';
import { GLOBAL_OPTIONS } from './command';

export interface ParsedArgs {
  command?: string;
  positionals: string[];
  options: Record<string, string | true>;
}

export class UsageError extends Error {}

const optionName = (a: string) => {
  const eq = a.indexOf('=');
  return eq > 0 ? a.slice(2, eq) : a.slice(2);
};

/** Splits argv into option tokens and positionals. `valueOption(name)` says whether `--name` takes the next argument
 *  as its value. */
function split(
  argv: string[],
  valueOption: (name: string) => boolean,
): { optionTokens: string[]; positionals: string[]; firstAt: number } {
  const optionTokens: string[] = [];
  const positionals: string[] = [];
  let firstAt = -1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      if (firstAt < 0 && i + 1 < argv.length) firstAt = i + 1;
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') || a === '-h') {
      if (!a.includes('=') && a !== '-h' && valueOption(optionName(a))) {
        if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value.`);
        optionTokens.push(`${a}=${argv[++i]}`);
      } else optionTokens.push(a);
    } else {
      if (firstAt < 0) firstAt = i;
      positionals.push(a);
    }
  }
  return { optionTokens, positionals, firstAt };
}

const list = (options: Options) =>
  Object.keys(options)
    .map((n) => `--${n}`)
    .join(', ');

/** The command name (the first positional) and its arguments, checked strictly against its options. An unknown
 *  command is returned as `command` with no options checked (the caller reports it). */
export function parseCommandLine(argv: string[], commands: readonly Command[]): ParsedArgs {
  const all: Options = { ...GLOBAL_OPTIONS };
  for (const c of commands) Object.assign(all, c.options);
  // First pass: find the command, knowing which options (of any command) take a value.
  const first = split(argv, (n) => all[n]?.type === 'string');
  const name = first.positionals[0];
  const command = commands.find((c) => c.name === name);
  const options: Options = { ...GLOBAL_OPTIONS, ...command?.options };
  const rest = first.firstAt < 0 ? argv : [...argv.slice(0, first.firstAt), ...argv.slice(first.firstAt + 1)];
  const { optionTokens, positionals } = split(rest, (n) => options[n]?.type === 'string');
  if (name !== undefined && !command) {
    // Only --help and the like matter for an unknown command; it is reported by the caller.
    return { command: name, positionals, options: {} };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = nodeParseArgs({
      args: [...optionTokens, '--', ...positionals],
      options,
      strict: true,
      allowPositionals: true,
    }));
  } catch (e) {
    const err = e as Error & { code?: string };
    const where = command ? `${command.name}` : 'bert-lens';
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const bad = /'(-[^']*)'/.exec(err.message)?.[1] ?? 'option';
      const own = command && Object.keys(command.options).length ? `${list(command.options)}, and the global ` : '';
      throw new UsageError(
        `unknown option ${bad.split('=')[0]} for ${where}. Its options: ${own}${list(GLOBAL_OPTIONS)}.`,
      );
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const bad = /'--?([^ ']+)/.exec(err.message)?.[1] ?? '';
      if (options[bad]?.type === 'boolean') throw new UsageError(`--${bad} is a flag; it takes no value.`);
      throw new UsageError(`--${bad} needs a value.`);
    }
    throw new UsageError(err.message);
  }
  const out: ParsedArgs = { command: name, positionals, options: {} };
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== false) out.options[k] = v;
  return out;
}

export function intOption(args: ParsedArgs, name: string, fallback: number): number {
  const v = args.options[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v === true || !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer (got ${String(v)}).`);
  return n;
}

export function floatOption(args: ParsedArgs, name: string): number | undefined {
  const v = args.options[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || v === '' || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a number (got ${String(v)}).`);
  return n;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name];
  if (v === true) throw new UsageError(`--${name} needs a value.`);
  return v;
}
