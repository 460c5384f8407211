// Commands contributed by other engine areas (the classifier trainer adds `train`).
import type { EngineClient } from '../engine/client';
import type { ParsedArgs } from './args';
import type { Io } from './main';

export interface ExtraCommand {
  usage: string;
  run(args: ParsedArgs, io: Io, client: EngineClient): Promise<number>;
}

export const extraCommands: Record<string, ExtraCommand> = {};
