import { UsageError, floatOption, intOption, stringOption } from '../args';
import { type Command, opt } from '../command';
import { isJson, specFrom, textArg } from '../common';

export const generate: Command = {
  name: 'generate',
  usage: `generate TEXT [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S] [--cache on|off]
                                      causal LM: continue TEXT (temperature 0 = greedy)`,
  options: {
    'max-new-tokens': opt.str,
    temperature: opt.str,
    'top-k': opt.str,
    'top-p': opt.str,
    seed: opt.str,
    cache: opt.str,
  },
  async run(args, io, client) {
    const t = textArg(args);
    const cache = stringOption(args, 'cache') ?? 'on';
    if (cache !== 'on' && cache !== 'off') throw new UsageError(`--cache must be on or off (got ${cache}).`);
    const r = await client.generate(specFrom(args), {
      text: t,
      maxNewTokens: intOption(args, 'max-new-tokens', 20),
      temperature: floatOption(args, 'temperature'),
      topK: args.options['top-k'] !== undefined ? intOption(args, 'top-k', 0) : undefined,
      topP: floatOption(args, 'top-p'),
      seed: args.options.seed !== undefined ? intOption(args, 'seed', 0) : undefined,
      useCache: cache === 'on',
    });
    if (r.note) io.err(`note: ${r.note}`);
    if (isJson(args))
      io.out(
        JSON.stringify({
          text: r.text,
          tokens: r.tokens.map((k) => ({ token: k.token, id: k.id, score: k.score, text: k.text })),
          stop: r.stop,
          ...(r.note ? { note: r.note } : {}),
        }),
      );
    else
      io.out(`${t}${r.text}\n\n(${r.tokens.length} tokens, stopped: ${r.stop}${r.cached ? ', key/value cache' : ''})`);
    return 0;
  },
};
