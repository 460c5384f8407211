import * as vscode from 'vscode';
import { logUserText, summaries } from '../core/userTextLog';
import type { FillMaskResult, Offset } from '../../engine/api';
import { toAbortSignal, withDelayedProgress } from '../adapters';
import { type Candidate, listCandidates } from '../core/candidates';
import { matchCase, paragraphAt } from '../core/text';
import { userError } from '../errors';
import type { Services } from '../services';
import { FillMaskPanel } from '../panels/fillMaskPanel';
import { activeEditor, rangeOf, spanAndWindow } from './target';

interface CandidateItem extends vscode.QuickPickItem {
  replace?: { range: vscode.Range; word: string };
  /** The word already there: listed, marked "(current)", never pre-selected. */
  current?: boolean;
  /** The best candidate that changes the text: pre-selected. */
  best?: boolean;
}

/** A QuickPick whose active item is the best candidate other than the current word. */
function pickCandidate(items: CandidateItem[], title: string): Promise<CandidateItem | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<CandidateItem>();
    qp.title = title;
    qp.placeholder = vscode.l10n.t('Pick a candidate to replace the text (one undo step)');
    qp.matchOnDescription = true;
    qp.items = items;
    const best = items.find((i) => i.best);
    if (best) qp.activeItems = [best];
    let done = false;
    qp.onDidAccept(() => {
      done = true;
      resolve(qp.selectedItems[0] ?? qp.activeItems[0]);
      qp.hide();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

/** Masks the selection (or word at the cursor) — or predicts the mask tokens already in the paragraph — and
 *  offers whole-word candidates; picking one replaces the text as a single edit (one undo step). */
export async function predictMaskedToken(services: Services): Promise<void> {
  const editor = activeEditor();
  const doc = editor.document;
  const version = doc.version;
  const summary = await services.ensureModel();
  const maskToken = summary.maskToken;
  if (!maskToken)
    throw userError(
      'wrong-head',
      vscode.l10n.t('{0} has no mask token, so it cannot fill masks.', summary.id),
      vscode.l10n.t('Select a masked-LM model.'),
    );
  const fullText = doc.getText();
  const selected = editor.selection.isEmpty
    ? undefined
    : ([doc.offsetAt(editor.selection.start), doc.offsetAt(editor.selection.end)] as Offset);
  // Mask tokens in the selection (or, with no selection, in the paragraph) take precedence over masking a word.
  const cursorWindow = paragraphAt(fullText, selected ? selected[0] : doc.offsetAt(editor.selection.active), 2000);
  const scope = selected ? fullText.slice(selected[0], selected[1]) : fullText.slice(cursorWindow[0], cursorWindow[1]);
  const useMaskTokens = scope.includes(maskToken);
  const { span, window } = useMaskTokens
    ? { span: selected ?? cursorWindow, window: cursorWindow }
    : spanAndWindow(editor);
  const windowText = fullText.slice(window[0], window[1]);
  const relSpan: Offset = [span[0] - window[0], span[1] - window[0]];
  const topK = FILL_TOP_K;

  const result = await withDelayedProgress(vscode.l10n.t('BERT Lens: predicting…'), (token) =>
    services.timed('fill-mask', () =>
      useMaskTokens
        ? services.client.fillMask(services.spec(), { text: windowText, topK }, { signal: toAbortSignal(token) })
        : fillSpan(services, windowText, relSpan, toAbortSignal(token)),
    ),
  );
  logUserText(services.log, `fill-mask: ${JSON.stringify(summarize(result, window[0]))}`, summaries.fillMask(result));
  FillMaskPanel.current?.showText(windowText, useMaskTokens ? [] : [relSpan]);

  const showPunctuation = vscode.workspace.getConfiguration('bertLens').get<boolean>('fillMask.showPunctuation', false);
  const items = toItems(result, doc, window[0], useMaskTokens, selected, showPunctuation);
  if (!items.some((i) => i.replace))
    throw userError('no-mask', vscode.l10n.t('The model returned no candidates for this text.'));
  const picked = await pickCandidate(
    items,
    useMaskTokens
      ? vscode.l10n.t('Fill {0}', maskToken)
      : vscode.l10n.t('Replace “{0}”', fullText.slice(span[0], span[1])),
  );
  if (!picked?.replace || picked.current) return;
  if (doc.version !== version)
    throw userError('stale', vscode.l10n.t('The document changed while predicting; run the command again.'));
  const ok = await editor.edit((b) => b.replace(picked.replace!.range, picked.replace!.word));
  logUserText(
    services.log,
    `fill-mask: applied "${picked.replace.word}" (${ok ? 'ok' : 'rejected'})`,
    `fill-mask: applied a candidate (${ok ? 'ok' : 'rejected'})`,
  );
}

/** Candidates per fill-mask request; shared by Predict Masked Token and the code action. */
export const FILL_TOP_K = 8;

/** Fill-mask on a character span of `text` (one mask per piece, whole-word candidates in `spans`). */
export function fillSpan(
  services: Services,
  text: string,
  span: Offset,
  signal?: AbortSignal,
): Promise<FillMaskResult> {
  return services.client.fillMask(services.spec(), { text, topK: FILL_TOP_K, spans: [span] }, { signal });
}

export interface SpanCandidates {
  range: vscode.Range;
  original: string;
  pieces: string[];
  /** Whole words, best first, in the original's case pattern, with their own pieces. */
  candidates: { word: string; score: number; pieces?: string[] }[];
}

/** A span result's whole-word candidates in document ranges (`base` = the window's document offset). */
export function spanCandidates(result: FillMaskResult, doc: vscode.TextDocument, base: number): SpanCandidates[] {
  return (result.spans ?? []).map((s) => ({
    range: rangeOf(doc, [s.offset[0] + base, s.offset[1] + base]),
    original: s.original,
    pieces: s.pieces,
    candidates: s.candidates.map((c) => ({ word: matchCase(s.original, c.word), score: c.score, pieces: c.pieces })),
  }));
}

function toItems(
  result: FillMaskResult,
  doc: vscode.TextDocument,
  base: number,
  useMaskTokens: boolean,
  selected: Offset | undefined,
  showPunctuation: boolean,
): CandidateItem[] {
  const items: CandidateItem[] = [];
  const add = (original: string, candidates: Candidate[], range: vscode.Range) => {
    const { items: listed, best } = listCandidates(original, candidates, showPunctuation);
    listed.forEach((c, k) => {
      items.push({
        label: c.current ? vscode.l10n.t('{0} (current)', c.word) : c.word,
        description: `${(c.score * 100).toFixed(1)}%`,
        detail: vscode.l10n.t('{0}  pieces: {1}', pct(c.score), c.pieces.join(' ')),
        replace: { range, word: c.word },
        current: c.current,
        best: k === best,
      });
    });
  };
  if (!useMaskTokens && result.spans?.length) {
    for (const s of spanCandidates(result, doc, base)) {
      if (result.spans.length > 1) items.push({ label: `“${s.original}”`, kind: vscode.QuickPickItemKind.Separator });
      add(s.original, s.candidates, s.range);
    }
    return items;
  }
  result.masks.forEach((m, i) => {
    const abs: Offset = [m.offset[0] + base, m.offset[1] + base];
    if (selected && (abs[0] < selected[0] || abs[1] > selected[1])) return;
    if (result.masks.length > 1)
      items.push({ label: `${result.maskToken} #${i + 1}`, kind: vscode.QuickPickItemKind.Separator });
    add(
      result.maskToken,
      m.predictions.map((p) => ({ word: p.token, score: p.score, pieces: [p.token] })),
      rangeOf(doc, abs),
    );
  });
  // With several masks, only the first group's best is pre-selected.
  let seen = false;
  for (const it of items) if (it.best) it.best = seen ? false : (seen = true);
  return items;
}

function pct(score: number): string {
  const n = Math.max(0, Math.min(20, Math.round(score * 20)));
  return '█'.repeat(n) + '░'.repeat(20 - n);
}

/** A compact log line the e2e tests can read back. */
function summarize(r: FillMaskResult, base: number) {
  return {
    masks: r.masks.map((m) => ({
      offset: [m.offset[0] + base, m.offset[1] + base],
      top: m.predictions.slice(0, 3).map((p) => p.token),
    })),
    spans: r.spans?.map((s) => ({
      offset: [s.offset[0] + base, s.offset[1] + base],
      top: s.candidates.slice(0, 3).map((c) => c.word),
    })),
  };
}
