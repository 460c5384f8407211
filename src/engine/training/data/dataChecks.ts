import type { DataWarning, Example } from '../types';

/** Ratio between the largest and the smallest class from which imbalance is reported. */
export const IMBALANCE_RATIO = 3;

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[m][n];
}

/** Label pairs that look like typos of each other: equal ignoring case, spaces and punctuation, or one edit apart
 *  (two for labels of 8+ characters). Very short labels ("a"/"b", "0"/"1") and labels that differ only in digits
 *  are left alone. */
export function labelTypos(labels: string[]): [string, string][] {
  const norm = (s: string) => s.toLowerCase().replace(/[\s_\-.]+/g, '');
  const out: [string, string][] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const a = norm(labels[i]);
      const b = norm(labels[j]);
      if (a === b) {
        out.push([labels[i], labels[j]]);
        continue;
      }
      const minLen = Math.min(a.length, b.length);
      if (minLen < 4) continue;
      if (/^\d+$/.test(a) && /^\d+$/.test(b)) continue;
      // Labels that differ only in their numbers ("18th century" / "19th century", "class1" / "class2") are
      // distinct classes, not typos.
      if (a.replace(/\d+/g, '#') === b.replace(/\d+/g, '#')) continue;
      const limit = minLen >= 8 ? 2 : 1;
      if (editDistance(a, b) <= limit) out.push([labels[i], labels[j]]);
    }
  }
  return out;
}

export function labelCounts(examples: Example[], labels: string[]): number[] {
  const index = new Map(labels.map((l, i) => [l, i]));
  const counts = new Array<number>(labels.length).fill(0);
  for (const e of examples) counts[index.get(e.label)!]++;
  return counts;
}

/** Warnings about the data itself (not fatal): imbalance, duplicate texts (and duplicates with different labels),
 *  labels that look like typos of each other. Empty texts are counted by the loader, which skips them. */
export function dataWarnings(examples: Example[], labels: string[]): DataWarning[] {
  const warnings: DataWarning[] = [];
  const counts = labelCounts(examples, labels);
  let max = 0;
  let min = 0;
  counts.forEach((c, i) => {
    if (c > counts[max]) max = i;
    if (c < counts[min]) min = i;
  });
  if (counts[min] > 0 && counts[max] / counts[min] >= IMBALANCE_RATIO) {
    warnings.push({
      kind: 'imbalance',
      message: `Classes are imbalanced: "${labels[max]}" has ${counts[max]} examples, "${labels[min]}" ${counts[min]} (${(counts[max] / counts[min]).toFixed(1)}:1). Class weights compensate; watch per-class recall and macro-F1 rather than accuracy.`,
    });
  }
  const seen = new Map<string, number>();
  let dup = 0;
  let conflicting = 0;
  const dupLines: number[] = [];
  const conflictLines: number[] = [];
  examples.forEach((e, i) => {
    const key = `${e.text.trim().replace(/\s+/g, ' ')}\u0000${(e.pair ?? '').trim().replace(/\s+/g, ' ')}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return;
    }
    dup++;
    if (dupLines.length < 5) dupLines.push(e.source.line);
    if (examples[first].label !== e.label) {
      conflicting++;
      if (conflictLines.length < 5) conflictLines.push(e.source.line);
    }
  });
  if (dup)
    warnings.push({
      kind: 'duplicates',
      message: `${dup} example(s) repeat an earlier text (e.g. line ${dupLines.join(', ')}). Duplicates can land in both train and test and inflate the scores.`,
      lines: dupLines,
    });
  if (conflicting)
    warnings.push({
      kind: 'conflicting-duplicates',
      message: `${conflicting} duplicate text(s) carry a different label than their first occurrence (e.g. line ${conflictLines.join(', ')}).`,
      lines: conflictLines,
    });
  for (const [a, b] of labelTypos(labels)) {
    warnings.push({
      kind: 'label-typo',
      message: `Labels "${a}" (${counts[labels.indexOf(a)]}) and "${b}" (${counts[labels.indexOf(b)]}) look like typos of each other; they are trained as different classes.`,
    });
  }
  return warnings;
}
