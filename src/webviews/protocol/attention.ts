import type { AttentionResult, AttentionTensors } from '../../engine/api';
import { isObject, message } from './ipc';

export const attentionViewType = 'bertLens.attention';

export interface AttentionState {
  text: string;
  model: string;
  modelLabel: string;
  result?: AttentionResult;
  /** The host sends flat float32 tensors (ArrayBuffers in postMessage, no JSON); the webview nests them into
   *  `result` on arrival. */
  tensors?: AttentionTensors;
  error?: string;
  busy?: boolean;
}

export type ExportFormat = 'svg' | 'png' | 'json';

/** The webview's view of the transferred tensors: nested rows ([layer][head][from][to] …), as `AttentionResult`
 *  (the same function as the engine's client uses). */
export { nestAttention } from '../../shared/attention';

// host → webview
export const atState = message<AttentionState>('attention/state', (p) => isObject(p) && typeof p.text === 'string');
// webview → host
export const atReady = message<Record<string, never>>('attention/ready');
/** `data` is text for svg/json and a base64 data URL for png. */
export const atExport = message<{ format: ExportFormat; data: string; name: string }>(
  'attention/export',
  (p) =>
    isObject(p) &&
    ['svg', 'png', 'json'].includes(p.format as string) &&
    typeof p.data === 'string' &&
    typeof p.name === 'string',
);
export const atExportFailed = message<{ reason: string }>(
  'attention/exportFailed',
  (p) => isObject(p) && typeof p.reason === 'string',
);
