import * as vscode from 'vscode';
import type { Logger } from '../engine/logger';

export interface ExtensionLogger extends Logger {
  /** Lines that contain the user's text go here only (off unless the log level is Trace); log a text-free
   *  summary at info beside them (see logUserText). */
  trace(message: string): void;
  show(): void;
  dispose(): void;
}

/** The "BERT Lens" output channel (a log channel: timestamps, levels, and a file VS Code keeps). */
export function createLogger(): ExtensionLogger {
  const channel = vscode.window.createOutputChannel('BERT Lens', { log: true });
  return {
    info: (m) => channel.info(m),
    trace: (m) => channel.trace(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
    show: () => channel.show(true),
    dispose: () => channel.dispose(),
  };
}
