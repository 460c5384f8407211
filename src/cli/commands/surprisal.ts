import { utf16ToCodePoints } from '../../engine/tokenizer';
import { type Command, opt } from '../command';
import { isJson, specFrom, textArg } from '../common';
import { fmt, table } from '../format';

export const surprisal: Command = {
  name: 'surprisal',
  usage: `surprisal TEXT [--whole-word]   log-probability and rank of every token (causal, or pseudo-likelihood
                                      for a masked LM; --whole-word masks all pieces of a word together)`,
  options: { 'whole-word': opt.flag },
  async run(args, io, client) {
    const t = textArg(args);
    const r = await client.surprisal(specFrom(args), { text: t, wholeWord: args.options['whole-word'] === true });
    const offsets = utf16ToCodePoints(t, r.offsets);
    if (isJson(args)) {
      io.out(
        JSON.stringify({
          method: r.method,
          tokens: r.tokens,
          offsets,
          logprobs: r.logprobs,
          ranks: r.ranks,
          perplexity: r.perplexity,
          top: r.top,
        }),
      );
    } else {
      const what = r.method === 'causal' ? 'perplexity' : 'pseudo-perplexity';
      io.out(
        table(
          ['token', 'offset', 'log p', 'rank', 'top prediction'],
          r.tokens.map((tk, i) => [
            tk,
            `${offsets[i][0]}:${offsets[i][1]}`,
            r.logprobs[i] === null ? '—' : r.logprobs[i]!,
            r.ranks[i] ?? '—',
            r.top[i]?.[0]?.token ?? '—',
          ]),
        ) + `\n${what}: ${fmt(r.perplexity)} (${r.method})`,
      );
    }
    return 0;
  },
};
