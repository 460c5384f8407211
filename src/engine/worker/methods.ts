// The worker's method table: name → handler. Each handler takes plain params and returns plain JSON.
import type { ModelSpec } from '../api';
import type { Engine } from '../engine';
import { listModels } from '../models/resolve';
import { attention, attentionTensors } from '../tasks/attention';
import { embed, embedBatch, similarity } from '../tasks/embeddings';
import { fillMask } from '../tasks/fillMask';
import { questionAnswering } from '../tasks/questionAnswering';
import { replacedTokens } from '../tasks/replacedTokens';
import { classify, nextSentence } from '../tasks/sequenceClassification';
import { tokenClassification } from '../tasks/tokenClassification';
import { tokenize } from '../tasks/tokenize';
import { trainingMethods } from '../training/methods';
import { transferring } from './transfer';

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
  // Flat float32 maps, transferred to the caller (no structured clone of nested arrays).
  attentionTensors: task(async (m, req, ctx) => {
    const t = await attentionTensors(m, req, ctx);
    return transferring(t, [t.attentions.buffer, t.headMean.buffer, t.rollout.buffer]);
  }),
  similarity: task(similarity),
  ...trainingMethods,
};
