import { UsageError, intOption, stringOption } from '../args';
import { type Command, opt } from '../command';
import { cpToUtf16, isJson, specFrom, textArg } from '../common';
import { fmt, table } from '../format';

export const directions: Command = {
  name: 'directions',
  usage: `directions TEXT --span START:END [--causal-model M] [--top-k K]
                                      a word from both sides, the left side only, the right side only (BERT with
                                      the text cut), and by a causal model`,
  options: { span: opt.str, 'causal-model': opt.str, 'top-k': opt.str },
  async run(args, io, client) {
    const t = textArg(args);
    const s = stringOption(args, 'span');
    const m = s !== undefined ? /^(\d+):(\d+)$/.exec(s) : null;
    if (!m || Number(m[2]) <= Number(m[1]))
      throw new UsageError(
        s === undefined
          ? 'directions needs --span START:END (the word to predict).'
          : `--span must be START:END with END > START (got ${s}).`,
      );
    if (Number(m[2]) > Array.from(t).length)
      throw new UsageError(`--span ${s} is outside the text (it has ${Array.from(t).length} characters).`);
    const causalModel = stringOption(args, 'causal-model');
    const r = await client.directions(specFrom(args), {
      text: t,
      span: cpToUtf16(t, [Number(m[1]), Number(m[2])]),
      topK: intOption(args, 'top-k', 5),
      causalSpec: causalModel ? specFrom(args, 'causal-model') : undefined,
    });
    const cols = ['bidirectional', 'left_only', 'right_only', 'causal'] as const;
    if (isJson(args)) {
      io.out(
        JSON.stringify({
          word: r.word,
          bidirectional: r.bidirectional,
          left_only: r.left_only,
          right_only: r.right_only,
          causal: r.causal,
          original: r.original,
          labels: r.labels,
        }),
      );
    } else {
      const shown = cols.filter((c) => r[c] !== null);
      const rows = Math.max(...shown.map((c) => r[c]!.length));
      io.out(
        `"${r.word}"\n` +
          table(
            shown.map((c) => c.replace('_', ' ')),
            Array.from({ length: rows }, (_, i) =>
              shown.map((c) => (r[c]![i] ? `${r[c]![i].word} ${fmt(r[c]![i].score)}` : '')),
            ),
          ) +
          '\n' +
          shown
            .map((c) => `${c.replace('_', ' ')}: ${r.labels[c]}; p("${r.word}") = ${fmt(r.original[c] ?? NaN)}`)
            .join('\n'),
      );
    }
    return 0;
  },
};
