import { codePointConverter } from '../../engine/tokenizer';
import { UsageError, intOption } from '../args';
import { type Command, opt } from '../command';
import { cpToUtf16, emitter, spanArg, specFrom, textArg } from '../common';
import { fmt, table } from '../format';

export const similarity: Command = {
  name: 'similarity',
  usage: `similarity TEXT --span START:END [--layer L]   compare a word with its other occurrences`,
  options: { span: opt.str, layer: opt.str },
  loadsModel: true,
  async run(args, io, client) {
    const text = textArg(args);
    const span = spanArg(args);
    if (!span) throw new UsageError('similarity needs --span START:END (the word to compare).');
    const r = await client.similarity(specFrom(args), {
      text,
      span: cpToUtf16(text, span),
      layer: intOption(args, 'layer', -1),
    });
    const cp = codePointConverter(text);
    const occurrences = r.occurrences.map((o) => ({
      ...o,
      ...Object.fromEntries(['start', 'end'].map((k, i) => [k, cp([o.start, o.end])[i]])),
    }));
    await emitter(args, io)(
      { word: r.word, layer: r.layer, pieces: r.pieces, ids: r.ids, norm: r.norm, occurrences },
      () =>
        `"${r.word}" = ${r.pieces.join(' ')} (layer ${r.layer}, norm ${fmt(r.norm)})\n` +
        (occurrences.length
          ? table(
              ['start', 'end', 'cosine'],
              occurrences.map((o) => [o.start, o.end, o.similarity]),
            )
          : 'no other occurrence in the text'),
    );
    return 0;
  },
};
