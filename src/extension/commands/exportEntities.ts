import * as vscode from 'vscode';
import * as path from 'node:path';
import { entitiesCsv, entitiesJson } from '../core/exportData';
import { userError } from '../errors';
import { saveExport } from '../panels/saveExport';
import type { Services } from '../services';
import type { EntitiesView } from '../views/entitiesView';

/** The Entities view's title action: the listed entities as JSON or CSV (label, start, end, text, score, line),
 *  through the same save dialog as the panels' exports (the chosen extension picks the format). */
export async function exportEntities(services: Services, view: EntitiesView): Promise<void> {
  const { uri, entities } = view.current();
  if (!entities.length)
    throw userError(
      'no-entities',
      vscode.l10n.t('There are no entities to export.'),
      vscode.l10n.t('Run Recognize Entities with an NER model first.'),
    );
  const name = uri ? `${path.basename(uri.fsPath).replace(/\.[^.]*$/, '')}-entities` : 'entities';
  await saveExport(services, 'entities', name, ['json', 'csv'], (format) =>
    format === 'csv' ? entitiesCsv(entities) : entitiesJson(entities, uri?.fsPath) + '\n',
  );
}
