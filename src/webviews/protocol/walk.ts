// Messages of the walkthrough's two panels: the masking preview and the input embeddings.
import type { InputEmbeddingsResult, MaskPreviewResult } from '../../engine/api';
import { isObject, message } from './ipc';

export const maskPreviewViewType = 'bertLens.maskPreview';
export const inputEmbeddingsViewType = 'bertLens.inputEmbeddings';

export interface MaskPreviewState {
  text: string;
  seed: number;
  modelLabel: string;
  result?: MaskPreviewResult;
  error?: string;
  busy?: boolean;
}
export interface InputEmbeddingsState {
  text: string;
  pair?: string;
  modelLabel: string;
  result?: InputEmbeddingsResult;
  error?: string;
  busy?: boolean;
}

// host → webview
export const mpState = message<MaskPreviewState>('maskPreview/state', (p) => isObject(p) && typeof p.text === 'string');
export const ieState = message<InputEmbeddingsState>(
  'inputEmbeddings/state',
  (p) => isObject(p) && typeof p.text === 'string',
);
// webview → host
export const mpReady = message<Record<string, never>>('maskPreview/ready');
/** Draw again: the next seed (or the given one). */
export const mpResample = message<{ seed?: number }>(
  'maskPreview/resample',
  (p) => isObject(p) && (p.seed === undefined || Number.isInteger(p.seed)),
);
export const ieReady = message<Record<string, never>>('inputEmbeddings/ready');
