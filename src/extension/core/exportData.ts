// What the exports write, built without VS Code: the Fill-Mask panel's masks, predictions and scores per model
// column (JSON and CSV), and the Entities view's rows (JSON and CSV).
import type { FillMaskState } from '../../webviews/protocol/fillMask';

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(header: string[], rows: (string | number)[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

export interface FillMaskExport {
  text: string;
  topK: number;
  masks: [number, number][];
  models: {
    model: string;
    label: string;
    tokens?: string[];
    error?: string;
    masks: {
      start: number;
      end: number;
      original: string;
      pieces: string[];
      /** Whole-word candidates (one prediction per piece), best first. */
      candidates: { word: string; score: number }[];
      /** Per masked piece: the top predictions. */
      predictions: { position: number; predictions: { token: string; score: number }[] }[];
    }[];
  }[];
}

export function fillMaskExport(state: Pick<FillMaskState, 'text' | 'masks' | 'models' | 'topK'>): FillMaskExport {
  return {
    text: state.text,
    topK: state.topK,
    masks: state.masks.map(([s, e]) => [s, e]),
    models: state.models.map((col) => ({
      model: col.model,
      label: col.label,
      tokens: col.tokenization?.tokens,
      error: col.error,
      masks: (col.result?.spans ?? []).map((s) => ({
        start: s.offset[0],
        end: s.offset[1],
        original: s.original,
        pieces: s.pieces,
        candidates: s.candidates.map((c) => ({ word: c.word, score: c.score })),
        predictions: s.masks.map((k) => {
          const m = col.result!.masks[k];
          return { position: m.position, predictions: m.predictions.map((p) => ({ token: p.token, score: p.score })) };
        }),
      })),
    })),
  };
}

/** One row per model × mask × whole-word candidate. */
export function fillMaskCsv(data: FillMaskExport): string {
  const rows: (string | number)[][] = [];
  for (const m of data.models) {
    m.masks.forEach((k, i) =>
      k.candidates.forEach((c, r) => rows.push([m.label, i + 1, k.start, k.end, k.original, r + 1, c.word, c.score])),
    );
  }
  return csv(['model', 'mask', 'start', 'end', 'original', 'rank', 'word', 'score'], rows);
}

export interface EntityRow {
  label: string;
  start: number;
  end: number;
  text: string;
  score: number;
  /** 1-based line of the entity's start. */
  line: number;
}

export function entitiesCsv(entities: EntityRow[]): string {
  return csv(
    ['label', 'start', 'end', 'text', 'score', 'line'],
    entities.map((e) => [e.label, e.start, e.end, e.text, e.score, e.line]),
  );
}

export function entitiesJson(entities: EntityRow[], document?: string): string {
  return JSON.stringify(
    {
      document,
      entities: entities.map(({ label, start, end, text, score, line }) => ({ label, start, end, text, score, line })),
    },
    null,
    2,
  );
}
