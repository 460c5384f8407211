// A small argument parser: `--name value`, `--name=value`, boolean flags, and positionals.

export interface ParsedArgs {
  command?: string;
  positionals: string[];
  options: Record<string, string | true>;
}

const BOOLEAN = new Set(['json', 'offline', 'verbose', 'help', 'version', 'full', 'resume', 'freeze-embeddings', 'all-pieces', 'whole-word', 'overwrite', 'int8']);

export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { positionals: [], options: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) out.options[name] = a.slice(eq + 1);
      else if (BOOLEAN.has(name)) out.options[name] = true;
      else if (i + 1 < argv.length) out.options[name] = argv[++i];
      else throw new UsageError(`--${name} needs a value.`);
    } else if (a === '-h') out.options.help = true;
    else if (!out.command) out.command = a;
    else out.positionals.push(a);
  }
  return out;
}

export class UsageError extends Error {}

export function intOption(args: ParsedArgs, name: string, fallback: number): number {
  const v = args.options[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v === true || !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer (got ${String(v)}).`);
  return n;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name];
  if (v === true) throw new UsageError(`--${name} needs a value.`);
  return v;
}
