import { codePointConverter } from '../../engine/tokenizer';
import { intOption, stringOption } from '../args';
import { type Command, opt } from '../command';
import { cpToUtf16, emitter, spanArg, specFrom, textArg } from '../common';
import { bar, table } from '../format';

export const fillMask: Command = {
  name: 'fill-mask',
  usage: `fill-mask TEXT [--top-k K]          predictions at every mask ([MASK], <mask>, …)
      [--targets w1,w2]               also score these words
      [--span START:END]              mask this character span instead (one mask per piece)`,
  options: { 'top-k': opt.str, targets: opt.str, span: opt.str },
  loadsModel: true,
  async run(args, io, client) {
    const text = textArg(args);
    const span = spanArg(args);
    const targets = stringOption(args, 'targets')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const r = await client.fillMask(specFrom(args), {
      text,
      topK: intOption(args, 'top-k', 5),
      targets,
      spans: span ? [cpToUtf16(text, span)] : undefined,
    });
    const cp = codePointConverter(text);
    const masks = r.masks.map((m) => ({
      position: m.position,
      offset: cp(m.offset),
      predictions: m.predictions,
      ...(m.targets ? { targets: m.targets } : {}),
    }));
    const spans = r.spans?.map((s) => ({ ...s, offset: cp(s.offset) }));
    await emitter(args, io)({ masks, ...(spans ? { spans } : {}) }, () =>
      [
        ...r.masks.map(
          (m) =>
            `mask at token ${m.position} (${r.tokens[m.position]}):\n` +
            table(
              ['token', 'id', 'score', ''],
              m.predictions.map((p) => [p.token, p.id, p.score, bar(p.score)]),
            ) +
            (m.targets
              ? '\n' +
                table(
                  ['target', 'id', 'score'],
                  m.targets.map((t) => [t.token, t.id, t.score]),
                )
              : ''),
        ),
        ...(r.spans ?? []).map(
          (s) =>
            `whole words for "${s.original}" (${s.pieces.join(' ')}):\n` +
            table(
              ['word', 'score'],
              s.candidates.map((c) => [c.word, c.score]),
            ),
        ),
      ].join('\n\n'),
    );
    return 0;
  },
};
