// Messages of the Classifier Trainer view's "Adapt" mode (host: src/extension/trainer/adaptHost.ts, app:
// src/webviews/apps/trainer/adapt.ts): domain-adaptive masked-LM training on the workspace's text. Types only from
// the engine's adaptation modules (type-only imports), so no host code reaches the browser bundle.
import type { AdaptSample, KindCounts, MlmMetrics } from '../../engine/training/adaptTypes';
import { isObject, message } from './ipc';

export interface AdaptSettings {
  epochs: number;
  wholeWord: boolean;
  seed: number;
}

export const defaultAdaptSettings: AdaptSettings = { epochs: 1, wholeWord: false, seed: 42 };

export interface AdaptState {
  settings: AdaptSettings;
  /** What is being read: the workspace folders. */
  roots: string[];
  model: string;
  busy?: string;
  step?: { epoch: number; epochs: number; step: number; totalSteps: number; loss: number };
  /** Running count of the chosen positions of each kind. */
  chosen?: KindCounts;
  sample?: AdaptSample;
  before?: MlmMetrics;
  after?: MlmMetrics;
  /** Loss per step, for the sparkline. */
  losses: number[];
  corpus?: { files: number; lines: number; heldOutLines: number };
  runId?: string;
  seconds?: number;
  savedTo?: string;
  error?: string;
}

// host → webview
export const adState = message<AdaptState>(
  'adapt/state',
  (p) => isObject(p) && isObject(p.settings) && Array.isArray(p.losses),
);
/** Switch the view to the Adapt mode (the "Adapt Model to Workspace" command). */
export const adShow = message<Record<string, never>>('adapt/show');
// webview → host
export const adSettings = message<AdaptSettings>(
  'adapt/settings',
  (p) => isObject(p) && Number.isInteger(p.epochs) && typeof p.wholeWord === 'boolean' && Number.isInteger(p.seed),
);
export const adStart = message<Record<string, never>>('adapt/start');
export const adCancel = message<Record<string, never>>('adapt/cancel');
export const adSave = message<Record<string, never>>('adapt/save');
export const adUse = message<Record<string, never>>('adapt/use');
