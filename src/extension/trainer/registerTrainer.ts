import * as vscode from 'vscode';
import { toAbortSignal } from '../adapters';
import { PARAGRAPH_LABEL_ID } from '../core/themeColors';
import { guarded, userError } from '../errors';
import type { Services } from '../services';
import { trainerViewId } from '../../webviews/protocol/trainer';
import { splitUnits } from './paragraphs';
import { TrainerViewProvider } from './trainerView';

const labelDecoration = vscode.window.createTextEditorDecorationType({
  after: { margin: '0 0 0 1.5em', color: new vscode.ThemeColor(PARAGRAPH_LABEL_ID), fontStyle: 'italic' },
  rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
});

/** The Classifier Trainer sidebar and the editor commands that use the trained classifier. */
export function registerTrainer(context: vscode.ExtensionContext, services: Services): void {
  const provider = new TrainerViewProvider(services);
  const labelled = new Set<vscode.TextEditor>();
  const requireRun = () => {
    const r = provider.result;
    if (!r)
      throw userError(
        'no-classifier',
        vscode.l10n.t('No classifier has been trained in this session.'),
        vscode.l10n.t('Train one in the Classifier Trainer view first.'),
      );
    return r;
  };
  const command = (id: string, what: string, fn: () => Promise<void> | void) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(services.log, what, fn)));

  command('bertLens.trainer.classifySelection', 'Classify Selection with Trained Classifier', async () => {
    const run = requireRun();
    const editor = vscode.window.activeTextEditor;
    if (!editor)
      throw userError(
        'no-editor',
        vscode.l10n.t('No active editor.'),
        vscode.l10n.t('Open a file and select some text.'),
      );
    const text = editor.selection.isEmpty
      ? editor.document.lineAt(editor.selection.active.line).text
      : editor.document.getText(editor.selection);
    if (!text.trim())
      throw userError(
        'no-text',
        vscode.l10n.t('The selection is empty.'),
        vscode.l10n.t('Select the text to classify.'),
      );
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('BERT Lens: classifying') },
      (_p, token) =>
        services.client.trainingClassify({ runId: run.runId, texts: [text] }, { signal: toAbortSignal(token) }),
    );
    const ranked = r.labels
      .map((label, i) => ({ label, score: r.probabilities[0][i] }))
      .sort((a, b) => b.score - a.score);
    services.log.info(
      `trained classifier: ${ranked.map((x) => `${x.label} ${(x.score * 100).toFixed(1)}%`).join(', ')}`,
    );
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'BERT Lens (trained classifier): {0}',
        ranked.map((x) => `${x.label} ${(x.score * 100).toFixed(1)}%`).join(' · '),
      ),
    );
  });

  command('bertLens.trainer.labelParagraphs', 'Label Paragraphs with Trained Classifier', async () => {
    const run = requireRun();
    const editor = vscode.window.activeTextEditor;
    if (!editor)
      throw userError(
        'no-editor',
        vscode.l10n.t('No active editor.'),
        vscode.l10n.t('Open the file whose paragraphs to label.'),
      );
    const units = splitUnits(editor.document.getText());
    if (!units.length) throw userError('no-text', vscode.l10n.t('The file has no text to label.'));
    const r = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('BERT Lens: labelling {0} paragraph(s)', units.length),
        cancellable: true,
      },
      (_p, token) =>
        services.client.trainingClassify(
          { runId: run.runId, texts: units.map((u) => u.text) },
          { signal: toAbortSignal(token) },
        ),
    );
    const decorations = units.map((u, i) => {
      const probs = r.probabilities[i];
      let best = 0;
      probs.forEach((p, j) => p > probs[best] && (best = j));
      const line = editor.document.lineAt(u.lastLine);
      const tip = r.labels.map((l, j) => `${l}: ${(probs[j] * 100).toFixed(1)}%`).join('  \n');
      return {
        range: new vscode.Range(line.range.end, line.range.end),
        renderOptions: { after: { contentText: `⟵ ${r.labels[best]} ${(probs[best] * 100).toFixed(0)}%` } },
        hoverMessage: new vscode.MarkdownString(`**Trained classifier**  \n${tip}`),
      };
    });
    editor.setDecorations(labelDecoration, decorations);
    labelled.add(editor);
  });

  context.subscriptions.push(
    vscode.commands.registerCommand(
      'bertLens.trainer.trainOnFile',
      guarded(services.log, 'Train Classifier on This File', async (uri?: vscode.Uri) => {
        const target = uri ?? vscode.window.activeTextEditor?.document.uri;
        if (!target || target.scheme !== 'file')
          throw userError(
            'no-file',
            vscode.l10n.t('Train Classifier on This File needs a file on disk.'),
            vscode.l10n.t('Right-click a .csv, .tsv, .jsonl or .conll file in the Explorer.'),
          );
        await vscode.commands.executeCommand('bertLens.trainer.focus');
        await provider.useFile(target.fsPath);
      }),
    ),
  );

  command('bertLens.trainer.adapt', 'Adapt Model to Workspace', async () => {
    await vscode.commands.executeCommand('bertLens.trainer.focus');
    provider.adapt.show();
  });

  command('bertLens.trainer.clearLabels', 'Clear Paragraph Labels', () => {
    for (const e of labelled) e.setDecorations(labelDecoration, []);
    labelled.clear();
  });

  context.subscriptions.push(
    labelDecoration,
    vscode.window.registerWebviewViewProvider(trainerViewId, provider),
    vscode.workspace.onDidChangeTextDocument((e) => {
      for (const ed of labelled) if (ed.document === e.document) ed.setDecorations(labelDecoration, []);
    }),
  );
}
