// `bert-lens adapt`: domain-adaptive masked-LM pre-training on text files, through the worker client
// (trainingAdapt): progress lines on stderr while it trains, then before/after held-out numbers, or the --json
// contract {masked_accuracy, pseudo_perplexity, chosen, seconds, output}.
import * as path from 'node:path';
import type { Device, ModelSpec, Variant } from '../engine/api';
import type { EngineClient } from '../engine/client';
import { defaultAdaptedDir } from '../engine/training/adaptExport';
import type { AdaptMethodProgress } from '../engine/training/adaptMethods';
import { type ParsedArgs, UsageError, intOption, stringOption } from './args';
import { table } from './format';
import { emitJson } from './jsonWriter';
import type { ExtraCommand } from './extraCommands';

function positive(args: ParsedArgs, name: string, integer: boolean): number | undefined {
  const v = args.options[name];
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v === true || !Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) throw new UsageError(`--${name} needs a positive ${integer ? 'whole ' : ''}number, not "${String(v)}".`);
  return x;
}

export const adaptCommands: Record<string, ExtraCommand> = {
  adapt: {
    usage: `adapt --data FILE|DIR [--data …]  continue masked-LM pre-training on your text (15 %, 80/10/10)
      [--epochs N] [--seed S] [--output DIR] [--overwrite] [--whole-word] [--lr X]
      [--batch-size N] [--max-length N] [--int8]   before/after held-out accuracy, pseudo-perplexity`,
    async run(args, io, client: EngineClient) {
      const data: string[] = [];
      // One path with --data; more paths may follow as positionals (`adapt --data docs notes.txt`).
      const d = stringOption(args, 'data');
      if (d !== undefined) data.push(d);
      data.push(...args.positionals);
      if (!data.length) throw new UsageError('adapt needs --data with a text file or a folder of .md/.txt/.rst files.');
      const json = args.options.json === true;
      const log = (line: string) => io.err(line);
      const spec: ModelSpec = {
        model: stringOption(args, 'model'),
        variant: stringOption(args, 'variant') as Variant | undefined,
        device: stringOption(args, 'device') as Device | undefined,
        offline: args.options.offline === true,
        cacheDir: stringOption(args, 'cache-dir'),
        endpoint: stringOption(args, 'endpoint'),
        revision: stringOption(args, 'revision'),
      };
      const output = path.resolve(stringOption(args, 'output') ?? defaultAdaptedDir(data[0]));
      const ac = new AbortController();
      const onInt = () => ac.abort();
      process.once('SIGINT', onInt);
      let lastLog = 0;
      const onProgress = (p: AdaptMethodProgress) => {
        if (!('phase' in p)) return;
        // Loading messages stay out, so that bad input prints its one line alone.
        if (p.phase === 'evaluated') log(`held-out ${p.which}: masked-token accuracy ${(100 * p.metrics.accuracy).toFixed(1)} %, pseudo-perplexity ${p.metrics.pseudoPerplexity.toFixed(2)} (${p.metrics.positions} positions)`);
        else if (p.phase === 'step') {
          const now = Date.now();
          if (now - lastLog < 2000 && p.step !== p.totalSteps) return;
          lastLog = now;
          log(`epoch ${p.epoch}/${p.epochs}, step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(3)}, chosen ${p.chosen.mask} [MASK] / ${p.chosen.random} random / ${p.chosen.kept} kept, ETA ${Math.round(p.etaSeconds)}s`);
        } else if (p.phase === 'epoch') log(`epoch ${p.epoch}: training loss ${p.trainLoss.toFixed(3)}`);
      };
      try {
        const r = await client.trainingAdapt(
          {
            spec,
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
          io.out(`chosen over the run: ${r.chosen.mask} [MASK], ${r.chosen.random} random, ${r.chosen.kept} kept; ${r.corpus.files} file(s), ${r.corpus.lines} lines (${r.corpus.heldOutLines} held out); ${r.epochs} epoch(s), ${r.steps} steps, ${r.seconds.toFixed(1)} s`);
          io.out(`saved: ${r.output} (select it with --model ${r.output})`);
        }
        return 0;
      } finally {
        process.off('SIGINT', onInt);
      }
    },
  },
};
