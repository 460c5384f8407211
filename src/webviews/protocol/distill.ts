// Messages of the Classifier Trainer's Distill mode (host: src/extension/trainer/distillHost.ts, webview:
// src/webviews/apps/trainer/distill.ts). Types only from the engine (type-only imports).
import type { DistillView } from '../../engine/training/distillMethods';
import type { EpochRecord } from '../../engine/training/fineTune';
import { isObject, message } from './ipc';

export interface DistillSettings {
  /** Teacher model folder (a sequence classifier). */
  teacher?: string;
  /** Student: 'embedded' or a model folder. */
  student: string;
  /** Keep the student's bottom N layers (undefined: all). */
  studentLayers?: number;
  temperature: number;
  alpha: number;
  epochs: number;
}

export const defaultDistillSettings: DistillSettings = { student: 'embedded', temperature: 2, alpha: 0.5, epochs: 3 };

export interface DistillState {
  settings: DistillSettings;
  /** Classifier folders found in the workspace (saved by the trainer or any *ForSequenceClassification export). */
  teachers: { path: string; label: string }[];
  busy?: string;
  step?: { epoch: number; step: number; totalSteps: number; loss: number };
  history: EpochRecord[];
  result?: DistillView;
  error?: string;
  savedTo?: string;
}

// host → webview
export const dsState = message<DistillState>(
  'distill/state',
  (p) => isObject(p) && isObject(p.settings) && Array.isArray(p.teachers),
);
// webview → host
export const dsSettings = message<DistillSettings>(
  'distill/settings',
  (p) =>
    isObject(p) &&
    typeof p.student === 'string' &&
    typeof p.temperature === 'number' &&
    typeof p.alpha === 'number' &&
    typeof p.epochs === 'number',
);
export const dsBrowseTeacher = message<Record<string, never>>('distill/browseTeacher');
export const dsRun = message<{ data: string }>('distill/run', (p) => isObject(p) && typeof p.data === 'string');
export const dsCancel = message<Record<string, never>>('distill/cancel');
export const dsSave = message<Record<string, never>>('distill/save');
