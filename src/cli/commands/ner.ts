import type { Aggregation } from '../../engine/api';
import { codePointConverter } from '../../engine/tokenizer';
import { stringOption } from '../args';
import { type Command, opt } from '../command';
import { emitter, specFrom, textArg } from '../common';
import { table } from '../format';

export const ner: Command = {
  name: 'ner',
  usage: `ner TEXT [--aggregation simple]     entities (none|simple|first|average|max)`,
  options: { aggregation: opt.str },
  loadsModel: true,
  async run(args, io, client) {
    const text = textArg(args);
    const r = await client.tokenClassification(specFrom(args), {
      text,
      aggregation: stringOption(args, 'aggregation') as Aggregation | undefined,
    });
    const cp = codePointConverter(text);
    const entities = r.entities.map((e) => {
      const [start, end] = cp([e.start, e.end]);
      return { label: e.label, start, end, text: e.text, score: e.score };
    });
    await emitter(args, io)({ entities }, () =>
      entities.length
        ? table(
            ['label', 'start', 'end', 'text', 'score'],
            entities.map((e) => [e.label, e.start, e.end, e.text, e.score]),
          )
        : 'no entities',
    );
    return 0;
  },
};
