import * as vscode from 'vscode';
import { fillMaskViewType } from '../webviews/protocol/fillMask';
import { attentionViewType } from '../webviews/protocol/attention';
import { SuggestionCodeActionProvider } from './codeActions/suggestionProvider';
import { askQuestion } from './commands/askQuestion';
import { chooseOverlaySource, showAttentionOverlay } from './commands/attentionOverlay';
import { classifySelection } from './commands/classifySelection';
import { detectReplacedTokens } from './commands/detectReplacedTokens';
import { exportEntities } from './commands/exportEntities';
import { explainPrediction, type ExplainArgs } from './commands/explainPrediction';
import { predictMaskedToken } from './commands/predictMaskedToken';
import { recognizeEntities } from './commands/recognizeEntities';
import { selectModel } from './commands/selectModel';
import { showAttention } from './commands/showAttention';
import { showFillMaskPanel } from './commands/showFillMaskPanel';
import { ContinueText } from './commands/continueText';
import { SurprisalLens } from './commands/showSurprisal';
import { Annotations } from './decorations/annotations';
import { annotationStyle } from './decorations/styles';
import { guarded } from './errors';
import { WordHoverProvider } from './hover/wordHoverProvider';
import { createLogger } from './log';
import { AttentionPanel } from './panels/attentionPanel';
import { FillMaskPanel } from './panels/fillMaskPanel';
import { createServices, type Services } from './services';
import { ModelStatusBar } from './statusBar';
import { registerTrainer } from './trainer/registerTrainer';
import { EntitiesView } from './views/entitiesView';
import { registerWalkthrough } from './walkthrough/register';
import { setTranslator } from './core/l10n';

let services: Services | undefined;

/** Registers everything and loads nothing: the engine worker and the model start on the first use. */
export function activate(context: vscode.ExtensionContext): { services: Services } {
  const t0 = performance.now();
  setTranslator(vscode.l10n.t); // the text built in core/* goes through vscode.l10n too
  const log = createLogger();
  const statusBar = new ModelStatusBar();
  context.subscriptions.push(log, statusBar);
  const s = createServices(context, log, statusBar);
  services = s;

  const annotations = new Annotations(annotationStyle);
  const entitiesView = new EntitiesView(annotations);
  const entitiesTree = vscode.window.createTreeView('bertLens.entities', { treeDataProvider: entitiesView });
  entitiesView.attach(entitiesTree);
  const hover = new WordHoverProvider(s);
  const suggestions = new SuggestionCodeActionProvider(s);
  const command = (id: string, what: string, fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, guarded(log, what, fn as (...args: unknown[]) => unknown)),
    );

  command('bertLens.fillMask.predict', 'Predict Masked Token', () => predictMaskedToken(s));
  command('bertLens.fillMask.showPanel', 'Show Fill-Mask Panel', () => showFillMaskPanel(s, annotations));
  command('bertLens.entities.recognize', 'Recognize Entities', () => recognizeEntities(s, annotations, entitiesView));
  command('bertLens.entities.clear', 'Clear Entities', () => annotations.clear('entities'));
  command('bertLens.decorations.clear', 'Clear Decorations', () => annotations.clear());
  command('bertLens.entities.reveal', 'Reveal Entity', async (uri: vscode.Uri, start: number, end: number) => {
    const editor = await vscode.window.showTextDocument(uri);
    const range = new vscode.Range(editor.document.positionAt(start), editor.document.positionAt(end));
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  });
  command('bertLens.attention.show', 'Show Attention', () => showAttention(s));
  command(
    'bertLens.attention.overlay',
    'Show Attention Overlay',
    (override?: { source?: 'rollout' | 'headMean'; layer?: number }) => showAttentionOverlay(s, annotations, override),
  );
  command('bertLens.attention.overlaySource', 'Show Attention Overlay From…', () =>
    chooseOverlaySource(s, annotations),
  );
  command('bertLens.attention.clearOverlay', 'Clear Attention Overlay', () => annotations.clear('attention'));
  command('bertLens.entities.export', 'Export Entities', () => exportEntities(s, entitiesView));
  command('bertLens.model.select', 'Select Model', (args?: { suggest?: string }) => selectModel(s, args));
  command('bertLens.qa.ask', 'Ask a Question', () => askQuestion(s, annotations));
  command('bertLens.classify.selection', 'Classify Selection', () => classifySelection(s));
  command('bertLens.replacedTokens.detect', 'Detect Replaced Tokens', () => detectReplacedTokens(s, annotations));
  command('bertLens.saliency.explain', 'Explain Prediction', (args?: ExplainArgs) =>
    explainPrediction(s, annotations, args),
  );
  command('bertLens.saliency.clear', 'Clear Explanation', () => annotations.clear('saliency'));
  command('bertLens.log.show', 'Show Log', () => log.show());
  const surprisal = new SurprisalLens(s, annotations);
  const continuation = new ContinueText(s);
  context.subscriptions.push(surprisal, continuation);
  command('bertLens.surprisal.show', 'Show Surprisal', () => surprisal.show());
  command('bertLens.surprisal.clear', 'Clear Surprisal', () => surprisal.clear());
  command('bertLens.continueText', 'Continue Text', () => continuation.start());
  command('bertLens.continueText.accept', 'Accept Continuation', () => continuation.accept());
  command('bertLens.continueText.reject', 'Reject Continuation', () => continuation.reject());

  context.subscriptions.push(
    annotations,
    entitiesTree,
    vscode.languages.registerHoverProvider(
      [{ scheme: 'file' }, { scheme: 'untitled' }, { scheme: 'vscode-notebook-cell' }],
      hover,
    ),
    vscode.languages.registerCodeActionsProvider(
      [{ scheme: 'file' }, { scheme: 'untitled' }, { scheme: 'vscode-notebook-cell' }],
      suggestions,
      SuggestionCodeActionProvider.metadata,
    ),
    vscode.workspace.onDidCloseTextDocument((d) => {
      hover.forget(d.uri.toString());
      suggestions.forget(d.uri.toString());
    }),
    vscode.window.registerWebviewPanelSerializer(fillMaskViewType, {
      deserializeWebviewPanel: async (panel, state) => FillMaskPanel.revive(panel, s, state),
    }),
    vscode.window.registerWebviewPanelSerializer(attentionViewType, {
      deserializeWebviewPanel: async (panel, state) => AttentionPanel.revive(panel, s, state),
    }),
  );

  registerTrainer(context, s);
  registerWalkthrough(context, s);
  log.info(`activated in ${(performance.now() - t0).toFixed(1)} ms (no model loaded yet)`);
  return { services: s };
}

export async function deactivate(): Promise<void> {
  await services?.client.dispose();
  services = undefined;
}
