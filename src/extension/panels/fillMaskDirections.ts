// The Fill-Mask panel's Directions view, host side: for the first masked span, BERT (the panel's first model)
// with the whole text, with the text cut after the word (left side only) and before it (right side only), and
// the causal model of bertLens.causalModel from the left context.
import { logUserText } from '../core/userTextLog';
import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import type { DirectionsView, FillMaskState } from '../../webviews/protocol/fillMask';
import type { Services } from '../services';
import { modelLabel } from '../settings';

export async function computeDirections(
  services: Services,
  state: FillMaskState,
  signal: AbortSignal,
): Promise<DirectionsView> {
  const span = state.masks[0];
  const causal = vscode.workspace.getConfiguration('bertLens').get<string>('causalModel', '').trim();
  const view: DirectionsView = { enabled: true, span, causalLabel: causal ? modelLabel(causal) : undefined };
  if (!span) return { ...view, error: vscode.l10n.t('Mask a word (click a token) to compare the directions.') };
  const bert = state.models[0]?.model ?? services.settings().model;
  try {
    await services.ensureModel(bert);
    if (causal) await services.ensureModel(causal);
    view.result = await services.client.directions(
      services.spec(bert),
      { text: state.text, span, topK: state.topK, causalSpec: causal ? services.spec(causal) : undefined },
      { signal },
    );
    logUserText(
      services.log,
      `fill-mask directions: ${JSON.stringify({ word: view.result.word, bidirectional: view.result.bidirectional, left_only: view.result.left_only, right_only: view.result.right_only, causal: view.result.causal })}`,
      `fill-mask directions: ${view.result.causal ? 4 : 3} columns`,
    );
  } catch (err) {
    if (err instanceof EngineError && err.code === 'cancelled') throw err;
    view.error = err instanceof EngineError ? `${err.message}${err.hint ? ` ${err.hint}` : ''}` : String(err);
  }
  return view;
}
