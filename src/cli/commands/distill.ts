import { type Command, opt } from '../command';
import { DISTILL_USAGE, runDistill } from '../distill';

export const distill: Command = {
  name: 'distill',
  usage: DISTILL_USAGE,
  options: {
    teacher: opt.str,
    student: opt.str,
    'student-layers': opt.str,
    data: opt.str,
    epochs: opt.str,
    temperature: opt.str,
    alpha: opt.str,
    lr: opt.str,
    'batch-size': opt.str,
    'max-length': opt.str,
    'text-column': opt.str,
    'label-column': opt.str,
    'pair-column': opt.str,
    seed: opt.str,
    output: opt.str,
  },
  // Runs in the engine's worker (trainingDistill, trainingDistillSave), like every heavy task.
  run: (args, io, client) => runDistill(args, io, client),
};
