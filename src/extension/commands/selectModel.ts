import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import type { Services } from '../services';
import { isEmbedded, modelLabel } from '../settings';

interface ModelItem extends vscode.QuickPickItem {
  value?: string;
  action?: 'hub' | 'folder';
}

/** Hub models suggested per task (the walkthrough's "four fine-tuning shapes" link here with `suggest`). */
export const SUGGESTED_MODELS: { task: string; id: string; what: string }[] = [
  {
    task: 'classify',
    id: 'Xenova/distilbert-base-uncased-finetuned-sst-2-english',
    what: 'classify: sentiment (positive / negative)',
  },
  { task: 'pair', id: 'Xenova/distilbert-base-uncased-mnli', what: 'pair: entailment / neutral / contradiction' },
  { task: 'tag', id: 'Xenova/bert-base-NER', what: 'tag: named entities (PER, ORG, LOC, MISC)' },
  { task: 'qa', id: 'Xenova/distilbert-base-cased-distilled-squad', what: 'QA: extractive answers (SQuAD)' },
  { task: 'masked-lm', id: 'Xenova/bert-base-uncased', what: 'masked LM: BERT base, 12 layers' },
];

/** Embedded model, cached models, a hub id or a local folder → bertLens.model, then load it (hub downloads
 *  show a cancellable progress notification) and report the execution provider. With `suggest`, the hub model
 *  suggested for that task comes first. */
export async function selectModel(services: Services, args?: { suggest?: string }): Promise<void> {
  const current = services.settings().model;
  const items: ModelItem[] = [
    {
      label: '$(package) mini-bert-uncased',
      description: vscode.l10n.t('embedded · masked LM · offline'),
      value: '',
      picked: isEmbedded(current),
    },
  ];
  const suggested = [...SUGGESTED_MODELS].sort(
    (a, b) => Number(b.task === args?.suggest) - Number(a.task === args?.suggest),
  );
  if (args?.suggest && suggested[0].task === args.suggest)
    items.unshift({
      label: `$(star) ${suggested[0].id}`,
      description: vscode.l10n.t('suggested · {0} · download', suggested[0].what),
      value: suggested[0].id,
    });
  try {
    const listing = await services.client.listModels(services.spec());
    const cached = listing.models.filter((m) => m.source !== 'embedded');
    if (cached.length) items.push({ label: vscode.l10n.t('Cached'), kind: vscode.QuickPickItemKind.Separator });
    for (const m of cached)
      items.push({
        label: `$(database) ${m.id}`,
        description: `${m.source} · ${m.variants.join(', ')}`,
        detail: m.path,
        value: m.source === 'cache' ? m.id : m.path,
      });
  } catch (err) {
    services.log.warn(`listModels failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  items.push({ label: vscode.l10n.t('Suggested (hub, downloads once)'), kind: vscode.QuickPickItemKind.Separator });
  for (const m of suggested)
    if (!items.some((i) => i.value === m.id))
      items.push({ label: `$(cloud-download) ${m.id}`, description: m.what, value: m.id });
  items.push(
    { label: vscode.l10n.t('Other'), kind: vscode.QuickPickItemKind.Separator },
    {
      label: vscode.l10n.t('$(cloud-download) Hugging Face hub id…'),
      description: vscode.l10n.t('e.g. Xenova/bert-base-NER (downloads once, then offline)'),
      action: 'hub',
    },
    {
      label: vscode.l10n.t('$(folder-opened) Local folder…'),
      description: vscode.l10n.t('hub layout: config.json, tokenizer.json, onnx/model*.onnx'),
      action: 'folder',
    },
  );
  const pick = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('BERT Lens: Select Model (current: {0})', modelLabel(current)),
    matchOnDescription: true,
  });
  if (!pick) return;
  let value = pick.value;
  if (pick.action === 'hub') {
    value = await vscode.window.showInputBox({
      title: vscode.l10n.t('Hugging Face hub model id'),
      placeHolder: 'Xenova/bert-base-NER', // l10n: a model id, not translated
      validateInput: (v) => (/^[\w.-]+\/[\w.-]+$/.test(v.trim()) ? undefined : vscode.l10n.t('Expected owner/name')),
    });
    value = value?.trim();
  } else if (pick.action === 'folder') {
    const uris = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: vscode.l10n.t('Use this model'),
    });
    value = uris?.[0]?.fsPath;
  }
  if (value === undefined) return;
  await setModel(services, value);
}

export async function setModel(services: Services, value: string): Promise<void> {
  const config = vscode.workspace.getConfiguration('bertLens');
  const inspect = config.inspect<string>('model');
  const target =
    inspect?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  const previous = target === vscode.ConfigurationTarget.Workspace ? inspect?.workspaceValue : inspect?.globalValue;
  const before = services.settings().model;
  await config.update('model', value, target);
  let summary;
  try {
    summary = await services.ensureModel(value);
  } catch (err) {
    // A cancelled or failed load must not leave the setting (and the status bar) on a model that is not there:
    // every later command would start the download again. The partial file stays in the cache for a resume.
    if (services.settings().model === value) await config.update('model', previous, target);
    services.log.info(`select model: ${value} was not loaded; the model stays ${before || 'embedded'}`);
    if (err instanceof EngineError && err.code === 'cancelled') {
      void vscode.window.showInformationMessage(
        vscode.l10n.t(
          'BERT Lens: download of {0} cancelled; the model stays {1}.',
          modelLabel(value),
          modelLabel(before),
        ),
      );
      return;
    }
    throw err;
  }
  const msg =
    vscode.l10n.t(
      'BERT Lens: {0} — {1}, {2} layers × {3} heads, {4}, on {5}',
      modelLabel(value),
      summary.head,
      summary.numLayers,
      summary.numHeads,
      summary.variant,
      summary.provider,
    ) + (summary.fallbackReason ? vscode.l10n.t(' (fell back: {0})', summary.fallbackReason) : '');
  services.log.info(msg);
  void vscode.window.showInformationMessage(msg);
}
