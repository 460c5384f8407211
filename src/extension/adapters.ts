import * as vscode from 'vscode';
import type { DownloadProgress } from '../engine/api';
import { downloadProgressMapper } from './core/downloadProgress';

/** A CancellationToken as an AbortSignal for the engine. */
export function toAbortSignal(token: vscode.CancellationToken | undefined): AbortSignal | undefined {
  if (!token) return undefined;
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

/** Engine download progress → a notification's progress (whole-download percent when the engine announces it;
 *  see core/downloadProgress.ts). */
export function downloadProgressReporter(
  progress: vscode.Progress<{ message?: string; increment?: number }>,
): (p: DownloadProgress) => void {
  const map = downloadProgressMapper();
  return (p) => progress.report(map(p));
}

/** Runs a cancellable task; only if it takes longer than `delayMs` does a notification with a Cancel button
 *  appear (quick results should not flash a toast). */
export async function withDelayedProgress<T>(
  title: string,
  task: (token: vscode.CancellationToken) => Promise<T>,
  delayMs = 700,
): Promise<T> {
  const source = new vscode.CancellationTokenSource();
  const promise = task(source.token);
  let done = false;
  const timer = setTimeout(() => {
    if (done) return;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (_p, token) => {
        token.onCancellationRequested(() => source.cancel());
        return promise.catch(() => undefined);
      },
    );
  }, delayMs);
  try {
    return await promise;
  } finally {
    done = true;
    clearTimeout(timer);
    source.dispose();
  }
}
