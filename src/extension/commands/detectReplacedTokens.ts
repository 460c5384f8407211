import * as vscode from 'vscode';
import { toAbortSignal, withDelayedProgress } from '../adapters';
import { planReplacedDecorations } from '../core/decorationPlan';
import type { Annotations } from '../decorations/annotations';
import { userError } from '../errors';
import type { Services } from '../services';
import { activeEditor, selectionOrDocument } from './target';

/** ELECTRA discriminator: tokens decorated by their probability of having been replaced. */
export async function detectReplacedTokens(services: Services, annotations: Annotations): Promise<void> {
  const editor = activeEditor();
  const { text, base } = selectionOrDocument(editor, 8000);
  const summary = await services.ensureModel();
  if (summary.head !== 'replaced-token-detection') {
    throw userError(
      'wrong-head',
      vscode.l10n.t(
        'Detect Replaced Tokens needs an ELECTRA discriminator; {0} is a {1} model.',
        summary.id,
        summary.head,
      ),
      vscode.l10n.t('Select one (e.g. an electra-*-discriminator export).'),
    );
  }
  const result = await withDelayedProgress(vscode.l10n.t('BERT Lens: detecting replaced tokens…'), (token) =>
    services.timed('replaced', () =>
      services.client.replacedTokens(services.spec(), { text }, { signal: toAbortSignal(token) }),
    ),
  );
  const plan = planReplacedDecorations(result, base);
  const groups = new Map([...plan].map(([k, v]) => [String(k), v]));
  annotations.set('replaced', editor.document, groups);
  const n = [...plan.values()].reduce((a, v) => a + v.length, 0);
  services.log.info(`replaced: ${n} of ${result.tokens.length} tokens at p ≥ 0.2`);
}
