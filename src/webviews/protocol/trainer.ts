// Messages between the Classifier Trainer view (host: src/extension/trainer) and its webview app. Types only
// from the engine's training types (a type-only module), so no host code reaches the browser bundle.
import type { DatasetCandidate, DatasetPreview, EpochProgress, TrainView } from '../../engine/training/types';
import type { ExplainedExample } from '../../engine/training/explain';
import { isObject, message } from './ipc';

export const trainerViewId = 'bertLens.trainer';

export interface TrainSettings {
  textColumn?: string;
  labelColumn?: string;
  pairColumn?: string;
  /** -1 = last layer. */
  layer: number;
  lastLayers: number;
  pooling: 'mean' | 'cls';
  head: 'logistic' | 'mlp';
  seed: number;
  testFraction: number;
  valFraction: number;
  /** 'auto': fine-tune the encoder when the model has an fp32 variant, otherwise a head on frozen features. */
  mode?: 'auto' | 'fine-tune' | 'frozen';
  /** Fine-tuning epochs. */
  epochs?: number;
  /** Fine-tuning: peak learning rate (undefined: the engine's default for the model's size). */
  learningRate?: number;
  /** Fine-tuning: 'all', 'head', or 'top-K'. */
  trainLayers?: string;
  /** Fine-tuning: keep the embeddings frozen. */
  freezeEmbeddings?: boolean;
  /** Fine-tuning: the head's dropout rate while training (undefined: the model's config; 0: none). */
  dropout?: number;
  /** Fine-tuning single texts: a text longer than the model's window trains and is scored by its windows (as
   *  classify reads it), or by its first tokens only. */
  longTexts?: 'windows' | 'truncate';
}

export const defaultSettings: TrainSettings = {
  layer: -1,
  lastLayers: 1,
  pooling: 'mean',
  head: 'logistic',
  seed: 42,
  testFraction: 0.2,
  valFraction: 0.1,
  mode: 'auto',
  epochs: 3,
};

export interface TrainerState {
  datasets: DatasetCandidate[];
  selected?: string;
  preview?: DatasetPreview;
  settings: TrainSettings;
  /** Hidden states the current model has (numLayers), for the layer picker. */
  numLayers?: number;
  busy?: string;
  featureProgress?: { done: number; total: number };
  history: EpochProgress[];
  result?: TrainView;
  error?: string;
  savedTo?: string;
  /** "Why this label?" of one test example (index into result.examples). */
  why?: TrainerWhy;
  /** The last fine-tuning run was cancelled after an epoch: Resume continues from its checkpoint. */
  resumable?: boolean;
}

export interface TrainerWhy {
  example: number;
  busy?: boolean;
  result?: ExplainedExample;
  error?: string;
}

// host → webview
export const trState = message<TrainerState>('trainer/state', (p) => isObject(p) && Array.isArray(p.datasets));
// webview → host
export const trReady = message<Record<string, never>>('trainer/ready');
export const trRefresh = message<Record<string, never>>('trainer/refresh');
export const trSelect = message<{ path: string }>('trainer/select', (p) => isObject(p) && typeof p.path === 'string');
export const trSettings = message<TrainSettings>('trainer/settings', (p) => isObject(p) && typeof p.layer === 'number');
/** `resume`: continue the last cancelled fine-tuning run from its last epoch's checkpoint. */
export const trTrain = message<{ resume?: boolean }>('trainer/train');
export const trCancel = message<Record<string, never>>('trainer/cancel');
export const trSave = message<Record<string, never>>('trainer/save');
export const trOpen = message<{ file: string; line: number }>(
  'trainer/open',
  (p) => isObject(p) && typeof p.file === 'string' && Number.isInteger(p.line),
);
export const trClassify = message<Record<string, never>>('trainer/classifySelection');
export const trLabelFile = message<Record<string, never>>('trainer/labelFile');
export const trWhy = message<{ example: number }>(
  'trainer/why',
  (p) => isObject(p) && Number.isInteger(p.example) && (p.example as number) >= 0,
);
