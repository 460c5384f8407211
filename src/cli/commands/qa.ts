import { codePointConverter } from '../../engine/tokenizer';
import { UsageError, intOption, stringOption } from '../args';
import { type Command, opt } from '../command';
import { emitter, specFrom, textArg } from '../common';
import { table } from '../format';

export const qa: Command = {
  name: 'qa',
  usage: `qa --question Q CONTEXT [--top-k K] answer spans`,
  options: { question: opt.str, 'top-k': opt.str },
  loadsModel: true,
  async run(args, io, client) {
    const context = textArg(args);
    const question = stringOption(args, 'question');
    if (!question) throw new UsageError('qa needs --question "…" and the context as TEXT.');
    const r = await client.questionAnswering(specFrom(args), { question, context, topK: intOption(args, 'top-k', 1) });
    const cp = codePointConverter(context);
    const answers = r.answers.map((a) => {
      const [start, end] = cp([a.start, a.end]);
      return { text: a.text, start, end, score: a.score };
    });
    await emitter(args, io)({ answers }, () =>
      table(
        ['answer', 'start', 'end', 'score'],
        answers.map((a) => [a.text, a.start, a.end, a.score]),
      ),
    );
    return 0;
  },
};
