// The command table: `bert-lens --help` lists the commands in this order; parsing (../args.ts) and dispatch
// (../main.ts) look commands up here. To add a command: a module in this folder exporting a `Command`, and its
// entry below.
import type { Command } from '../command';
import { attention } from './attention';
import { classify } from './classify';
import { directions } from './directions';
import { distill } from './distill';
import { embed } from './embed';
import { fillMask } from './fillMask';
import { generate } from './generate';
import { info } from './info';
import { inputEmbeddings } from './inputEmbeddings';
import { maskPreview } from './maskPreview';
import { models } from './models';
import { ner } from './ner';
import { nextToken } from './nextToken';
import { nsp } from './nsp';
import { qa } from './qa';
import { rtd } from './rtd';
import { saliency } from './saliency';
import { similarity } from './similarity';
import { surprisal } from './surprisal';
import { tokenize } from './tokenize';
import { train } from './train';
import { adapt } from './adapt';

export const COMMANDS: readonly Command[] = [
  tokenize,
  fillMask,
  ner,
  qa,
  classify,
  nsp,
  rtd,
  embed,
  similarity,
  attention,
  saliency,
  maskPreview,
  inputEmbeddings,
  models,
  info,
  nextToken,
  generate,
  surprisal,
  directions,
  train,
  adapt,
  distill,
];
