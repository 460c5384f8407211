import type { SparseRow } from './features';

/** Words as in scikit-learn's default token pattern: runs of 2+ letters/digits/underscores, lower-cased. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) ?? [];
}

/** Word unigrams and bigrams; a pair's terms are prefixed "b:" so the two sides stay apart. */
export function terms(text: string, pair?: string): string[] {
  const out: string[] = [];
  const add = (ws: string[], prefix: string) => {
    for (let i = 0; i < ws.length; i++) {
      out.push(prefix + ws[i]);
      if (i + 1 < ws.length) out.push(`${prefix}${ws[i]} ${ws[i + 1]}`);
    }
  };
  add(words(text), '');
  if (pair !== undefined) add(words(pair), 'b:');
  return out;
}

export interface TfidfModel {
  vocabulary: string[];
  idf: Float32Array;
}

/** TF-IDF with sublinear tf (1 + ln tf), smooth idf (ln((1 + n) / (1 + df)) + 1) and L2-normalised rows, the
 *  classic strong text baseline. The vocabulary keeps the maxFeatures terms with the highest document
 *  frequency (ties: alphabetical) and is stored in alphabetical order. */
export function fitTfidf(docs: { text: string; pair?: string }[], maxFeatures = 50_000): TfidfModel {
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(terms(d.text, d.pair))) df.set(t, (df.get(t) ?? 0) + 1);
  const byDf = [...df.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const vocabulary = byDf
    .slice(0, maxFeatures)
    .map(([t]) => t)
    .sort();
  const n = docs.length;
  const idf = Float32Array.from(vocabulary, (t) => Math.log((1 + n) / (1 + df.get(t)!)) + 1);
  return { vocabulary, idf };
}

export function tfidfTransformer(model: TfidfModel): (doc: { text: string; pair?: string }) => SparseRow {
  const index = new Map(model.vocabulary.map((t, i) => [t, i]));
  return (doc) => {
    const tf = new Map<number, number>();
    for (const t of terms(doc.text, doc.pair)) {
      const i = index.get(t);
      if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1);
    }
    const idx = Int32Array.from([...tf.keys()].sort((a, b) => a - b));
    const raw = Float64Array.from(idx, (i) => (1 + Math.log(tf.get(i)!)) * model.idf[i]);
    const norm = Math.sqrt(raw.reduce((s, v) => s + v * v, 0)) || 1;
    return { idx, val: Float32Array.from(raw, (v) => v / norm) };
  };
}
