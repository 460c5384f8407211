// Helpers the commands share: the model spec from the global options, the TEXT argument (or stdin), spans in code
// points, and output as a table or --json.
import * as fs from 'node:fs';
import type { Device, ModelSpec, Offset, Variant } from '../engine/api';
import { type ParsedArgs, UsageError, stringOption } from './args';
import type { Io } from './command';
import { emitJson } from './jsonWriter';

/** The model of the global options; `option` names the one that holds the model (`--causal-model` for a second). */
export function specFrom(args: ParsedArgs, option = 'model'): ModelSpec {
  return {
    model: stringOption(args, option),
    variant: stringOption(args, 'variant') as Variant | undefined,
    device: stringOption(args, 'device') as Device | undefined,
    offline: args.options.offline === true,
    cacheDir: stringOption(args, 'cache-dir'),
    endpoint: stringOption(args, 'endpoint'),
    revision: stringOption(args, 'revision'),
  };
}

export const isJson = (args: ParsedArgs) => args.options.json === true;

/** Writes `obj` as JSON with --json, else the human form. */
export function emitter(args: ParsedArgs, io: Io): (obj: unknown, human: () => string) => Promise<void> {
  return async (obj, human) => (isJson(args) ? emitJson(io, obj) : io.out(human()));
}

/** The i-th positional; the first one may come from stdin. */
export function textArg(args: ParsedArgs, i = 0): string {
  const t = args.positionals[i];
  if (t === undefined) {
    if (i === 0 && !process.stdin.isTTY) {
      try {
        return readStdin();
      } catch {
        /* no stdin */
      }
    }
    throw new UsageError(`${args.command} needs ${i === 0 ? 'a TEXT argument' : 'a second text'}.`);
  }
  return t;
}

/** All of stdin. A pipe may be non-blocking (readFileSync(0) then fails with EAGAIN on a large input): read in a
 *  loop and wait briefly while the writer has not caught up. */
function readStdin(): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 5);
        continue;
      }
      if (code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** --span START:END (code points), checked. */
export function spanArg(args: ParsedArgs): Offset | undefined {
  const s = stringOption(args, 'span');
  if (s === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(s);
  if (!m || Number(m[2]) <= Number(m[1])) throw new UsageError(`--span must be START:END with END > START (got ${s}).`);
  return [Number(m[1]), Number(m[2])];
}

/** Code-point offsets (input) → UTF-16 string indices. */
export function cpToUtf16(text: string, o: Offset): Offset {
  const cps = Array.from(text);
  const at = (n: number) => cps.slice(0, n).join('').length;
  return [at(o[0]), at(o[1])];
}
