// Token-classification data: CoNLL-style files (one token per line, label in the last column, a blank line
// between sentences) and JSONL with {"tokens","tags"} or {"text","entities":[{start,end,label}]}. Tags must
// parse as strict IOB2 (what seqeval's strict mode scores), so a bad file fails here with its line, not later.
import { iob2Problem, repairIob2 } from '../bio';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { readUtf8 } from './data/data';
import type { DataWarning, ExampleSource } from './types';

export interface TokenExample {
  /** Words as written (CoNLL: the first column). */
  tokens: string[];
  /** One IOB2 tag per word. */
  tags: string[];
  /** The words joined with single spaces (or the JSONL text itself), and each word's [start, end) in it. */
  text: string;
  spans: [number, number][];
  source: ExampleSource;
}

export type TokenFormat = 'conll' | 'jsonl';

export interface TokenDataset {
  path: string;
  format: TokenFormat;
  examples: TokenExample[];
  /** Sorted tags; 'O' first. The class index of a tag is its position here. */
  labels: string[];
  warnings: DataWarning[];
}

export { iob2Problem, repairIob2 };

export const CONLL_EXTENSIONS = ['.conll', '.conllu', '.bio', '.iob', '.iob2', '.ner'];

function checkTags(tags: string[], file: string, lineOf: (i: number) => number): void {
  const p = iob2Problem(tags);
  if (p) {
    throw new EngineError(
      'data-tags',
      `${path.basename(file)} line ${lineOf(p.index)}: the tag sequence does not parse as IOB2: ${p.reason}.`,
      'Use IOB2 tags (B-PER I-PER O …); convert IOB1 or BIOES files first.',
    );
  }
}

function joinWords(words: string[]): { text: string; spans: [number, number][] } {
  const spans: [number, number][] = [];
  let text = '';
  for (const w of words) {
    if (text) text += ' ';
    spans.push([text.length, text.length + w.length]);
    text += w;
  }
  return { text, spans };
}

function sortedLabels(examples: TokenExample[]): string[] {
  const set = new Set<string>(['O']);
  for (const e of examples) for (const t of e.tags) set.add(t);
  return [...set].sort((a, b) =>
    a === 'O' ? -1 : b === 'O' ? 1 : a.slice(2).localeCompare(b.slice(2)) || a.localeCompare(b),
  );
}

/** Parses CoNLL text: whitespace-separated columns, the token first and the label last; `-DOCSTART-` lines and
 *  comment lines (`# …`) are skipped; a blank line ends a sentence. */
export function parseConll(text: string, file: string): TokenExample[] {
  const examples: TokenExample[] = [];
  let words: string[] = [];
  let tags: string[] = [];
  let lines: number[] = [];
  const flush = () => {
    if (words.length) {
      checkTags(tags, file, (i) => lines[i]);
      const { text: t, spans } = joinWords(words);
      examples.push({ tokens: words, tags, text: t, spans, source: { file, line: lines[0] } });
    }
    words = [];
    tags = [];
    lines = [];
  };
  const all = text.split(/\r?\n/);
  for (let i = 0; i < all.length; i++) {
    const l = all[i].trim();
    if (!l) {
      flush();
      continue;
    }
    if (l.startsWith('-DOCSTART-')) {
      flush();
      continue;
    }
    if (l.startsWith('# ') && !words.length) continue;
    const cols = l.split(/\s+/);
    if (cols.length < 2) {
      throw new EngineError(
        'data-conll',
        `${path.basename(file)} line ${i + 1}: "${l.length > 40 ? l.slice(0, 40) + '…' : l}" has no label column.`,
        'Write one token per line with its label in the last column (e.g. "Paris B-LOC"), and a blank line between sentences.',
      );
    }
    words.push(cols[0]);
    tags.push(cols[cols.length - 1]);
    lines.push(i + 1);
  }
  flush();
  return examples;
}

/** Words of a text with their spans: runs of letters/digits, or single other non-space characters. Entity
 *  boundaries always split a word, so every entity covers whole words. */
export function splitWords(text: string, cuts: Set<number> = new Set()): [number, number][] {
  const out: [number, number][] = [];
  const re = /[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_]/gu;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let s = m.index;
    const e = s + m[0].length;
    for (let k = s + 1; k < e; k++) {
      if (cuts.has(k)) {
        out.push([s, k]);
        s = k;
      }
    }
    out.push([s, e]);
  }
  return out;
}

interface JsonEntity {
  start: number;
  end: number;
  label: string;
}

/** Converts {"text","entities"} to words and IOB2 tags. Entity offsets are code points (Python's indices, as
 *  spaCy and Label Studio write them) and are converted to string indices. */
export function entitiesToTags(
  text: string,
  entities: JsonEntity[],
  where: string,
): { tokens: string[]; tags: string[]; spans: [number, number][] } {
  const cp: number[] = [];
  let u = 0;
  for (const ch of text) {
    cp.push(u);
    u += ch.length;
  }
  cp.push(u);
  const ents = entities
    .map((e) => {
      if (
        typeof e?.start !== 'number' ||
        typeof e?.end !== 'number' ||
        typeof e?.label !== 'string' ||
        !e.label ||
        e.start < 0 ||
        e.end <= e.start ||
        e.end >= cp.length
      ) {
        throw new EngineError(
          'data-entities',
          `${where}: entity ${JSON.stringify(e)} needs a label and 0 ≤ start < end ≤ the text's length.`,
          'Write entities as {"start": 0, "end": 5, "label": "PER"} (character offsets).',
        );
      }
      return { start: cp[e.start], end: cp[e.end], label: e.label };
    })
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < ents.length; i++) {
    if (ents[i].start < ents[i - 1].end)
      throw new EngineError(
        'data-entities',
        `${where}: entities "${text.slice(ents[i - 1].start, ents[i - 1].end)}" and "${text.slice(ents[i].start, ents[i].end)}" overlap.`,
        'Token classification needs entities that do not overlap.',
      );
  }
  const cuts = new Set<number>();
  for (const e of ents) (cuts.add(e.start), cuts.add(e.end));
  const spans = splitWords(text, cuts);
  const tags = spans.map(() => 'O');
  for (const e of ents) {
    let first = true;
    spans.forEach(([s, t], i) => {
      if (s >= e.start && t <= e.end) {
        tags[i] = `${first ? 'B' : 'I'}-${e.label}`;
        first = false;
      }
    });
    if (first)
      throw new EngineError(
        'data-entities',
        `${where}: entity "${text.slice(e.start, e.end)}" covers no word.`,
        'Check its start and end offsets.',
      );
  }
  return { tokens: spans.map(([s, t]) => text.slice(s, t)), tags, spans };
}

function parseTokenJsonl(text: string, file: string): TokenExample[] {
  const examples: TokenExample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l) continue;
    const where = `${path.basename(file)} line ${i + 1}`;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(l);
    } catch {
      throw new EngineError(
        'data-jsonl',
        `${where} is not JSON.`,
        'Write one JSON object per line: {"tokens": [...], "tags": [...]} or {"text": "...", "entities": [...]}.',
      );
    }
    if (Array.isArray(obj.tokens) && Array.isArray(obj.tags ?? obj.ner_tags ?? obj.labels)) {
      const tokens = (obj.tokens as unknown[]).map(String);
      const tags = ((obj.tags ?? obj.ner_tags ?? obj.labels) as unknown[]).map(String);
      if (tokens.length !== tags.length)
        throw new EngineError(
          'data-tags',
          `${where}: ${tokens.length} tokens but ${tags.length} tags.`,
          'Give exactly one tag per token.',
        );
      if (!tokens.length) continue;
      checkTags(tags, file, () => i + 1);
      const { text: t, spans } = joinWords(tokens);
      examples.push({ tokens, tags, text: t, spans, source: { file, line: i + 1 } });
    } else if (typeof obj.text === 'string' && Array.isArray(obj.entities)) {
      const r = entitiesToTags(obj.text, obj.entities as JsonEntity[], where);
      if (!r.tokens.length) continue;
      examples.push({ ...r, text: obj.text, source: { file, line: i + 1 } });
    } else {
      throw new EngineError(
        'data-jsonl',
        `${where}: expected {"tokens","tags"} or {"text","entities"}; found keys ${
          Object.keys(obj)
            .map((k) => `"${k}"`)
            .join(', ') || '(none)'
        }.`,
        'Write token data as {"tokens": ["Paris", "is"], "tags": ["B-LOC", "O"]}.',
      );
    }
  }
  return examples;
}

/** True when a JSONL file's first record is token data. */
export function looksLikeTokenJsonl(text: string): boolean {
  const first = text.split('\n').find((l) => l.trim());
  if (!first) return false;
  try {
    const o = JSON.parse(first);
    return (
      (Array.isArray(o.tokens) && Array.isArray(o.tags ?? o.ner_tags)) ||
      (typeof o.text === 'string' && Array.isArray(o.entities))
    );
  } catch {
    return false;
  }
}

/** Loads one token-classification file (CoNLL by extension, otherwise JSONL). */
export function loadTokenFile(file: string, maxBytes?: number): TokenDataset {
  const abs = path.resolve(file);
  const { text } = readUtf8(abs, maxBytes);
  const ext = path.extname(abs).toLowerCase();
  const format: TokenFormat = ext === '.jsonl' || ext === '.ndjson' || ext === '.json' ? 'jsonl' : 'conll';
  const examples = format === 'conll' ? parseConll(text, abs) : parseTokenJsonl(text, abs);
  if (!examples.length)
    throw new EngineError(
      'data-empty',
      `${path.basename(abs)} has no sentences.`,
      format === 'conll'
        ? 'Write one token per line with its label in the last column.'
        : 'Write one JSON object per line.',
    );
  const warnings: DataWarning[] = [];
  const labels = sortedLabels(examples);
  if (labels.length < 2)
    warnings.push({
      kind: 'imbalance',
      message: `${path.basename(abs)}: every token is tagged O; there is nothing to learn.`,
    });
  return { path: abs, format, examples, labels, warnings };
}

/** Joins split files into one dataset whose label list covers every split. */
export function mergeTokenDatasets(parts: TokenDataset[]): { dataset: TokenDataset; ranges: [number, number][] } {
  const examples: TokenExample[] = [];
  const ranges: [number, number][] = [];
  for (const p of parts) {
    ranges.push([examples.length, examples.length + p.examples.length]);
    examples.push(...p.examples);
  }
  return {
    dataset: { ...parts[0], examples, labels: sortedLabels(examples), warnings: parts.flatMap((p) => p.warnings) },
    ranges,
  };
}

/** Word-level majority-tag baseline: each word (lower-cased) gets the tag it had most often in training, unseen
 *  words get O. */
export function majorityTagBaseline(train: TokenExample[]): (words: string[]) => string[] {
  const counts = new Map<string, Map<string, number>>();
  for (const e of train) {
    e.tokens.forEach((w, i) => {
      const k = w.toLowerCase();
      let m = counts.get(k);
      if (!m) counts.set(k, (m = new Map()));
      m.set(e.tags[i], (m.get(e.tags[i]) ?? 0) + 1);
    });
  }
  const best = new Map<string, string>();
  for (const [w, m] of counts) {
    let top = 'O';
    let n = -1;
    for (const [t, c] of [...m].sort((a, b) => a[0].localeCompare(b[0]))) if (c > n) ((top = t), (n = c));
    best.set(w, top);
  }
  return (words) => repairIob2(words.map((w) => best.get(w.toLowerCase()) ?? 'O'));
}
