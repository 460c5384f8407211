import type { EngineErrorInfo } from '../api';
import type { MethodName } from '../rpc';

/** Messages between an EngineClient (any thread) and the engine worker. */
export type ToWorker =
  { type: 'call'; id: number; method: MethodName; params: unknown } | { type: 'cancel'; id: number };

export type FromWorker =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: EngineErrorInfo }
  | { type: 'progress'; id: number; progress: unknown }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };
