import * as vscode from 'vscode';
import { logUserText, summaries } from '../core/userTextLog';
import type { Offset } from '../../engine/api';
import { EngineError } from '../../engine/errors';
import { toAbortSignal } from '../adapters';
import { fillSpan, spanCandidates, type SpanCandidates } from '../commands/predictMaskedToken';
import { LruCache, versionKey } from '../core/lruCache';
import { isInComment, paragraphAt, wordAt } from '../core/text';
import { isLocal, type Services } from '../services';

/** How many candidates become code actions. */
const ACTIONS = 3;
/** Longer selections are not offered (a mask per piece of a long span is not a "word suggestion"). */
const MAX_SPAN = 64;

/**
 * "Replace with a BERT Lens suggestion": for the selection or the word under the cursor, the top whole-word
 * fill-mask candidates (the same request as Predict Masked Token) as refactor actions with their probability in
 * the title; applying one replaces the span as one edit.
 *
 * It never blocks typing: inference runs in the engine's worker, the request's CancellationToken aborts it
 * (a moved cursor or a keystroke cancels), and results are cached per document version + span + model. An
 * automatic request (the lightbulb after a cursor move) answers only when the model is already loaded — it never
 * starts a load or a hub download; an explicit request (Ctrl+., Refactor…, the context menu) loads the model in
 * the worker if needed.
 */
export class SuggestionCodeActionProvider implements vscode.CodeActionProvider {
  static readonly kind = vscode.CodeActionKind.RefactorRewrite.append('bertLens');
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [SuggestionCodeActionProvider.kind],
  };
  private readonly cache = new LruCache<Promise<SpanCandidates | undefined>>(64);

  constructor(private readonly services: Services) {}

  forget(uri: string): void {
    this.cache.deletePrefix(uri);
  }

  async provideCodeActions(
    doc: vscode.TextDocument,
    range: vscode.Range | vscode.Selection,
    context: vscode.CodeActionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.CodeAction[]> {
    if (context.only && !context.only.intersects(SuggestionCodeActionProvider.kind)) return [];
    const settings = this.services.settings();
    if (!vscode.workspace.getConfiguration('bertLens').get<boolean>('codeActions.enabled', true)) return [];
    // Never starts a download: a hub model answers once a command has loaded it.
    if (!isLocal(settings.model) && !this.services.loadedSummary()) return [];
    const text = doc.getText();
    const span = targetSpan(text, doc.offsetAt(range.start), doc.offsetAt(range.end));
    if (!span) return [];
    const langs = settings.hoverLanguages;
    if (!langs.includes(doc.languageId) && !(langs.includes('comments') && isInComment(text, span[0]))) return [];
    const automatic = context.triggerKind === vscode.CodeActionTriggerKind.Automatic;
    if (automatic && !this.services.loadedSummary()) return [];
    const key = versionKey(doc.uri.toString(), doc.version, span[0], span[1], settings.model);
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.compute(doc, text, span, token);
      this.cache.set(key, pending);
      pending.catch(() => this.cache.deletePrefix(key));
    }
    try {
      const found = await pending;
      if (!found || token.isCancellationRequested) return [];
      const top = found.candidates.slice(0, ACTIONS);
      // Logged only when asked for (not on every cursor move); the e2e tests read it back.
      if (!automatic)
        logUserText(
          this.services.log,
          `code-action: ${JSON.stringify({ span, original: found.original, top: top.map((c) => c.word) })}`,
          summaries.codeAction(span, top.length),
        );
      return top.map((c, i) => {
        const action = new vscode.CodeAction(
          `Replace with “${c.word}” (${(c.score * 100).toFixed(1)}%) — BERT Lens`,
          SuggestionCodeActionProvider.kind,
        );
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(doc.uri, found.range, c.word);
        return action;
      });
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'cancelled'))
        this.services.log.warn(`code-action failed: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }

  private async compute(
    doc: vscode.TextDocument,
    text: string,
    span: Offset,
    token: vscode.CancellationToken,
  ): Promise<SpanCandidates | undefined> {
    const signal = toAbortSignal(token);
    const summary = await this.services.ensureModel();
    if (!summary.tasks.includes('fill-mask') || token.isCancellationRequested) return undefined;
    const window = paragraphAt(text, span[0], 2000);
    if (span[1] > window[1]) window[1] = span[1];
    // Not services.timed: the status bar should not flicker on every cursor move.
    const result = await fillSpan(
      this.services,
      text.slice(window[0], window[1]),
      [span[0] - window[0], span[1] - window[0]],
      signal,
    );
    return spanCandidates(result, doc, window[0])[0];
  }
}

/** The selection (one line, at most MAX_SPAN characters, with a letter) or the word at the cursor. */
function targetSpan(text: string, start: number, end: number): Offset | undefined {
  let span: Offset | undefined;
  if (end > start) {
    const s = text.slice(start, end);
    const lead = s.length - s.trimStart().length;
    const trail = s.length - s.trimEnd().length;
    span = [start + lead, end - trail];
  } else span = wordAt(text, start);
  if (!span || span[1] <= span[0] || span[1] - span[0] > MAX_SPAN) return undefined;
  const s = text.slice(span[0], span[1]);
  if (s.includes('\n') || !/\p{L}/u.test(s)) return undefined;
  return span;
}
