import * as vscode from 'vscode';
import { toAbortSignal, withDelayedProgress } from '../adapters';
import { userError } from '../errors';
import type { Services } from '../services';
import { activeEditor, selectionOrDocument } from './target';

const CLASSIFY_HEADS = new Set(['sequence-classification', 'next-sentence', 'pretraining']);

/** Sequence classification of the selection, with an optional second text for pair tasks (NLI, and
 *  next-sentence prediction on models with that head). */
export async function classifySelection(services: Services): Promise<void> {
  const editor = activeEditor();
  const { text } = selectionOrDocument(editor, 4000);
  const summary = await services.ensureModel();
  if (!CLASSIFY_HEADS.has(summary.head)) {
    throw userError(
      'wrong-head',
      vscode.l10n.t(
        'Classify Selection needs a sequence-classification or next-sentence model; {0} is a {1} model.',
        summary.id,
        summary.head,
      ),
      vscode.l10n.t('Select a classifier (e.g. an NLI model).'),
    );
  }
  const pair = await vscode.window.showInputBox({
    title: vscode.l10n.t('BERT Lens: Classify Selection'),
    prompt:
      summary.head === 'sequence-classification'
        ? vscode.l10n.t('Optional second text for pair tasks (NLI); leave empty to classify the selection alone')
        : vscode.l10n.t('The sentence that may follow the selection (next-sentence prediction)'),
    placeHolder: vscode.l10n.t('Second text (optional)'),
  });
  if (pair === undefined) return;
  let lines: string[];
  if (summary.head === 'sequence-classification') {
    const r = await withDelayedProgress(vscode.l10n.t('BERT Lens: classifying…'), (token) =>
      services.timed('classify', () =>
        services.client.classify(
          services.spec(),
          { text, pair: pair.trim() || undefined },
          { signal: toAbortSignal(token) },
        ),
      ),
    );
    lines = r.labels.map((l) => `${l.label}: ${(l.score * 100).toFixed(1)}%`);
  } else {
    if (!pair.trim()) throw userError('no-pair', vscode.l10n.t('Next-sentence prediction needs a second text.'));
    const r = await withDelayedProgress(vscode.l10n.t('BERT Lens: classifying…'), (token) =>
      services.timed('next-sentence', () =>
        services.client.nextSentence(services.spec(), { a: text, b: pair }, { signal: toAbortSignal(token) }),
      ),
    );
    lines = [`is next: ${(r.is_next * 100).toFixed(1)}%`, `not next: ${((1 - r.is_next) * 100).toFixed(1)}%`];
  }
  services.log.info(`classify: ${lines.join(', ')}`);
  if (summary.head !== 'sequence-classification') {
    await vscode.window.showQuickPick(lines, {
      title: vscode.l10n.t('BERT Lens: classification'),
      placeHolder: summary.id,
    });
    return;
  }
  // "Why this label?": picking a label shades the selection by its saliency for that label.
  const picked = await vscode.window.showQuickPick(lines, {
    title: vscode.l10n.t('BERT Lens: classification'),
    placeHolder: vscode.l10n.t('{0} — pick a label: why this label? (Explain Prediction)', summary.id),
  });
  if (picked === undefined) return;
  const label = picked.slice(0, picked.lastIndexOf(':'));
  await vscode.commands.executeCommand('bertLens.saliency.explain', { label, pair: pair.trim() || undefined });
}
