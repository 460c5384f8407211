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

/** The webview's view of the transferred tensors: nested rows ([layer][head][from][to] …), as `AttentionResult`.
 *  (The engine's client has the same function; webviews may not import engine code.) */
export function nestAttention(t: AttentionTensors): AttentionResult {
  const { layers, heads, n } = t;
  const nn = n * n;
  const matrix = (data: Float32Array, base: number) => Array.from({ length: n }, (_, i) => Array.from(data.subarray(base + i * n, base + (i + 1) * n)));
  return {
    tokens: t.tokens,
    offsets: t.offsets,
    attentions: Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, h) => matrix(t.attentions, (l * heads + h) * nn))),
    headMean: Array.from({ length: layers }, (_, l) => matrix(t.headMean, l * nn)),
    rollout: matrix(t.rollout, 0),
  };
}

// host → webview
export const atState = message<AttentionState>('attention/state', (p) => isObject(p) && typeof p.text === 'string');
// webview → host
export const atReady = message<Record<string, never>>('attention/ready');
/** `data` is text for svg/json and a base64 data URL for png. */
export const atExport = message<{ format: ExportFormat; data: string; name: string }>(
  'attention/export',
  (p) => isObject(p) && ['svg', 'png', 'json'].includes(p.format as string) && typeof p.data === 'string' && typeof p.name === 'string',
);
export const atExportFailed = message<{ reason: string }>('attention/exportFailed', (p) => isObject(p) && typeof p.reason === 'string');
