import type { Command } from '../command';
import { emitter, specFrom, textArg } from '../common';
import { bar, table } from '../format';

export const rtd: Command = {
  name: 'rtd',
  usage: `rtd TEXT                            replaced-token detection (ELECTRA)`,
  options: {},
  loadsModel: true,
  async run(args, io, client) {
    const r = await client.replacedTokens(specFrom(args), { text: textArg(args) });
    await emitter(args, io)({ tokens: r.tokens, replaced: r.replaced }, () =>
      table(
        ['token', 'P(replaced)', ''],
        r.tokens.map((t, i) => [t, r.replaced[i], bar(r.replaced[i])]),
      ),
    );
    return 0;
  },
};
