import { intOption } from '../args';
import { type Command, opt } from '../command';
import { isJson, specFrom, textArg } from '../common';
import { bar, table } from '../format';

export const nextToken: Command = {
  name: 'next-token',
  usage: `next-token TEXT [--top-k K]     causal LM: the distribution of the token after TEXT`,
  options: { 'top-k': opt.str },
  async run(args, io, client) {
    const t = textArg(args);
    const r = await client.nextToken(specFrom(args), { text: t, topK: intOption(args, 'top-k', 5) });
    if (isJson(args)) io.out(JSON.stringify({ predictions: r.predictions }));
    else
      io.out(
        table(
          ['token', 'text', 'id', 'score', ''],
          r.predictions.map((p) => [p.token, JSON.stringify(p.text), p.id, p.score, bar(p.score)]),
        ),
      );
    return 0;
  },
};
