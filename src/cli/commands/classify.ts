import { stringOption } from '../args';
import { type Command, opt } from '../command';
import { emitter, specFrom, textArg } from '../common';
import { bar, table } from '../format';

export const classify: Command = {
  name: 'classify',
  usage: `classify TEXT [--pair B]            sequence (pair) classification`,
  options: { pair: opt.str },
  loadsModel: true,
  async run(args, io, client) {
    const r = await client.classify(specFrom(args), { text: textArg(args), pair: stringOption(args, 'pair') });
    await emitter(args, io)({ labels: r.labels }, () =>
      table(
        ['label', 'score', ''],
        r.labels.map((l) => [l.label, l.score, bar(l.score)]),
      ),
    );
    return 0;
  },
};
