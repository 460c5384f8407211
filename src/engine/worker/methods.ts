// The worker's method table: name → handler. Each handler takes plain params and returns plain JSON.
import type { ModelSpec } from '../api';
import type { Engine } from '../engine';
import { listModels } from '../models/resolve';
import { attention } from '../tasks/attention';
import { embed, embedBatch, similarity } from '../tasks/embeddings';
import { fillMask } from '../tasks/fillMask';
import { questionAnswering } from '../tasks/questionAnswering';
import { replacedTokens } from '../tasks/replacedTokens';
import { classify, nextSentence } from '../tasks/sequenceClassification';
import { tokenClassification } from '../tasks/tokenClassification';
import { tokenize } from '../tasks/tokenize';
import { trainingMethods } from '../training/methods';
import { generate, nextToken } from '../tasks/causalLm';
import { directions } from '../tasks/directions';
import { surprisal } from '../tasks/surprisal';

export interface MethodContext {
  signal: AbortSignal;
  progress(p: unknown): void;
}
export type Method = (engine: Engine, params: any, ctx: MethodContext) => Promise<unknown>;

type WithSpec<T> = T & { spec?: ModelSpec };

/** Wraps a task: load (or reuse) the model named by `params.spec`, then run the task on the rest. */
function task<R>(fn: (m: Awaited<ReturnType<Engine['model']>>, req: any, ctx: { signal: AbortSignal; onProgress: (p: unknown) => void }) => Promise<R>): Method {
  return async (engine, params: WithSpec<Record<string, unknown>>, ctx) => {
    const { spec, ...req } = params;
    const m = await engine.model(spec ?? {}, { signal: ctx.signal, onProgress: ctx.progress });
    return fn(m, req, { signal: ctx.signal, onProgress: ctx.progress });
  };
}

export const methods: Record<string, Method> = {
  loadModel: async (engine, params: { spec?: ModelSpec }, ctx) => (await engine.model(params.spec ?? {}, { signal: ctx.signal, onProgress: ctx.progress })).summary(),
  listModels: async (_engine, params: { spec?: ModelSpec }) => listModels(params.spec ?? {}),
  unloadAll: async (engine) => engine.unloadAll(),
  tokenize: task(tokenize),
  fillMask: task(fillMask),
  tokenClassification: task(tokenClassification),
  questionAnswering: task(questionAnswering),
  classify: task(classify),
  nextSentence: task(nextSentence),
  replacedTokens: task(replacedTokens),
  embed: task(embed),
  embedBatch: task(embedBatch),
  attention: task(attention),
  similarity: task(similarity),
  nextToken: task(nextToken),
  generate: task(generate),
  surprisal: task(surprisal),
  // Two models: the masked LM (spec) and, for the causal column, causalSpec.
  directions: async (engine, params: WithSpec<Record<string, any>>, ctx) => {
    const { spec, causalSpec, ...req } = params;
    const m = await engine.model(spec ?? {}, { signal: ctx.signal, onProgress: ctx.progress });
    const c = causalSpec ? await engine.model(causalSpec, { signal: ctx.signal, onProgress: ctx.progress }) : undefined;
    return directions(m, c, req as any, { signal: ctx.signal, onProgress: ctx.progress });
  },
  ...trainingMethods,
};
