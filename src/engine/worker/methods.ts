// The worker's method table: name → handler, typed by the method map in ../rpc.ts. Each handler takes plain
// params and returns plain JSON.
import type { Engine } from '../engine';
import type { LoadedModel } from '../model';
import { listModels, modelDownloadSize } from '../models/resolve';
import type { MethodContext, MethodTable, TaskMethods, TaskProgress, WithSpec } from '../rpc';
import { attention, attentionTensors } from '../tasks/attention';
import type { TaskContext } from '../tasks/common';
import { embed, embedBatch, similarity } from '../tasks/embeddings';
import { fillMask } from '../tasks/fillMask';
import { inputEmbeddings } from '../tasks/inputEmbeddings';
import { maskPreview } from '../tasks/maskPreview';
import { questionAnswering } from '../tasks/questionAnswering';
import { replacedTokens } from '../tasks/replacedTokens';
import { saliency } from '../tasks/saliency';
import { classify, nextSentence } from '../tasks/sequenceClassification';
import { tokenClassification } from '../tasks/tokenClassification';
import { tokenize } from '../tasks/tokenize';
import { trainingMethods } from '../training/methods';
import { causalMethods } from '../tasks/causalMethods';
import { adaptMethods } from '../training/adaptMethods';
import { distillMethods } from '../training/distillMethods';
import { transferring } from './transfer';

/** Wraps a task: load (or reuse) the model named by `params.spec`, then run the task on the rest. */
function task<Req, R>(fn: (m: LoadedModel, req: Req, ctx: TaskContext) => Promise<R>) {
  return async (engine: Engine, params: WithSpec<Req>, ctx: MethodContext<TaskProgress>): Promise<R> => {
    const { spec, ...req } = params;
    // Held for the task's duration, so that evicting it for another model waits for this request.
    return engine.use(spec ?? {}, { signal: ctx.signal, onProgress: ctx.progress }, (m) =>
      fn(m, req as Req, { signal: ctx.signal, onProgress: ctx.progress, onPreparing: ctx.progress }),
    );
  };
}

const taskMethods: MethodTable<keyof TaskMethods> = {
  loadModel: async (engine, params, ctx) =>
    engine.use(params.spec ?? {}, { signal: ctx.signal, onProgress: ctx.progress }, async (m) => m.summary()),
  listModels: async (_engine, params) => listModels(params.spec ?? {}),
  downloadSize: async (_engine, params, ctx) => modelDownloadSize(params.spec ?? {}, { signal: ctx.signal }),
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
  attentionTensors: task(async (m, req: { text: string; pair?: string }, ctx) => {
    const t = await attentionTensors(m, req, ctx);
    return transferring(t, [t.attentions.buffer, t.headMean.buffer, t.rollout.buffer]);
  }),
  similarity: task(similarity),
  saliency: task(saliency),
  maskPreview: task(maskPreview),
  inputEmbeddings: task(inputEmbeddings),
};

export const methods: MethodTable = {
  ...taskMethods,
  ...trainingMethods,
  ...causalMethods,
  ...adaptMethods,
  ...distillMethods,
};
