import type { EngineErrorInfo } from './api';

/** An expected failure with a stable code, one readable line and a way forward. Front ends show
 *  `message` (and `hint`) and never a stack trace. */
export class EngineError extends Error implements EngineErrorInfo {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }

  toJSON(): EngineErrorInfo {
    return { code: this.code, message: this.message, hint: this.hint };
  }

  static from(info: EngineErrorInfo): EngineError {
    return new EngineError(info.code, info.message, info.hint);
  }
}

export class CancelledError extends EngineError {
  constructor() {
    super('cancelled', 'The operation was cancelled.');
    this.name = 'CancelledError';
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Turns anything thrown into a plain error object: expected errors keep their code, anything else becomes
 *  'internal' with its message (the stack goes to the log, not to the user). */
export function toErrorInfo(err: unknown): EngineErrorInfo {
  if (err instanceof EngineError) return err.toJSON();
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'internal',
    message: `Unexpected error: ${message.split('\n')[0]}`,
    hint: 'See the log for details; please report it.',
  };
}

/** One line for a terminal or a notification. */
export function formatError(info: EngineErrorInfo): string {
  return info.hint ? `${info.message} ${info.hint}` : info.message;
}
