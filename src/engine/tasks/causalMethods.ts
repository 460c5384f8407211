// Worker methods of the causal-LM area (issue #12), merged into the engine worker's method table.
import type {
  DirectionsRequest,
  DirectionsResult,
  GenerateProgress,
  GenerateRequest,
  GenerateResult,
  NextTokenRequest,
  NextTokenResult,
  SurprisalRequest,
  SurprisalResult,
} from '../api';
import type { LoadedModel } from '../model';
import type { Method, MethodContext, MethodTable, TaskProgress, WithSpec } from '../rpc';
import type { Engine } from '../engine';
import { generate, nextToken } from './causalLm';
import type { TaskContext } from './common';
import { directions } from './directions';
import { surprisal } from './surprisal';

/** The causal-LM part of the method map (../rpc.ts). */
export interface CausalMethods {
  /** Causal LM: the distribution after the text. */
  nextToken: Method<WithSpec<NextTokenRequest>, NextTokenResult, TaskProgress>;
  /** Causal LM: a continuation; progress reports each token as it comes. */
  generate: Method<WithSpec<GenerateRequest>, GenerateResult, TaskProgress | GenerateProgress>;
  /** Per-token log-probability and rank: causal, or pseudo-likelihood for a masked LM. */
  surprisal: Method<WithSpec<SurprisalRequest>, SurprisalResult, TaskProgress>;
  /** A word from both sides, one side (BERT with the text cut), and by a causal model (`causalSpec`). */
  directions: Method<WithSpec<DirectionsRequest>, DirectionsResult, TaskProgress>;
}

function task<Req, R>(fn: (m: LoadedModel, req: Req, ctx: TaskContext) => Promise<R>) {
  return async (engine: Engine, params: WithSpec<Req>, ctx: MethodContext<TaskProgress>): Promise<R> => {
    const { spec, ...req } = params;
    // Held for the task's duration (see Engine.use), as the other tasks are.
    return engine.use(spec ?? {}, { signal: ctx.signal, onProgress: ctx.progress }, (m) =>
      fn(m, req as Req, { signal: ctx.signal, onProgress: ctx.progress }),
    );
  };
}

export const causalMethods: MethodTable<keyof CausalMethods> = {
  nextToken: task(nextToken),
  generate: task(generate),
  surprisal: task(surprisal),
  // Two models: the masked LM (spec) and, for the causal column, causalSpec.
  directions: async (engine, params, ctx) => {
    const { spec, causalSpec, ...req } = params;
    const o = { signal: ctx.signal, onProgress: ctx.progress };
    return engine.use(spec ?? {}, o, async (m) => {
      if (!causalSpec) return directions(m, undefined, req, o);
      return engine.use(causalSpec, o, (c) => directions(m, c, { ...req, causalSpec }, o));
    });
  },
};
