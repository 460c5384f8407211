// Commands contributed by other engine areas: `train` (the classifier trainer).
import type { Variant } from '../engine/api';
import type { EngineClient } from '../engine/client';
import { Engine } from '../engine/engine';
import { runTrain } from '../engine/training/trainCommand';
import { type ParsedArgs, UsageError, intOption, stringOption } from './args';
import type { Io } from './main';
import { causalCommands } from './causalCommands';

export interface ExtraCommand {
  usage: string;
  run(args: ParsedArgs, io: Io, client: EngineClient): Promise<number>;
}

export const extraCommands: Record<string, ExtraCommand> = {
  ...causalCommands,
  train: {
    usage: `train --data FILE|FOLDER    train a classifier on frozen embeddings; compare with baselines
      [--text-column C] [--label-column L] [--pair-column P] [--layer N] [--last-layers N]
      [--head logistic|mlp] [--seed S] [--output DIR]`,
    // A command-line run has no editor to keep responsive, so training runs in-process on the same engine.
    async run(args, io) {
      const data = stringOption(args, 'data') ?? args.positionals[0];
      if (!data) throw new UsageError('train needs --data FILE (CSV, TSV, JSONL) or a folder with one sub-folder per label.');
      const json = args.options.json === true;
      const r = await runTrain(
        {
          data,
          textColumn: stringOption(args, 'text-column'),
          labelColumn: stringOption(args, 'label-column'),
          pairColumn: stringOption(args, 'pair-column'),
          model: stringOption(args, 'model'),
          variant: stringOption(args, 'variant') as Variant | undefined,
          layer: args.options.layer !== undefined ? intOption(args, 'layer', -1) : undefined,
          seed: args.options.seed !== undefined ? intOption(args, 'seed', 42) : undefined,
          output: stringOption(args, 'output'),
          pooling: stringOption(args, 'pooling') as 'mean' | 'cls' | undefined,
          head: stringOption(args, 'head') as 'logistic' | 'mlp' | undefined,
          lastLayers: args.options['last-layers'] !== undefined ? intOption(args, 'last-layers', 1) : undefined,
          json,
        },
        { log: (line) => (json ? io.err(line) : io.out(line)) },
        new Engine(),
      );
      if (json) io.out(JSON.stringify(r));
      return 0;
    },
  },
};
