// "Why this label?" for a test example in the Classifier Trainer's results: asks the worker for the saliency of
// the predicted label through the trained network (trainingExplain) and shows it in the sidebar. It reads the
// run held in the worker; nothing in the user's files or editors changes.
import * as vscode from 'vscode';
import type { SaliencyMethod } from '../../engine/api';
import { EngineError } from '../../engine/errors';
import type { TrainerState, TrainerWhy } from '../../webviews/protocol/trainer';
import type { Services } from '../services';

export async function explainExample(
  services: Services,
  state: () => TrainerState,
  show: (why: TrainerWhy) => void,
  example: number,
): Promise<void> {
  const run = state().result;
  if (!run || state().why?.busy) return;
  const method = vscode.workspace.getConfiguration('bertLens').get<SaliencyMethod>('saliency.method', 'grad-input');
  show({ example, busy: true });
  try {
    const result = await services.client.trainingExplain({ runId: run.runId, example, method });
    if (state().result?.runId !== run.runId) return; // a new run replaced the results meanwhile
    show({ example, result });
    services.log.info(
      `trainer why: example ${example} of ${run.runId}, ${result.method} through the ${result.network} network, ${result.scores.length} tokens`,
    );
    services.log.trace(
      `trainer-why-result: ${JSON.stringify({ example, method: result.method, target: result.target, logprob: result.logprob, tokens: result.tokens, scores: result.scores })}`,
    );
  } catch (err) {
    if (state().result?.runId !== run.runId) return;
    const e = err instanceof EngineError ? err : undefined;
    show({
      example,
      error: e
        ? `${e.message}${e.hint ? ` ${e.hint}` : ''}`
        : vscode.l10n.t('Unexpected error: {0}', err instanceof Error ? err.message : String(err)),
    });
    services.log.warn(`trainer why failed [${e?.code ?? 'internal'}]: ${e?.message ?? String(err)}`);
  }
}
