import * as vscode from 'vscode';
import { logUserText, summaries } from '../core/userTextLog';
import { toAbortSignal, withDelayedProgress } from '../adapters';
import { baseLabel, planEntityDecorations } from '../core/decorationPlan';
import type { Annotations } from '../decorations/annotations';
import type { Services } from '../services';
import { modelLabel } from '../settings';
import type { EntitiesView } from '../views/entitiesView';
import { activeEditor, selectionOrDocument } from './target';

/** Token classification on the selection or document: decorations per label, the Entities view, a log line. */
export async function recognizeEntities(
  services: Services,
  annotations: Annotations,
  view: EntitiesView,
): Promise<void> {
  const editor = activeEditor();
  const doc = editor.document;
  const { text, base } = selectionOrDocument(editor);
  const summary = await services.ensureModel();
  if (summary.head !== 'token-classification') {
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t(
        'Recognize Entities needs a token-classification (NER) model; {0} is a {1} model.',
        modelLabel(services.settings().model),
        summary.head,
      ),
      { detail: vscode.l10n.t('Pick an NER model, for example the hub id Xenova/bert-base-NER or a local folder.') },
      vscode.l10n.t('Select Model'),
    );
    if (choice === vscode.l10n.t('Select Model')) await vscode.commands.executeCommand('bertLens.model.select');
    services.log.warn(`entities: model ${summary.id} has head ${summary.head}, not token-classification`);
    return;
  }
  const result = await withDelayedProgress(vscode.l10n.t('BERT Lens: recognizing entities…'), (token) =>
    services.timed('entities', () =>
      services.client.tokenClassification(
        services.spec(),
        { text, aggregation: 'simple' },
        { signal: toAbortSignal(token) },
      ),
    ),
  );
  const entities = result.entities.map((e) => ({
    label: baseLabel(e.label),
    start: e.start + base,
    end: e.end + base,
    text: e.text,
    score: e.score,
    line: doc.positionAt(e.start + base).line + 1,
  }));
  annotations.set('entities', doc, planEntityDecorations(result.entities, base));
  view.set(doc.uri, entities);
  // Show the list without moving the focus: the editor keeps it, and a quick input opened meanwhile (the
  // user's next command) stays open. The log line comes last, once the UI work is done.
  if (!entities.length)
    void vscode.window.showInformationMessage(vscode.l10n.t('BERT Lens: no entities found in this text.'));
  else await view.reveal();
  logUserText(
    services.log,
    `entities: ${JSON.stringify(entities.map((e) => ({ label: e.label, start: e.start, end: e.end, text: e.text })))}`,
    summaries.entities(entities),
  );
}
