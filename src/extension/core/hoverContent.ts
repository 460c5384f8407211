// The hover's Markdown, built from plain results so it can be tested without VS Code.
import type { WordCandidate } from '../../engine/api';
import { mdCode, mdText } from './markdown';
import { l10n } from './l10n';

const BARS = '▁▂▃▄▅▆▇█';

/** A compact sparkline of a vector: `width` buckets of mean values, scaled min..max. */
export function sparkline(vector: number[], width = 32): string {
  if (!vector.length) return '';
  const n = Math.min(width, vector.length);
  const buckets: number[] = [];
  for (let b = 0; b < n; b++) {
    const from = Math.floor((b * vector.length) / n);
    const to = Math.floor(((b + 1) * vector.length) / n);
    let s = 0;
    for (let i = from; i < to; i++) s += vector[i];
    buckets.push(s / Math.max(1, to - from));
  }
  const min = Math.min(...buckets);
  const max = Math.max(...buckets);
  return buckets.map((v) => BARS[max > min ? Math.round(((v - min) / (max - min)) * (BARS.length - 1)) : 0]).join('');
}

export interface OccurrenceInfo {
  line: number; // 1-based
  text: string;
  similarity: number;
}

export interface HoverModel {
  word: string;
  pieces: string[];
  ids: number[];
  layer: number;
  norm: number;
  vector: number[];
  alternatives?: WordCandidate[];
  occurrences: OccurrenceInfo[];
  modelId: string;
  millis?: number;
}

const esc = mdText;

export function hoverMarkdown(m: HoverModel): string {
  const lines: string[] = [];
  lines.push(`**BERT Lens** · ${mdCode(m.word)}`); // l10n: the product name and the word
  lines.push('');
  lines.push(l10n.t('Pieces: {0}', m.pieces.map((p, i) => `${mdCode(p)} (${m.ids[i]})`).join(' ')));
  lines.push('');
  if (m.alternatives?.length) {
    lines.push(
      l10n.t(
        'If masked: {0}',
        m.alternatives
          .slice(0, 3)
          .map((c) => `**${esc(c.word)}** ${(c.score * 100).toFixed(1)}%`)
          .join(' · '),
      ),
    );
    lines.push('');
  }
  lines.push(l10n.t('Embedding (layer {0}): norm {1} `{2}`', m.layer, m.norm.toFixed(2), sparkline(m.vector)));
  lines.push('');
  if (m.occurrences.length) {
    const sorted = [...m.occurrences].sort((a, b) => b.similarity - a.similarity);
    const most = sorted[0];
    const least = sorted[sorted.length - 1];
    lines.push(
      l10n.t(
        'Other occurrences ({0}): most similar line {1} (cos {2})',
        m.occurrences.length,
        most.line,
        most.similarity.toFixed(3),
      ) +
        (sorted.length > 1
          ? l10n.t(' · least similar line {0} (cos {1})', least.line, least.similarity.toFixed(3))
          : ''),
    );
  } else {
    lines.push(l10n.t('No other occurrence of this word in the document.'));
  }
  lines.push('');
  lines.push(`_${esc(m.modelId)}${m.millis !== undefined ? ` · ${Math.round(m.millis)} ms` : ''}_`);
  return lines.join('\n');
}
