// The "Learn BERT on your own text" walkthrough: sample texts it opens in untitled editors, and the honest
// "bank" lesson (it says which model produced the numbers, and offers a larger one rather than claiming a
// result the current model did not produce).
import * as vscode from 'vscode';
import type { SimilarityResult } from '../../engine/api';
import { type BankLesson, describeBankLesson, downloadSizeLabel } from '../core/walkthroughText';

export { wordPieceStats } from '../core/walkthroughText';
import { EngineError } from '../../engine/errors';
import { reportError } from '../errors';
import type { Services } from '../services';
import { modelLabel } from '../settings';

export const BANK_TEXT = [
  'I opened an account at the bank on Monday.',
  'We had a picnic on the bank of the river.',
  'The bank raised interest rates again this year.',
].join('\n');

export const SAMPLES: Record<string, { language: string; content: string }> = {
  bank: { language: 'plaintext', content: BANK_TEXT + '\n' },
  masking: {
    language: 'plaintext',
    content: 'Python is a programming language that lets you work quickly and integrate systems more effectively.\n',
  },
  wordpiece: {
    language: 'plaintext',
    content: 'The unbelievably photosynthesising xylophonist tokenised antidisestablishmentarianism.\n',
  },
  embeddings: { language: 'plaintext', content: 'The cat sat on the mat. It was very happy.\n' },
  nsp: {
    language: 'plaintext',
    content:
      'She opened the fridge. It was empty, so she went shopping.\n\nShe opened the fridge. Penguins live in the southern hemisphere.\n',
  },
  attention: { language: 'plaintext', content: 'The animal did not cross the street because it was too tired.\n' },
  families: { language: 'plaintext', content: 'Paris is the capital of [MASK].\n' },
  classifier: {
    language: 'csv',
    content:
      [
        'text,label',
        'the match ended in a draw after extra time,sport',
        'the striker scored twice in the final,sport',
        'the team won the league on the last day,sport',
        'the coach praised the young goalkeeper,sport',
        'the runner broke the world record,sport',
        'the central bank cut interest rates,finance',
        'shares fell after the profit warning,finance',
        'the company reported record quarterly revenue,finance',
        'investors moved their savings into bonds,finance',
        'inflation rose faster than expected,finance',
        'the new phone has a faster processor,tech',
        'the update fixes a security flaw in the browser,tech',
        'engineers released a new version of the compiler,tech',
        'the laptop battery lasts all day,tech',
        'the startup built a chip for machine learning,tech',
      ].join('\n') + '\n',
  },
};

/** Opens one of the samples in a new untitled editor (nothing is written to disk). */
export async function openSample(kind: string): Promise<vscode.TextEditor> {
  const s = SAMPLES[kind] ?? SAMPLES.bank;
  const doc = await vscode.workspace.openTextDocument({ language: s.language, content: s.content });
  return vscode.window.showTextDocument(doc);
}

export const FULL_LESSON_MODEL = 'Xenova/bert-base-uncased';
/** The fallback when the hub cannot be asked: roughly what BERT Lens downloads for it (onnx/model_quantized.onnx,
 *  int8, plus config and tokenizer; the fp32 file is over 400 MB). The offer shows the hub's own size when it can. */
export const FULL_LESSON_ESTIMATE = '110 MB';

/** The size the offer shows: asks the hub (HEAD requests in the worker, through the configured proxy) for what
 *  loading the full-lesson model would download, for at most `timeoutMs`; the estimate when that fails. */
export async function fullLessonSize(services: Services, timeoutMs = 8000): Promise<string> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const size = await services.client.downloadSize(services.spec(FULL_LESSON_MODEL), { signal });
    return downloadSizeLabel(size, FULL_LESSON_ESTIMATE);
  } catch (err) {
    services.log.info(
      `walkthrough: the hub did not give the size of ${FULL_LESSON_MODEL} (${err instanceof Error ? err.message : String(err)}); showing the estimate`,
    );
    return downloadSizeLabel(undefined, FULL_LESSON_ESTIMATE);
  }
}

function cosOf(r: SimilarityResult, start: number): number {
  const o = r.occurrences.find((x) => x.start === start);
  if (!o) throw new EngineError('internal', 'the sample lost a "bank"');
  return o.similarity;
}

/** Runs the lesson on the sample with `model` ('' = the configured one) and returns what that model produced. */
export async function computeBankLesson(
  services: Services,
  model = services.settings().model,
  token?: vscode.CancellationToken,
): Promise<BankLesson> {
  await services.ensureModel(model, token);
  const starts = [...BANK_TEXT.matchAll(/\bbank\b/g)].map((m) => m.index!);
  const r = await services.client.similarity(services.spec(model), {
    text: BANK_TEXT,
    span: [starts[0], starts[0] + 4],
    layer: -1,
  });
  const river = cosOf(r, starts[1]);
  const rates = cosOf(r, starts[2]);
  return { model, modelLabel: modelLabel(model), layer: r.layer, river, rates, sensesSeparated: rates > river };
}

/** Walkthrough step 1: opens the sample, puts the cursor on "bank" (hover it), reports the measured cosines,
 *  and offers the full-size model when the current one does not separate the senses. */
export async function bankLesson(services: Services): Promise<BankLesson | undefined> {
  const editor = await openSample('bank');
  const at = BANK_TEXT.indexOf('bank');
  const pos = editor.document.positionAt(at + 1);
  editor.selection = new vscode.Selection(pos, pos);
  let lesson: BankLesson;
  try {
    lesson = await computeBankLesson(services);
  } catch (err) {
    reportError(services.log, err, 'bank lesson');
    return undefined;
  }
  const text = describeBankLesson(lesson);
  services.log.info(`walkthrough bank lesson: ${text}`);
  const offline = services.settings().offline || lesson.model === FULL_LESSON_MODEL;
  const size = offline ? '' : await fullLessonSize(services);
  const download =
    size === 'already downloaded'
      ? vscode.l10n.t('Compare with {0} (already downloaded)', FULL_LESSON_MODEL)
      : vscode.l10n.t('Download {0} ({1})', FULL_LESSON_MODEL, size);
  const pick = await vscode.window.showInformationMessage(
    vscode.l10n.t('BERT Lens: {0}', text),
    ...(offline ? [] : [download]),
  );
  if (pick !== download) return lesson;
  try {
    // Cancellable notification with progress (ensureModel); the user's bertLens.model setting is left alone.
    const full = await computeBankLesson(services, FULL_LESSON_MODEL);
    void vscode.window.showInformationMessage(vscode.l10n.t('BERT Lens: {0}', describeBankLesson(full)));
    return full;
  } catch (err) {
    if (err instanceof EngineError && err.code === 'cancelled') return lesson;
    reportError(services.log, err, 'bank lesson download');
    return lesson;
  }
}
