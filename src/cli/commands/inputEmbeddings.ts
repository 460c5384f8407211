import { stringOption } from '../args';
import { type Command, opt } from '../command';
import { emitter, specFrom, textArg } from '../common';
import { table } from '../format';

export const inputEmbeddings: Command = {
  name: 'input-embeddings',
  usage: `input-embeddings TEXT [--pair B]    token + position + segment vectors per token (norms, cosines)`,
  options: { pair: opt.str },
  loadsModel: true,
  async run(args, io, client) {
    const r = await client.inputEmbeddings(specFrom(args), { text: textArg(args), pair: stringOption(args, 'pair') });
    await emitter(args, io)(r, () => {
      const head = table(
        [
          '#',
          'token',
          'seg',
          '|token|',
          '|position|',
          '|segment|',
          '|sum|',
          'cos tok',
          'cos pos',
          'cos seg',
          '|output|',
        ],
        r.rows.map((x) => [
          x.position,
          x.token,
          x.segment,
          x.token_norm,
          x.position_norm,
          x.segment_norm,
          x.sum_norm,
          x.cos_token,
          x.cos_position,
          x.cos_segment,
          x.output_norm,
        ]),
      );
      return r.note ? `${head}\nnote: ${r.note}` : head;
    });
    return 0;
  },
};
