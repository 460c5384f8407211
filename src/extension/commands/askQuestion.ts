import * as vscode from 'vscode';
import { logUserText, summaries } from '../core/userTextLog';
import { toAbortSignal, withDelayedProgress } from '../adapters';
import type { Annotations } from '../decorations/annotations';
import { userError } from '../errors';
import type { Services } from '../services';
import { activeEditor, rangeOf, selectionOrDocument } from './target';

/** Extractive QA over the selection (or document): the answer span is highlighted and revealed. */
export async function askQuestion(services: Services, annotations: Annotations): Promise<void> {
  const editor = activeEditor();
  const doc = editor.document;
  const { text, base } = selectionOrDocument(editor);
  const question = await vscode.window.showInputBox({
    title: vscode.l10n.t('BERT Lens: Ask a Question'),
    prompt: vscode.l10n.t('A question answered from the selection (or the document)'),
    placeHolder: vscode.l10n.t('Who founded the company?'),
  });
  if (!question?.trim()) return;
  const summary = await services.ensureModel();
  if (summary.head !== 'question-answering') {
    throw userError(
      'wrong-head',
      vscode.l10n.t('Ask a Question needs a question-answering model; {0} is a {1} model.', summary.id, summary.head),
      vscode.l10n.t('Select a QA model (e.g. Xenova/distilbert-base-cased-distilled-squad).'),
    );
  }
  const result = await withDelayedProgress(vscode.l10n.t('BERT Lens: answering…'), (token) =>
    services.timed('qa', () =>
      services.client.questionAnswering(
        services.spec(),
        { question, context: text, topK: 3 },
        { signal: toAbortSignal(token) },
      ),
    ),
  );
  const best = result.answers[0];
  if (!best) throw userError('no-answer', vscode.l10n.t('The model found no answer in this text.'));
  const span: [number, number] = [best.start + base, best.end + base];
  const answers = result.answers.map((a) => ({
    text: a.text,
    start: a.start + base,
    end: a.end + base,
    score: a.score,
  }));
  logUserText(services.log, `qa: ${JSON.stringify({ question, answers })}`, summaries.qa(answers));
  annotations.set(
    'answer',
    doc,
    new Map([['answer', [{ start: span[0], end: span[1], hover: `**Answer** · score ${best.score.toFixed(3)}` }]]]),
  );
  editor.revealRange(rangeOf(doc, span), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  void vscode.window.showInformationMessage(
    vscode.l10n.t('Answer: “{0}” (score {1})', best.text, best.score.toFixed(3)),
  );
}
