import type { DirectionsResult, FillMaskResult, Offset, SaliencyMethod, TokenizeResult } from '../../engine/api';
import { isObject, isOffset, message } from './ipc';

export const fillMaskViewType = 'bertLens.fillMask';
export const MAX_MODELS = 3;

/** One model's column: its tokenization of the text and, when spans are masked, its predictions. */
export interface ModelColumn {
  /** As stored in settings: '' for the embedded model, a hub id or a folder. */
  model: string;
  label: string;
  tokenization?: TokenizeResult;
  result?: FillMaskResult;
  error?: string;
  busy?: boolean;
  millis?: number;
  /** Explain Prediction for one mask: a saliency score per token of `tokenization` (fp32 graph). */
  saliency?: ColumnSaliency;
}

export interface ColumnSaliency {
  /** Index into result.masks of the explained piece. */
  mask: number;
  method: SaliencyMethod;
  /** The word explained (the top prediction at that piece) and its log-probability. */
  token: string;
  logprob: number;
  scores: number[];
}

/** Everything the panel shows; also what the serializer keeps for a reload (minus results). */
export interface FillMaskState {
  text: string;
  masks: Offset[];
  models: ModelColumn[];
  topK: number;
  /** Models the picker offers (embedded + cached). */
  choices: { model: string; label: string }[];
  /** Saliency method of the panel's Explain buttons. */
  saliencyMethod?: SaliencyMethod;
  /** The Directions view (shown when `enabled`): the first mask's word from both sides, one side, and a causal model. */
  directions?: DirectionsView;
}

/** BERT (the first column's model) with the full text, the left side only and the right side only, plus the
 *  causal model of bertLens.causalModel (when set), for the first masked span. */
export interface DirectionsView {
  enabled: boolean;
  span?: Offset;
  result?: DirectionsResult;
  /** Label of the causal model, or undefined when none is configured. */
  causalLabel?: string;
  error?: string;
  busy?: boolean;
}

// host → webview
export const fmState = message<FillMaskState>('fillMask/state', (p) => isObject(p) && typeof p.text === 'string');
// webview → host
export const fmReady = message<Record<string, never>>('fillMask/ready');
export const fmSetText = message<{ text: string }>(
  'fillMask/setText',
  (p) => isObject(p) && typeof p.text === 'string',
);
export const fmToggleMask = message<{ span: Offset }>('fillMask/toggleMask', (p) => isObject(p) && isOffset(p.span));
export const fmAddModel = message<{ model: string }>(
  'fillMask/addModel',
  (p) => isObject(p) && typeof p.model === 'string',
);
export const fmRemoveModel = message<{ index: number }>(
  'fillMask/removeModel',
  (p) => isObject(p) && Number.isInteger(p.index),
);
export const fmExport = message<{ format: 'json' | 'csv' }>(
  'fillMask/export',
  (p) => isObject(p) && (p.format === 'json' || p.format === 'csv'),
);
export const fmDirections = message<{ enabled: boolean }>(
  'fillMask/directions',
  (p) => isObject(p) && typeof p.enabled === 'boolean',
);
export const SALIENCY_METHODS: SaliencyMethod[] = ['grad-input', 'grad-l2', 'integrated-gradients'];
export const fmExplain = message<{ column: number; mask: number }>(
  'fillMask/explain',
  (p) => isObject(p) && Number.isInteger(p.column) && Number.isInteger(p.mask),
);
export const fmSetSaliencyMethod = message<{ method: SaliencyMethod }>(
  'fillMask/saliencyMethod',
  (p) => isObject(p) && SALIENCY_METHODS.includes(p.method as SaliencyMethod),
);
export const fmSetTopK = message<{ topK: number }>(
  'fillMask/setTopK',
  (p) => isObject(p) && Number.isInteger(p.topK) && (p.topK as number) > 0 && (p.topK as number) <= 50,
);

/** Toggles a span in the mask list: removes it (or any overlapping mask) if present, else adds it, sorted. */
export function toggleMask(masks: Offset[], span: Offset): Offset[] {
  const overlapping = masks.filter(([s, e]) => s < span[1] && e > span[0]);
  if (overlapping.length) return masks.filter((m) => !overlapping.includes(m));
  return [...masks, span].sort((a, b) => a[0] - b[0]);
}
