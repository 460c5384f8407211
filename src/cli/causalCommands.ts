// Commands for causal (GPT-style) models and the left-to-right vs bidirectional comparison: next-token,
// generate, surprisal (causal or pseudo-likelihood) and directions.
import * as fs from 'node:fs';
import type { Device, ModelSpec, Offset, Variant } from '../engine/api';
import type { EngineClient } from '../engine/client';
import { utf16ToCodePoints } from '../engine/tokenizer';
import { type ParsedArgs, UsageError, intOption, stringOption } from './args';
import { bar, fmt, table } from './format';
import type { ExtraCommand } from './extraCommands';

function specOf(args: ParsedArgs, option = 'model'): ModelSpec {
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

function text(args: ParsedArgs): string {
  const t = args.positionals[0];
  if (t !== undefined) return t;
  if (!process.stdin.isTTY) {
    try {
      return fs.readFileSync(0, 'utf8');
    } catch {
      /* no stdin */
    }
  }
  throw new UsageError(`${args.command} needs a TEXT argument.`);
}

function floatOption(args: ParsedArgs, name: string): number | undefined {
  const v = args.options[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || v === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number (got ${String(v)}).`);
  return n;
}

/** Code-point offsets (input) → UTF-16 string indices. */
function cpToUtf16(t: string, o: Offset): Offset {
  const cps = Array.from(t);
  const at = (n: number) => cps.slice(0, n).join('').length;
  return [at(o[0]), at(o[1])];
}

const json = (args: ParsedArgs) => args.options.json === true;

export const causalCommands: Record<string, ExtraCommand> = {
  'next-token': {
    usage: `next-token TEXT [--top-k K]     causal LM: the distribution of the token after TEXT`,
    async run(args, io, client: EngineClient) {
      const t = text(args);
      const r = await client.nextToken(specOf(args), { text: t, topK: intOption(args, 'top-k', 5) });
      if (json(args)) io.out(JSON.stringify({ predictions: r.predictions }));
      else io.out(table(['token', 'text', 'id', 'score', ''], r.predictions.map((p) => [p.token, JSON.stringify(p.text), p.id, p.score, bar(p.score)])));
      return 0;
    },
  },
  generate: {
    usage: `generate TEXT [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S] [--cache on|off]
                                      causal LM: continue TEXT (temperature 0 = greedy)`,
    async run(args, io, client: EngineClient) {
      const t = text(args);
      const cache = stringOption(args, 'cache') ?? 'on';
      if (cache !== 'on' && cache !== 'off') throw new UsageError(`--cache must be on or off (got ${cache}).`);
      const r = await client.generate(specOf(args), {
        text: t,
        maxNewTokens: intOption(args, 'max-new-tokens', 20),
        temperature: floatOption(args, 'temperature'),
        topK: args.options['top-k'] !== undefined ? intOption(args, 'top-k', 0) : undefined,
        topP: floatOption(args, 'top-p'),
        seed: args.options.seed !== undefined ? intOption(args, 'seed', 0) : undefined,
        useCache: cache === 'on',
      });
      if (r.note) io.err(`note: ${r.note}`);
      if (json(args)) io.out(JSON.stringify({ text: r.text, tokens: r.tokens.map((k) => ({ token: k.token, id: k.id, score: k.score, text: k.text })), stop: r.stop, ...(r.note ? { note: r.note } : {}) }));
      else io.out(`${t}${r.text}\n\n(${r.tokens.length} tokens, stopped: ${r.stop}${r.cached ? ', key/value cache' : ''})`);
      return 0;
    },
  },
  surprisal: {
    usage: `surprisal TEXT [--whole-word]   log-probability and rank of every token (causal, or pseudo-likelihood
                                      for a masked LM; --whole-word masks all pieces of a word together)`,
    async run(args, io, client: EngineClient) {
      const t = text(args);
      const r = await client.surprisal(specOf(args), { text: t, wholeWord: args.options['whole-word'] === true });
      const offsets = utf16ToCodePoints(t, r.offsets);
      if (json(args)) {
        io.out(JSON.stringify({ method: r.method, tokens: r.tokens, offsets, logprobs: r.logprobs, ranks: r.ranks, perplexity: r.perplexity, top: r.top }));
      } else {
        const what = r.method === 'causal' ? 'perplexity' : 'pseudo-perplexity';
        io.out(table(['token', 'offset', 'log p', 'rank', 'top prediction'], r.tokens.map((tk, i) => [tk, `${offsets[i][0]}:${offsets[i][1]}`, r.logprobs[i] === null ? '—' : r.logprobs[i]!, r.ranks[i] ?? '—', r.top[i]?.[0]?.token ?? '—'])) + `\n${what}: ${fmt(r.perplexity)} (${r.method})`);
      }
      return 0;
    },
  },
  directions: {
    usage: `directions TEXT --span START:END [--causal-model M] [--top-k K]
                                      a word from both sides, the left side only, the right side only (BERT with
                                      the text cut), and by a causal model`,
    async run(args, io, client: EngineClient) {
      const t = text(args);
      const s = stringOption(args, 'span');
      const m = s !== undefined ? /^(\d+):(\d+)$/.exec(s) : null;
      if (!m || Number(m[2]) <= Number(m[1])) throw new UsageError(s === undefined ? 'directions needs --span START:END (the word to predict).' : `--span must be START:END with END > START (got ${s}).`);
      if (Number(m[2]) > Array.from(t).length) throw new UsageError(`--span ${s} is outside the text (it has ${Array.from(t).length} characters).`);
      const causalModel = stringOption(args, 'causal-model');
      const r = await client.directions(specOf(args), { text: t, span: cpToUtf16(t, [Number(m[1]), Number(m[2])]), topK: intOption(args, 'top-k', 5), causalSpec: causalModel ? specOf(args, 'causal-model') : undefined });
      const cols = ['bidirectional', 'left_only', 'right_only', 'causal'] as const;
      if (json(args)) {
        io.out(JSON.stringify({ word: r.word, bidirectional: r.bidirectional, left_only: r.left_only, right_only: r.right_only, causal: r.causal, original: r.original, labels: r.labels }));
      } else {
        const shown = cols.filter((c) => r[c] !== null);
        const rows = Math.max(...shown.map((c) => r[c]!.length));
        io.out(`"${r.word}"\n` + table(shown.map((c) => c.replace('_', ' ')), Array.from({ length: rows }, (_, i) => shown.map((c) => (r[c]![i] ? `${r[c]![i].word} ${fmt(r[c]![i].score)}` : '')))) + '\n' + shown.map((c) => `${c.replace('_', ' ')}: ${r.labels[c]}; p("${r.word}") = ${fmt(r.original[c] ?? NaN)}`).join('\n'));
      }
      return 0;
    },
  },
};
