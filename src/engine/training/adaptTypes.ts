// Plain types of domain adaptation shared with the webview (no runtime imports, so the browser bundle and its
// type-check see no Node module).
import type { MaskKind } from '../masking';

export type KindCounts = Record<MaskKind, number>;

export interface MlmMetrics {
  /** Fraction of the chosen positions where the top prediction is the original token. */
  accuracy: number;
  /** exp(nll). */
  pseudoPerplexity: number;
  /** Mean negative log-likelihood of the original token at the chosen positions. */
  nll: number;
  /** Chosen positions scored. */
  positions: number;
}

export interface AdaptSampleToken {
  /** The token the model reads (the mask token, a random token, or the original). */
  text: string;
  /** Chosen positions only. */
  kind?: MaskKind;
  original?: string;
  /** The model's top prediction there, before this step's update. */
  guess?: string;
  correct?: boolean;
}

/** One training input as the model sees it, for the sidebar. */
export interface AdaptSample {
  source: { file: string; line: number };
  tokens: AdaptSampleToken[];
}
