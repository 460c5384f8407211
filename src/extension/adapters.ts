import * as vscode from 'vscode';
import type { DownloadProgress } from '../engine/api';

/** A CancellationToken as an AbortSignal for the engine. */
export function toAbortSignal(token: vscode.CancellationToken | undefined): AbortSignal | undefined {
  if (!token) return undefined;
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

/** Engine download progress → a notification's progress (increments in percent of the current file). */
export function downloadProgressReporter(progress: vscode.Progress<{ message?: string; increment?: number }>): (p: DownloadProgress) => void {
  let lastFile = '';
  let lastPct = 0;
  return (p) => {
    if (p.file !== lastFile) {
      lastFile = p.file;
      lastPct = 0;
    }
    const pct = p.total ? Math.floor((p.loaded / p.total) * 100) : 0;
    const mb = (p.loaded / 1e6).toFixed(1);
    progress.report({
      message: `${p.file} ${p.total ? `${pct}% of ${(p.total / 1e6).toFixed(1)} MB` : `${mb} MB`}`,
      increment: p.total ? Math.max(0, pct - lastPct) : undefined,
    });
    lastPct = pct;
  };
}
