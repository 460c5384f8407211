import type { Pooling } from '../../engine/api';
import { intOption, stringOption } from '../args';
import { type Command, opt } from '../command';
import { emitter, specFrom, textArg } from '../common';
import { fmt, table } from '../format';

export const embed: Command = {
  name: 'embed',
  usage: `embed TEXT [--layer L] [--pooling none|cls|mean|max]`,
  options: { layer: opt.str, pooling: opt.str },
  loadsModel: true,
  async run(args, io, client) {
    const emit = emitter(args, io);
    const pooling = (stringOption(args, 'pooling') ?? 'none') as Pooling;
    const r = await client.embed(specFrom(args), { text: textArg(args), layer: intOption(args, 'layer', -1), pooling });
    if (pooling === 'none') {
      await emit({ tokens: r.tokens, vectors: r.vectors }, () =>
        table(
          ['token', 'norm', 'first values'],
          r.tokens.map((t, i) => [
            t,
            Math.hypot(...r.vectors![i]),
            r.vectors![i].slice(0, 4).map(fmt).join(' ') + ' …',
          ]),
        ),
      );
    } else {
      await emit(
        { tokens: r.tokens, pooled: r.pooled, layer: r.layer },
        () =>
          `${pooling} pooling, layer ${r.layer}, ${r.pooled!.length} dims: ${r.pooled!.slice(0, 8).map(fmt).join(' ')} …`,
      );
    }
    return 0;
  },
};
