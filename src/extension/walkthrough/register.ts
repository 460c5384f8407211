// Registers the walkthrough's commands and panels, and the housekeeping commands that came with it (Unload
// Models, Clear Feature Cache, Set Hugging Face Token).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultFeatureCacheDir } from '../../engine/training/featureCache';
import { inputEmbeddingsViewType, maskPreviewViewType } from '../../webviews/protocol/walk';
import { showInputEmbeddings, showMaskPreview } from '../commands/walkViews';
import { guarded, userError } from '../errors';
import { InputEmbeddingsPanel, MaskPreviewPanel } from '../panels/walkPanels';
import type { Services } from '../services';
import { HF_TOKEN_SECRET, modelLabel } from '../settings';
import { bankLesson, openSample, wordPieceStats } from './walkthrough';

export const WALKTHROUGH_ID = 'bert-lens.bert-lens#bertLens.learn';

function folderSize(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files++;
        bytes += fs.statSync(p).size;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function registerWalkthrough(context: vscode.ExtensionContext, s: Services): void {
  const command = (id: string, what: string, fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, guarded(s.log, what, fn as (...args: unknown[]) => unknown)),
    );

  command('bertLens.maskPreview.show', 'Show Masking Preview', (args?: { text?: string; seed?: number }) =>
    showMaskPreview(s, args),
  );
  command('bertLens.inputEmbeddings.show', 'Show Input Embeddings', (args?: { text?: string; pair?: string }) =>
    showInputEmbeddings(s, args),
  );
  command('bertLens.walkthrough.open', 'Learn BERT on Your Own Text', () =>
    vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false),
  );
  command('bertLens.walkthrough.openSample', 'Open Walkthrough Sample', (kind?: string) =>
    openSample(typeof kind === 'string' ? kind : 'bank'),
  );
  command('bertLens.walkthrough.bankLesson', 'Compare "bank" in Three Sentences', () => bankLesson(s));
  command('bertLens.models.unload', 'Unload Models', async () => {
    await s.client.unloadAll();
    s.log.info('unloaded every model (the next feature loads its model again)');
    void vscode.window.showInformationMessage(
      vscode.l10n.t('BERT Lens: models unloaded; memory is freed until a feature needs one again.'),
    );
  });
  command('bertLens.featureCache.clear', 'Clear Feature Cache', async () => {
    const dir = defaultFeatureCacheDir();
    const { bytes, files } = folderSize(dir);
    if (!files) {
      void vscode.window.showInformationMessage(vscode.l10n.t('BERT Lens: the feature cache is empty ({0}).', dir));
      return;
    }
    const clear = vscode.l10n.t('Clear {0}', formatBytes(bytes));
    const pick = await vscode.window.showWarningMessage(
      vscode.l10n.t(
        "BERT Lens: the trainer's feature cache holds {0} file(s), {1}, in {2}. Clear it?",
        files,
        formatBytes(bytes),
        dir,
      ),
      { modal: true },
      clear,
    );
    if (pick !== clear) return;
    fs.rmSync(dir, { recursive: true, force: true });
    s.log.info(`cleared the feature cache (${formatBytes(bytes)}, ${files} files) in ${dir}`);
    void vscode.window.showInformationMessage(
      vscode.l10n.t('BERT Lens: cleared {0} of cached features.', formatBytes(bytes)),
    );
  });
  command('bertLens.huggingFace.setToken', 'Set Hugging Face Token', async () => {
    const token = await vscode.window.showInputBox({
      title: vscode.l10n.t('Hugging Face token'),
      prompt: vscode.l10n.t(
        "Used only for downloads from the Hugging Face hub (gated or private models). Stored in VS Code's secret storage. Leave empty to remove it.",
      ),
      password: true,
      ignoreFocusOut: true,
    });
    if (token === undefined) return;
    if (token.trim()) await context.secrets.store(HF_TOKEN_SECRET, token.trim());
    else await context.secrets.delete(HF_TOKEN_SECRET);
    void vscode.window.showInformationMessage(
      token.trim()
        ? vscode.l10n.t('BERT Lens: Hugging Face token saved.')
        : vscode.l10n.t('BERT Lens: Hugging Face token removed.'),
    );
  });

  command('bertLens.walkthrough.wordPieces', 'Show Word Pieces and [UNK] Rate', async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor)
      throw userError(
        'no-editor',
        vscode.l10n.t('Open a text editor first.'),
        vscode.l10n.t('The word pieces are shown for the active file.'),
      );
    const text = (
      editor.selection.isEmpty ? editor.document.getText() : editor.document.getText(editor.selection)
    ).slice(0, 200_000);
    if (!text.trim()) throw userError('empty-text', vscode.l10n.t('The file is empty.'));
    const model = s.settings().model;
    await s.ensureModel(model);
    const r = await s.timed('tokenize', () => s.client.tokenize(s.spec(model), { text }));
    const stats = wordPieceStats(r);
    const words = stats.rarest.map((w) => `${w.word} = ${w.pieces.join(' ')}`).join(' · ');
    const msg = vscode.l10n.t(
      'BERT Lens ({0}): {1} tokens, [UNK] {2} ({3} %). Most split words: {4}',
      modelLabel(model),
      stats.tokens,
      stats.unknown,
      (stats.unknownRate * 100).toFixed(2),
      words || '—',
    );
    void vscode.window.showInformationMessage(msg);
  });

  // The editor's "BERT Lens" submenu shows in the hover languages only (every language when `comments` is on).
  const updateEditorMenu = () => {
    const langs = s.settings().hoverLanguages;
    const lang = vscode.window.activeTextEditor?.document.languageId;
    void vscode.commands.executeCommand(
      'setContext',
      'bertLens.editorMenu',
      !!lang && (langs.includes(lang) || langs.includes('comments')),
    );
  };
  updateEditorMenu();
  context.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor(updateEditorMenu),
    vscode.workspace.onDidChangeConfiguration(
      (e) => e.affectsConfiguration('bertLens.hover.languages') && updateEditorMenu(),
    ),
    vscode.workspace.onDidOpenTextDocument(() => updateEditorMenu()),
  );

  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(maskPreviewViewType, {
      deserializeWebviewPanel: async (panel, state) => MaskPreviewPanel.revive(panel, s, state),
    }),
    vscode.window.registerWebviewPanelSerializer(inputEmbeddingsViewType, {
      deserializeWebviewPanel: async (panel, state) => InputEmbeddingsPanel.revive(panel, s, state),
    }),
  );
}
