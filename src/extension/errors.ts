import * as vscode from 'vscode';
import { EngineError } from '../engine/errors';
import type { ExtensionLogger } from './log';

/** Codes after which choosing another model is the way forward. */
const MODEL_CODES = new Set([
  'wrong-head',
  'model-not-found',
  'offline-not-cached',
  'download-failed',
  'attention-unavailable',
  'no-mask',
  'network',
]);

/** An expected problem on the extension side (no selection, no editor…), shown like engine errors. */
export function userError(code: string, message: string, hint?: string): EngineError {
  return new EngineError(code, message, hint);
}

/** Shows an error as one notification with a way forward, logs it, and never throws. Cancellation is silent. */
export function reportError(log: ExtensionLogger, err: unknown, what: string): void {
  if (err instanceof EngineError && err.code === 'cancelled') {
    log.info(`${what}: cancelled`);
    return;
  }
  const engineError = err instanceof EngineError ? err : undefined;
  const message = engineError
    ? engineError.message
    : vscode.l10n.t('Unexpected error: {0}', err instanceof Error ? err.message : String(err));
  const hint = engineError?.hint;
  log.error(`${what} failed [${engineError?.code ?? 'internal'}]: ${message}${hint ? ` (${hint})` : ''}`);
  if (!engineError && err instanceof Error && err.stack) log.error(err.stack);
  const actions =
    engineError && MODEL_CODES.has(engineError.code)
      ? [vscode.l10n.t('Select Model'), vscode.l10n.t('Show Log')]
      : [vscode.l10n.t('Show Log')];
  void vscode.window
    .showErrorMessage(
      hint ? vscode.l10n.t('BERT Lens: {0} {1}', message, hint) : vscode.l10n.t('BERT Lens: {0}', message),
      ...actions,
    )
    .then(
      (choice) => {
        if (choice === vscode.l10n.t('Select Model')) void vscode.commands.executeCommand('bertLens.model.select');
        else if (choice === vscode.l10n.t('Show Log')) log.show();
      },
      () => undefined,
    );
}

/** Wraps a command handler so every failure ends in reportError (no unhandled rejections). */
export function guarded<A extends unknown[]>(
  log: ExtensionLogger,
  what: string,
  fn: (...args: A) => Promise<unknown> | unknown,
) {
  return async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(log, err, what);
    }
  };
}
