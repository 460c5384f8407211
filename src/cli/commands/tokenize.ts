import { codePointConverter } from '../../engine/tokenizer';
import { stringOption } from '../args';
import { type Command, opt } from '../command';
import { emitter, specFrom, textArg } from '../common';
import { table } from '../format';

export const tokenize: Command = {
  name: 'tokenize',
  usage: `tokenize TEXT [--pair B]            tokens, ids and character offsets`,
  options: { pair: opt.str },
  loadsModel: true,
  async run(args, io, client) {
    const text = textArg(args);
    const pair = stringOption(args, 'pair');
    const r = await client.tokenize(specFrom(args), { text, pair });
    const [cpText, cpPair] = [codePointConverter(text), pair !== undefined ? codePointConverter(pair) : undefined];
    const offsets = r.offsets.map((o, i) => (cpPair && r.typeIds[i] === 1 ? cpPair(o) : cpText(o)));
    await emitter(args, io)({ tokens: r.tokens, ids: r.ids, offsets }, () =>
      table(
        ['#', 'token', 'id', 'offset', 'type'],
        r.tokens.map((t, i) => [i, t, r.ids[i], `${offsets[i][0]}:${offsets[i][1]}`, r.typeIds[i]]),
      ),
    );
    return 0;
  },
};
