import type { Variant } from '../../engine/api';
import { Engine } from '../../engine/engine';
import { runFineTuneCommand } from '../../engine/training/fineTuneCommand';
import type { FineTuneTask } from '../../engine/training/taskData';
import { UsageError, intOption, stringOption } from '../args';
import { type Command, opt } from '../command';
import { emitJson } from '../jsonWriter';
import { runTrain } from '../train';
import { fineTuneTable } from '../trainTables';

export const train: Command = {
  name: 'train',
  usage: `train --data FILE|DIR        fine-tune the encoder (or a head on frozen features); compare with baselines
      [--mode fine-tune|frozen] [--task sequence|pair|token|qa] [--epochs N] [--lr X]
      [--train-layers all|top-K|head] [--freeze-embeddings] [--batch-size N] [--max-length N]
      [--class-weights auto|balanced|none] [--dropout P] [--long-texts windows|truncate] [--resume] [--text-column C] [--label-column L] [--pair-column P] [--seed S] [--split-seed S] [--output DIR]
      frozen only: [--layer N] [--last-layers N] [--head logistic|mlp] [--pooling mean|cls]`,
  options: {
    data: opt.str,
    mode: opt.str,
    task: opt.str,
    epochs: opt.str,
    lr: opt.str,
    'train-layers': opt.str,
    'freeze-embeddings': opt.flag,
    'batch-size': opt.str,
    'max-length': opt.str,
    resume: opt.flag,
    'class-weights': opt.str,
    'text-column': opt.str,
    'label-column': opt.str,
    'pair-column': opt.str,
    seed: opt.str,
    'split-seed': opt.str,
    output: opt.str,
    layer: opt.str,
    'last-layers': opt.str,
    head: opt.str,
    pooling: opt.str,
    'all-pieces': opt.flag,
    dropout: opt.str,
    'long-texts': opt.str,
  },
  // The frozen mode trains in the engine's worker, through the client (trainingTrain, trainingSave), like every
  // other command. Fine-tuning is the one exception: it runs in-process on an Engine (a command-line run has no
  // editor to keep responsive, and Ctrl+C must let it keep the best epoch so far, which a cancelled worker call
  // would not wait for).
  async run(args, io, client) {
    const data = stringOption(args, 'data') ?? args.positionals[0];
    if (!data)
      throw new UsageError('train needs --data FILE (CSV, TSV, JSONL) or a folder with one sub-folder per label.');
    const json = args.options.json === true;
    const log = (line: string) => (json ? io.err(line) : io.out(line));
    const mode = stringOption(args, 'mode');
    if (mode !== undefined && mode !== 'fine-tune' && mode !== 'frozen')
      throw new UsageError(`--mode must be fine-tune or frozen, not "${mode}".`);
    const task = stringOption(args, 'task') as FineTuneTask | undefined;
    const classWeights = stringOption(args, 'class-weights');
    if (classWeights !== undefined && classWeights !== 'auto' && classWeights !== 'balanced' && classWeights !== 'none')
      throw new UsageError(
        `--class-weights must be auto, balanced or none, not "${classWeights}" (auto: weigh classes, or tags for --task token, on imbalance).`,
      );
    const dropoutArg = stringOption(args, 'dropout');
    const dropout = dropoutArg === undefined ? undefined : Number(dropoutArg);
    if (dropout !== undefined && !(Number.isFinite(dropout) && dropout >= 0 && dropout < 1))
      throw new UsageError(
        `--dropout must be a rate from 0 to below 1, not "${dropoutArg}" (0 turns the head's dropout off; the default is the model's config).`,
      );
    const longTexts = stringOption(args, 'long-texts');
    if (longTexts !== undefined && longTexts !== 'windows' && longTexts !== 'truncate')
      throw new UsageError(
        `--long-texts must be windows or truncate, not "${longTexts}" (windows: a long text trains and is judged by its windows, as classify reads it).`,
      );
    const engine = new Engine();
    // No --mode: fine-tune when the model has an fp32 variant (gradients need it), otherwise the frozen head.
    let fineTuning = mode === 'fine-tune';
    if (mode === undefined) {
      const m = await engine.model({
        model: stringOption(args, 'model'),
        variant: stringOption(args, 'variant') as Variant | undefined,
      });
      fineTuning = m.folder.variants.includes('fp32');
      if (!fineTuning)
        log(
          `This model has no fp32 variant, so the encoder cannot be fine-tuned: training a head on frozen features (--mode frozen).`,
        );
    }
    if (!fineTuning && args.options['split-seed'] !== undefined)
      throw new UsageError(
        `--split-seed is for --mode fine-tune; in the frozen mode --seed sets the split (and the head's start).`,
      );
    if (!fineTuning && (task === 'token' || task === 'qa'))
      throw new UsageError(
        `--mode frozen trains sequence and pair classifiers only; ${task} needs --mode fine-tune (use --train-layers head for a head on a frozen encoder).`,
      );
    if (fineTuning) {
      const num = (name: string) => {
        const v = stringOption(args, name);
        if (v === undefined) return undefined;
        const x = Number(v);
        if (!Number.isFinite(x) || x <= 0) throw new UsageError(`--${name} needs a positive number, not "${v}".`);
        return x;
      };
      const ac = new AbortController();
      const onInt = () => ac.abort();
      process.once('SIGINT', onInt);
      try {
        const r = await runFineTuneCommand(
          {
            data,
            task,
            textColumn: stringOption(args, 'text-column'),
            labelColumn: stringOption(args, 'label-column'),
            pairColumn: stringOption(args, 'pair-column'),
            model: stringOption(args, 'model'),
            variant: stringOption(args, 'variant') as Variant | undefined,
            seed: args.options.seed !== undefined ? intOption(args, 'seed', 42) : undefined,
            splitSeed: args.options['split-seed'] !== undefined ? intOption(args, 'split-seed', 42) : undefined,
            output: stringOption(args, 'output'),
            epochs: num('epochs'),
            learningRate: num('lr'),
            batchSize: num('batch-size'),
            maxLength: num('max-length'),
            trainLayers: stringOption(args, 'train-layers'),
            freezeEmbeddings: args.options['freeze-embeddings'] === true,
            resume: args.options.resume === true,
            allPieces: args.options['all-pieces'] === true,
            classWeights,
            dropout,
            longTexts,
            pooling: stringOption(args, 'pooling') as 'cls' | 'mean' | undefined,
          },
          { log },
          engine,
          ac.signal,
        );
        for (const line of fineTuneTable(r)) log(line);
        if (json) io.out(JSON.stringify(r));
        return 0;
      } finally {
        process.off('SIGINT', onInt);
      }
    }
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
        classWeights: classWeights === 'none' ? 'none' : classWeights === undefined ? undefined : 'balanced',
        json,
      },
      { log },
      client,
    );
    if (json) await emitJson(io, r);
    return 0;
  },
};
