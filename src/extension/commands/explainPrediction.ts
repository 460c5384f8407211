import * as vscode from 'vscode';
import { logUserText } from '../core/userTextLog';
import type { SaliencyMethod, SaliencyResult } from '../../engine/api';
import { toAbortSignal, withDelayedProgress } from '../adapters';
import { planSaliencyDecorations, saliencyMethodName, saliencyTargetText } from '../core/saliencyPlan';
import type { Annotations } from '../decorations/annotations';
import { userError } from '../errors';
import type { Services } from '../services';
import { activeEditor, selectionOrDocument } from './target';

export interface ExplainArgs {
  method?: SaliencyMethod;
  /** Classification: the label to explain (default: the predicted one). */
  label?: string;
  /** Second text of a pair (only the first, the editor's, is shaded). */
  pair?: string;
  /** Masked LM: document offset of the mask to explain (default: the mask at the cursor, else the first). */
  maskOffset?: number;
}

const HEADS = new Set([
  'masked-lm',
  'pretraining',
  'sequence-classification',
  'token-classification',
  'question-answering',
  'replaced-token-detection',
]);

/** Explain Prediction: shades the tokens of the selection (or document) by their saliency for the model's
 *  prediction — a mask's top word, or the predicted label. Runs in the engine worker (cancellable); the shading
 *  is cleared when the text changes. Returns the result (for tests and the panel). */
export async function explainPrediction(
  services: Services,
  annotations: Annotations,
  args: ExplainArgs = {},
): Promise<SaliencyResult | undefined> {
  const editor = activeEditor();
  const doc = editor.document;
  const { text, base } = selectionOrDocument(editor, 20_000);
  const summary = await services.ensureModel();
  if (!HEADS.has(summary.head)) {
    throw userError(
      'wrong-head',
      vscode.l10n.t(
        'Explain Prediction needs a masked-LM or classification model; {0} is a {1} model.',
        summary.id,
        summary.head,
      ),
      vscode.l10n.t('Select another model (BERT Lens: Select Model).'),
    );
  }
  const method =
    args.method ?? vscode.workspace.getConfiguration('bertLens').get<SaliencyMethod>('saliency.method', 'grad-input');
  let position: number | undefined;
  if ((summary.head === 'masked-lm' || summary.head === 'pretraining') && summary.maskToken) {
    // The mask at the given offset, or under the cursor; the engine's default (the first mask) otherwise.
    const at = args.maskOffset ?? doc.offsetAt(editor.selection.active);
    const tok = await services.client.tokenize(services.spec(), { text });
    const masks = tok.tokens.map((t, i) => (t === summary.maskToken ? i : -1)).filter((i) => i >= 0);
    const hit = masks.find((i) => tok.offsets[i][0] + base <= at && at <= tok.offsets[i][1] + base);
    if (args.maskOffset !== undefined && hit === undefined)
      throw userError(
        'no-mask',
        vscode.l10n.t('There is no {0} at that place any more.', summary.maskToken),
        vscode.l10n.t('Run Explain Prediction again from the panel.'),
      );
    position = hit;
  }
  const r = await withDelayedProgress(vscode.l10n.t('BERT Lens: explaining the prediction…'), (token) =>
    services.timed('saliency', () =>
      services.client.saliency(
        services.spec(),
        { text, pair: args.pair, method, label: args.label, position },
        { signal: toAbortSignal(token) },
      ),
    ),
  );
  annotations.set('saliency', doc, planSaliencyDecorations(r, base));
  const what = `${saliencyMethodName(r.method)} saliency of ${saliencyTargetText(r)} (log p ${r.logprob.toFixed(3)}), computed on the fp32 graph`;
  logUserText(services.log, `saliency: ${what}`, `saliency: ${r.method}, ${r.scores.length} tokens`);
  // One JSON line with what was shaded (document offsets), for support and the end-to-end tests.
  services.log.trace(
    `saliency-result: ${JSON.stringify({ method: r.method, target: r.target, logprob: r.logprob, tokens: r.tokens, scores: r.scores, offsets: r.offsets.map(([s, e]) => [s + base, e + base]) })}`,
  );
  if (r.window) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'BERT Lens: the text is long; the shading covers tokens {0}–{1} of {2}, the window that contains the target.',
        r.window.start,
        r.window.end - 1,
        r.window.totalTokens,
      ),
    );
  }
  vscode.window.setStatusBarMessage(vscode.l10n.t('BERT Lens: {0}', what), 8000);
  return r;
}
