import { intOption } from '../args';
import { type Command, opt } from '../command';
import { emitter, specFrom, textArg } from '../common';
import { fmt, table } from '../format';

export const maskPreview: Command = {
  name: 'mask-preview',
  usage: `mask-preview TEXT [--seed S]        BERT's pre-training masking (15 %, 80/10/10) and the predictions`,
  options: { seed: opt.str, 'top-k': opt.str },
  loadsModel: true,
  async run(args, io, client) {
    const text = textArg(args);
    const r = await client.maskPreview(specFrom(args), {
      text,
      seed: intOption(args, 'seed', 0),
      topK: intOption(args, 'top-k', 5),
    });
    const chosen = r.chosen.map((c) => ({
      position: c.position,
      original: c.original,
      replacement: c.replacement,
      kind: c.kind,
    }));
    const predictions = r.predictions.map((p) => ({
      position: p.position,
      predictions: p.predictions,
      original: p.original,
    }));
    await emitter(args, io)(
      { tokens: r.tokens, corrupted: r.corrupted, seed: r.seed, chosen, predictions },
      () =>
        `seed ${r.seed}: ${chosen.length} of ${r.tokens.length} tokens chosen (80 % ${r.maskToken}, 10 % random, 10 % kept)\n` +
        table(
          ['pos', 'original', 'kind', 'model reads', 'top prediction', 'p', 'original p (rank)'],
          r.predictions.map((p, k) => [
            p.position,
            chosen[k].original,
            chosen[k].kind,
            chosen[k].replacement,
            p.predictions[0].token,
            fmt(p.predictions[0].score),
            `${fmt(p.original.score)} (${p.original.rank})`,
          ]),
        ),
    );
    return 0;
  },
};
