// `bert-lens adapt`: domain-adaptive masked-LM pre-training on text files, through the worker client
// (trainingAdapt): progress on stderr while it trains, then before/after held-out numbers, or the --json contract
// {masked_accuracy, pseudo_perplexity, chosen, seconds, output} (extra fields after them).
import * as path from 'node:path';
import { formatDuration } from '../../engine/math';
import { defaultAdaptedDir } from '../../engine/training/adaptExport';
import type { AdaptMethodProgress } from '../../engine/training/adaptMethods';
import { type ParsedArgs, UsageError, intOption, stringOption } from '../args';
import { type Command, opt } from '../command';
import { isJson, specFrom } from '../common';
import { table } from '../format';
import { emitJson } from '../jsonWriter';

function positive(args: ParsedArgs, name: string, integer: boolean): number | undefined {
  const v = args.options[name];
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v === true || !Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x)))
    throw new UsageError(`--${name} needs a positive ${integer ? 'whole ' : ''}number, not "${String(v)}".`);
  return x;
}

export const adapt: Command = {
  name: 'adapt',
  usage: `adapt --data FILE|DIR [PATH…]  continue masked-LM pre-training on your text (15 %, 80/10/10)
      [--epochs N] [--seed S] [--output DIR] [--overwrite] [--whole-word] [--lr X]
      [--batch-size N] [--max-length N] [--int8]   held-out accuracy, pseudo-perplexity before/after`,
  options: {
    data: opt.str,
    epochs: opt.str,
    seed: opt.str,
    output: opt.str,
    overwrite: opt.flag,
    'whole-word': opt.flag,
    lr: opt.str,
    'batch-size': opt.str,
    'max-length': opt.str,
    int8: opt.flag,
  },
  async run(args, io, client) {
    // One path with --data; more paths may follow as positionals (`adapt --data docs notes.txt`).
    const data: string[] = [];
    const d = stringOption(args, 'data');
    if (d !== undefined) data.push(d);
    data.push(...args.positionals);
    if (!data.length) throw new UsageError('adapt needs --data with a text file or a folder of .md/.txt/.rst files.');
    const json = isJson(args);
    const output = path.resolve(stringOption(args, 'output') ?? defaultAdaptedDir(data[0]));
    const ac = new AbortController();
    const onInt = () => ac.abort();
    process.once('SIGINT', onInt);
    let lastLog = 0;
    const onProgress = (p: AdaptMethodProgress) => {
      // Loading messages stay out, so that bad input prints its one line alone.
      if (!('phase' in p)) return;
      if (p.phase === 'evaluated')
        io.err(
          `held-out ${p.which}: masked-token accuracy ${(100 * p.metrics.accuracy).toFixed(1)} %, pseudo-perplexity ${p.metrics.pseudoPerplexity.toFixed(2)} (${p.metrics.positions} positions)`,
        );
      else if (p.phase === 'step') {
        const now = Date.now();
        if (now - lastLog < 2000 && p.step !== p.totalSteps) return;
        lastLog = now;
        io.err(
          `epoch ${p.epoch}/${p.epochs}, step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(3)}, chosen ${p.chosen.mask} [MASK] / ${p.chosen.random} random / ${p.chosen.kept} kept, ETA ${formatDuration(p.etaSeconds)}`,
        );
      } else if (p.phase === 'epoch') io.err(`epoch ${p.epoch}: training loss ${p.trainLoss.toFixed(3)}`);
    };
    try {
      const r = await client.trainingAdapt(
        {
          spec: specFrom(args),
          data,
          epochs: positive(args, 'epochs', true),
          seed: args.options.seed !== undefined ? intOption(args, 'seed', 42) : undefined,
          learningRate: positive(args, 'lr', false),
          batchSize: positive(args, 'batch-size', true),
          maxLength: positive(args, 'max-length', true),
          wholeWord: args.options['whole-word'] === true,
          output,
          overwrite: args.options.overwrite === true,
          quantized: args.options.int8 === true,
        },
        { signal: ac.signal, onProgress },
      );
      void client.trainingAdaptDispose({ runId: r.runId }).catch(() => undefined);
      if (json) {
        const { runId: _runId, ...shown } = r;
        await emitJson(io, shown);
      } else {
        const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
        io.out(
          table(
            ['held-out (fixed masking)', 'before', 'after'],
            [
              ['masked-token accuracy', pct(r.masked_accuracy.before), pct(r.masked_accuracy.after)],
              ['pseudo-perplexity', r.pseudo_perplexity.before.toFixed(2), r.pseudo_perplexity.after.toFixed(2)],
            ],
          ),
        );
        io.out(
          `chosen over the run: ${r.chosen.mask} [MASK], ${r.chosen.random} random, ${r.chosen.kept} kept; ${r.corpus.files} file(s), ${r.corpus.lines} lines (${r.corpus.heldOutLines} held out); ${r.epochs} epoch(s), ${r.steps} steps, ${r.seconds.toFixed(1)} s`,
        );
        io.out(`saved: ${r.output} (use it with --model ${r.output})`);
      }
      return 0;
    } finally {
      process.off('SIGINT', onInt);
    }
  },
};
