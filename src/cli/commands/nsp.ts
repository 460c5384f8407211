import type { Command } from '../command';
import { emitter, specFrom, textArg } from '../common';
import { bar, fmt } from '../format';

export const nsp: Command = {
  name: 'nsp',
  usage: `nsp A B                             next-sentence probability`,
  options: {},
  loadsModel: true,
  async run(args, io, client) {
    const r = await client.nextSentence(specFrom(args), { a: textArg(args, 0), b: textArg(args, 1) });
    await emitter(args, io)({ is_next: r.is_next }, () => `P(B follows A) = ${fmt(r.is_next)}  ${bar(r.is_next)}`);
    return 0;
  },
};
