/** Plain, JSON-serialisable shapes shared by the training engine, the worker methods, the CLI and the sidebar. */

export type DataFormat = 'csv' | 'tsv' | 'jsonl' | 'folder';

export interface ExampleSource {
  /** Absolute path of the file the example came from. */
  file: string;
  /** 1-based line where the record starts (1 for folder-per-label documents). */
  line: number;
}

export interface Example {
  text: string;
  pair?: string;
  label: string;
  source: ExampleSource;
}

export type WarningKind =
  | 'imbalance'
  | 'duplicates'
  | 'conflicting-duplicates'
  | 'empty-text'
  | 'missing-label'
  | 'label-typo'
  | 'capped'
  | 'skipped';

export interface DataWarning {
  kind: WarningKind;
  message: string;
  /** A few example lines, when they help find the problem. */
  lines?: number[];
}

export interface ColumnChoice {
  textColumn?: string;
  labelColumn?: string;
  pairColumn?: string;
}

export interface LoadOptions extends ColumnChoice {
  /** Read at most this many bytes of one file (default 64 MiB); the rest is ignored, with a warning. */
  maxBytes?: number;
  /** Keep at most this many examples (default 200,000), with a warning. */
  maxRows?: number;
}

export interface Dataset {
  path: string;
  format: DataFormat;
  /** Column / field names found (CSV header, JSONL keys of the first records); empty for folders. */
  columns: string[];
  textColumn: string;
  labelColumn: string;
  pairColumn?: string;
  examples: Example[];
  /** Sorted label names: the class index of a label is its position here. */
  labels: string[];
  warnings: DataWarning[];
  /** When the folder layout itself names splits (train/, validation/, test/): the index lists per split. */
  givenSplit?: SplitIndexes;
}

export interface SplitIndexes {
  train: number[];
  val: number[];
  test: number[];
}

export interface SplitOptions {
  seed?: number;
  /** Fractions of each class (defaults 0.1 and 0.2). */
  valFraction?: number;
  testFraction?: number;
}

export interface DatasetPreview {
  path: string;
  format: DataFormat | 'conll' | 'squad';
  columns: string[];
  textColumn: string;
  labelColumn: string;
  pairColumn?: string;
  /** First rows as {column: value} (texts cut to 300 characters). */
  rows: Record<string, string>[];
  labelCounts: { label: string; count: number }[];
  size: number;
  warnings: DataWarning[];
  /** The fine-tuning shape the data fits (taskPreview.ts): token for CoNLL / token JSONL, qa for SQuAD. */
  task?: 'sequence' | 'pair' | 'token' | 'qa';
}

export interface EpochProgress {
  epoch: number;
  loss: number;
  valAccuracy: number;
  valLoss?: number;
}

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Metrics {
  accuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[true][predicted] = count. */
  confusion: number[][];
  /** Same shape: indexes (into the evaluated list) of the examples in each cell. */
  confusionExamples: number[][][];
}

/** A labelled-data candidate found in the workspace (data/discover.ts). */
export interface DatasetCandidate {
  path: string;
  format: DataFormat | 'conll' | 'squad';
  /** For folders: the label folders found. */
  labels?: string[];
}

export interface MetricsSummary {
  accuracy: number;
  macro_f1: number;
  per_class: ClassMetrics[];
  confusion: number[][];
}

/** What training-report.json holds and what the sidebar shows (minus the examples); built in report.ts. */
export interface TrainingReport {
  created: string;
  data: {
    path: string;
    format: string;
    text_column: string;
    label_column: string;
    pair_column?: string;
    size: number;
    label_counts: Record<string, number>;
    warnings: string[];
  };
  split: { seed: number; given: boolean; train: number; validation: number; test: number };
  encoder: { model: string; variant: string; layers: number[]; pooling: string; max_length: number; dim: number };
  head: {
    kind: string;
    hidden?: number;
    best_epoch: number;
    epochs_run: number;
    stopped_early: boolean;
    class_weights: string;
    learning_rate?: number;
    train_layers?: string;
    freeze_embeddings?: boolean;
    /** Fine-tuning: the head-dropout rate while training (0: none). */
    dropout?: number;
    /** Fine-tuning, single texts: how long texts were read (windows, as classify reads them, or truncate). */
    long_texts?: string;
    cancelled?: boolean;
    resumed_from?: number;
  };
  metrics: MetricsSummary;
  baselines: { majority: MetricsSummary; tfidf_lr: MetricsSummary };
  history: EpochProgress[];
  seconds: { features: number; head: number; baselines: number; total: number };
  /** Token and QA fine-tuning: the task's test metrics (entity P/R/F1, or SQuAD exact/F1), int8 too, and
   *  its baselines (token: majority tag per word); `metrics` above is then empty. */
  task?: 'sequence' | 'pair' | 'token' | 'qa';
  task_metrics?: {
    metrics: Record<string, number>;
    quantized?: Record<string, number>;
    baselines: Record<string, Record<string, number>>;
  };
  /** Frozen / fine-tuned / hybrid / TF-IDF on the same split, and the recommendation (validation only). */
  candidates?: Candidates;
  recommendation?: Recommendation;
}

export type CandidateName = 'frozen' | 'fine_tuned' | 'hybrid' | 'tfidf';

export interface SplitScores {
  accuracy: number;
  macro_f1: number;
}

/** One candidate's scores on the run's split: validation (when there is one) and test. */
export interface CandidateScores {
  val?: SplitScores;
  test: SplitScores;
  /** Hybrid: the width of its features (pooled dim + TF-IDF vocabulary). */
  features?: { pooled: number; tfidf: number; width: number };
}

export type Candidates = Partial<Record<CandidateName, CandidateScores>>;

/** The candidate with the best validation scores, and why (one line). */
export interface Recommendation {
  candidate: CandidateName;
  reason: string;
  split: 'validation';
}

/** A test-set example as the sidebar lists it (confusion-matrix cells hold indexes into this list). */
export interface TestExampleView {
  text: string;
  file: string;
  line: number;
  label: string;
  predicted: string;
  score: number;
}

export interface TrainView {
  runId: string;
  labels: string[];
  report: TrainingReport;
  examples: TestExampleView[];
  /** confusion[true][pred] → indexes into `examples`. */
  cells: number[][][];
  /** A fine-tuning run cancelled after an epoch: its checkpoint is kept, so it can be resumed. */
  resumable?: boolean;
  /** Per-class precision/recall/F1 for the baselines are inside report.baselines. */
}
