import type { SaliencyMethod } from '../../engine/api';
import { codePointConverter } from '../../engine/tokenizer';
import { UsageError, intOption, stringOption } from '../args';
import { type Command, opt } from '../command';
import { emitter, specFrom, textArg } from '../common';
import { bar, fmt, table } from '../format';

export const saliency: Command = {
  name: 'saliency',
  usage: `saliency TEXT [--method grad-l2|grad-input|integrated-gradients] [--steps 16]
      [--target WORD | --label LABEL] [--position N] [--pair B] [--question Q]
                                      which tokens drove the prediction (gradients, fp32 graph)`,
  options: {
    method: opt.str,
    steps: opt.str,
    target: opt.str,
    label: opt.str,
    position: opt.str,
    pair: opt.str,
    question: opt.str,
  },
  loadsModel: true,
  async run(args, io, client) {
    const question = stringOption(args, 'question');
    const context = question !== undefined ? textArg(args) : undefined;
    const text = question ?? textArg(args);
    const method = stringOption(args, 'method') as SaliencyMethod | undefined;
    if (method !== undefined && !['grad-l2', 'grad-input', 'integrated-gradients'].includes(method))
      throw new UsageError(`unknown --method "${method}". Use grad-l2, grad-input or integrated-gradients.`);
    const target = stringOption(args, 'target');
    const label = stringOption(args, 'label');
    if (target !== undefined && label !== undefined)
      throw new UsageError('give --target WORD (masked LM) or --label LABEL (classifiers), not both.');
    const r = await client.saliency(specFrom(args), {
      text,
      pair: context ?? stringOption(args, 'pair'),
      method,
      steps: args.options.steps !== undefined ? intOption(args, 'steps', 16) : undefined,
      target,
      label,
      position: args.options.position !== undefined ? intOption(args, 'position', 0) : undefined,
    });
    const second = context ?? stringOption(args, 'pair');
    const [cpText, cpSecond] = [
      codePointConverter(text),
      second !== undefined ? codePointConverter(second) : undefined,
    ];
    const offsets = r.offsets.map((o, i) => (r.sequenceIds[i] === 1 && cpSecond ? cpSecond(o) : cpText(o)));
    await emitter(args, io)(
      {
        tokens: r.tokens,
        method: r.method,
        target: r.target,
        logprob: r.logprob,
        scores: r.scores,
        offsets,
        variant: r.variant,
        ...(r.steps ? { steps: r.steps } : {}),
        ...(r.window ? { window: r.window } : {}),
      },
      () => {
        const t = r.target;
        const what =
          'token' in t
            ? `"${t.token}" at token ${t.position}`
            : `label ${t.label}${t.position !== undefined ? ` at token ${t.position}` : ''}`;
        const max = r.scores.reduce((a, x) => Math.max(a, Math.abs(x)), 1e-12);
        const lines = [
          `${r.method}${r.steps ? ` (${r.steps} steps)` : ''} saliency of ${what}, log p = ${fmt(r.logprob)} — computed on the fp32 graph`,
          ...(r.window
            ? [
                `the text is long: this explains tokens ${r.window.start}–${r.window.end - 1} of ${r.window.totalTokens}, the window that contains the target`,
              ]
            : []),
          table(
            ['#', 'token', 'score', ''],
            r.tokens.map((tok, i) => [
              i,
              tok,
              r.scores[i],
              `${r.scores[i] < 0 ? '-' : '+'}${bar(Math.abs(r.scores[i]) / max)}`,
            ]),
          ),
        ];
        return lines.join('\n');
      },
    );
    return 0;
  },
};
