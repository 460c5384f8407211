import * as vscode from 'vscode';
import type { Logger } from '../engine/logger';

export interface ExtensionLogger extends Logger {
  show(): void;
  dispose(): void;
}

/** The "BERT Lens" output channel (a log channel: timestamps, levels, and a file VS Code keeps). */
export function createLogger(): ExtensionLogger {
  const channel = vscode.window.createOutputChannel('BERT Lens', { log: true });
  return {
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
    show: () => channel.show(true),
    dispose: () => channel.dispose(),
  };
}
