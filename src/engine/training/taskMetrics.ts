// Evaluation for token classification and extractive QA, as the reference tools define it: seqeval's
// entity-level precision/recall/F1 in strict IOB2 mode, and the official SQuAD exact match and F1.
import { type EntitySpan, iob2Entities } from '../bio';

export { type EntitySpan, iob2Entities };

export interface EntityScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true entities. */
  support: number;
  perType: { type: string; precision: number; recall: number; f1: number; support: number }[];
}

const prf = (tp: number, pred: number, gold: number) => {
  const precision = pred ? tp / pred : 0;
  const recall = gold ? tp / gold : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
};

/** Micro-averaged entity precision, recall and F1 over sentences (exact type and boundaries), plus per type. */
export function entityScores(gold: string[][], pred: string[][]): EntityScores {
  const counts = new Map<string, { tp: number; pred: number; gold: number }>();
  const c = (t: string) => counts.get(t) ?? (counts.set(t, { tp: 0, pred: 0, gold: 0 }), counts.get(t)!);
  for (let s = 0; s < gold.length; s++) {
    const g = iob2Entities(gold[s]);
    const p = iob2Entities(pred[s]);
    const key = (e: EntitySpan) => `${e.type}\u0000${e.start}\u0000${e.end}`;
    const gs = new Set(g.map(key));
    for (const e of g) c(e.type).gold++;
    for (const e of p) {
      c(e.type).pred++;
      if (gs.has(key(e))) c(e.type).tp++;
    }
  }
  let tp = 0;
  let np = 0;
  let ng = 0;
  const perType = [...counts.keys()].sort().map((type) => {
    const k = counts.get(type)!;
    tp += k.tp;
    np += k.pred;
    ng += k.gold;
    return { type, ...prf(k.tp, k.pred, k.gold), support: k.gold };
  });
  return { ...prf(tp, np, ng), support: ng, perType };
}

const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** SQuAD's normalize_answer: lower case, drop ASCII punctuation, drop the articles a/an/the, collapse spaces. */
export function normalizeAnswer(s: string): string {
  const noPunct = [...s.toLowerCase()].filter((ch) => !PUNCTUATION.has(ch)).join('');
  return noPunct
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .join(' ');
}

export function exactMatch(prediction: string, truth: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(truth) ? 1 : 0;
}

/** Token-overlap F1 of normalised answers; when either is empty (SQuAD 2's no-answer), 1 if both are. */
export function answerF1(prediction: string, truth: string): number {
  const p = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const t = normalizeAnswer(truth).split(' ').filter(Boolean);
  if (!p.length || !t.length) return p.length === t.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const w of t) counts.set(w, (counts.get(w) ?? 0) + 1);
  let same = 0;
  for (const w of p) {
    const n = counts.get(w) ?? 0;
    if (n > 0) (same++, counts.set(w, n - 1));
  }
  if (!same) return 0;
  const precision = same / p.length;
  const recall = same / t.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Mean over questions of the best EM and F1 against any reference answer (an empty list means "no answer"),
 *  as fractions (the official script prints them ×100). */
export function squadScores(predictions: string[], references: string[][]): { exact: number; f1: number } {
  let em = 0;
  let f1 = 0;
  for (let i = 0; i < predictions.length; i++) {
    const refs = references[i].length ? references[i] : [''];
    em += Math.max(...refs.map((r) => exactMatch(predictions[i], r)));
    f1 += Math.max(...refs.map((r) => answerF1(predictions[i], r)));
  }
  const n = predictions.length || 1;
  return { exact: em / n, f1: f1 / n };
}
