import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../../errors';
import { lastCompleteRecordEnd, parseDelimited } from './csv';
import { dataWarnings } from './dataChecks';
import type { DataFormat, Dataset, DataWarning, Example, LoadOptions, SplitIndexes } from '../types';

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_ROWS = 200_000;

const TEXT_NAMES = [
  'text',
  'sentence',
  'sentence1',
  'content',
  'body',
  'message',
  'document',
  'review',
  'comment',
  'premise',
  'question',
  'email',
  'sms',
  'tweet',
];
const LABEL_NAMES = ['label', 'labels', 'class', 'category', 'target', 'sentiment', 'y', 'tag', 'intent'];
const PAIR_NAMES = ['text_pair', 'sentence2', 'hypothesis', 'pair'];
const SPLIT_DIRS: Record<string, keyof SplitIndexes> = {
  train: 'train',
  validation: 'val',
  valid: 'val',
  val: 'val',
  dev: 'val',
  test: 'test',
};

export function detectFormat(p: string): DataFormat {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new EngineError(
      'data-not-found',
      `No data at ${p}.`,
      'Give a CSV, TSV or JSONL file, or a folder with one sub-folder per label.',
    );
  }
  if (stat.isDirectory()) return 'folder';
  const ext = path.extname(p).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new EngineError(
    'data-format',
    `${path.basename(p)}: unknown data format "${ext || '(no extension)'}".`,
    'Use .csv, .tsv, .jsonl, or a folder with one sub-folder per label.',
  );
}

interface ReadText {
  text: string;
  capped: boolean;
  totalBytes: number;
}

/** Reads a file as strict UTF-8, at most maxBytes of it. Non-UTF-8 bytes are an error that names the line. */
export function readUtf8(file: string, maxBytes = DEFAULT_MAX_BYTES): ReadText {
  const totalBytes = fs.statSync(file).size;
  const capped = totalBytes > maxBytes;
  let bytes: Buffer;
  if (capped) {
    bytes = Buffer.alloc(maxBytes);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, bytes, 0, maxBytes, 0);
    } finally {
      fs.closeSync(fd);
    }
  } else bytes = fs.readFileSync(file);
  let text: string;
  try {
    // stream: true lets a cut in the middle of a multi-byte character pass; the partial record is dropped later.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: capped });
  } catch {
    const { offset, line } = firstInvalidUtf8(bytes);
    throw new EngineError(
      'data-encoding',
      `${path.basename(file)} is not UTF-8 text (byte 0x${bytes[offset].toString(16).toUpperCase().padStart(2, '0')} at line ${line} cannot be decoded).`,
      'Re-save the file as UTF-8 (for example `iconv -f latin1 -t utf-8 in.csv > out.csv`).',
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, capped, totalBytes };
}

function firstInvalidUtf8(bytes: Uint8Array): { offset: number; line: number } {
  // Binary search the longest prefix that decodes (a prefix may end mid-character, so decode with stream).
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  // lo bytes decode and byte lo does not: the bad sequence starts there, or at an unfinished lead byte just before.
  let offset = Math.min(lo, bytes.length - 1);
  for (let k = 1; k <= 3 && lo - k >= 0; k++) {
    const b = bytes[lo - k];
    if (b >= 0xc0) {
      offset = lo - k;
      break;
    }
    if (b < 0x80) break;
  }
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return { offset, line };
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function pickColumn(
  columns: string[],
  wanted: string | undefined,
  guesses: string[],
  role: string,
  file: string,
): string {
  if (wanted !== undefined) {
    if (columns.includes(wanted)) return wanted;
    const ci = columns.find((c) => c.toLowerCase() === wanted.toLowerCase());
    if (ci) return ci;
    throw new EngineError(
      'data-column',
      `${path.basename(file)} has no ${role} column "${wanted}". Columns found: ${columns.map((c) => `"${c}"`).join(', ') || '(none)'}.`,
      `Pick one of those as the ${role} column.`,
    );
  }
  for (const g of guesses) {
    const hit = columns.find((c) => c.trim().toLowerCase() === g);
    if (hit !== undefined) return hit;
  }
  throw new EngineError(
    'data-column',
    `${path.basename(file)}: no ${role} column could be guessed. Columns found: ${columns.map((c) => `"${c}"`).join(', ') || '(none)'}.`,
    `Name the ${role} column (--${role}-column).`,
  );
}

interface RawRow {
  values: Record<string, unknown>;
  line: number;
}

function readRows(
  file: string,
  format: 'csv' | 'tsv' | 'jsonl',
  opts: LoadOptions,
  warnings: DataWarning[],
): { columns: string[]; rows: RawRow[] } {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const read = readUtf8(file, maxBytes);
  let text = read.text;
  if (text.trim() === '')
    throw new EngineError('data-empty', `${path.basename(file)} is empty.`, 'Add rows with a text and a label.');
  if (read.capped) {
    const end = format === 'jsonl' ? text.lastIndexOf('\n') + 1 : lastCompleteRecordEnd(text);
    if (end === 0)
      throw new EngineError(
        'data-too-large',
        `${path.basename(file)}: its first record is larger than the ${mib(maxBytes)} read limit.`,
        'Split the file, or shorten its texts.',
      );
    text = text.slice(0, end);
  }
  const rows: RawRow[] = [];
  let columns: string[] = [];
  if (format === 'jsonl') {
    const seen = new Set<string>();
    let bad = 0;
    const badLines: number[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i].trim();
      if (!l) continue;
      let obj: unknown;
      try {
        obj = JSON.parse(l);
      } catch {
        obj = undefined;
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
        bad++;
        if (badLines.length < 5) badLines.push(i + 1);
        continue;
      }
      for (const k of Object.keys(obj)) if (!seen.has(k)) (seen.add(k), columns.push(k));
      rows.push({ values: obj as Record<string, unknown>, line: i + 1 });
    }
    if (bad)
      warnings.push({
        kind: 'skipped',
        message: `Skipped ${bad} line(s) that are not JSON objects (first at line ${badLines[0]}).`,
        lines: badLines,
      });
    if (!rows.length)
      throw new EngineError(
        'data-empty',
        `${path.basename(file)} has no JSON object lines.`,
        'Write one JSON object per line, e.g. {"text": "...", "label": "..."}.',
      );
  } else {
    const records = parseDelimited(text, format === 'tsv' ? '\t' : ',');
    if (!records.length)
      throw new EngineError(
        'data-empty',
        `${path.basename(file)} is empty.`,
        'Add a header row and rows with a text and a label.',
      );
    columns = records[0].fields.map((c) => c.trim());
    if (records.length < 2 && read.capped)
      throw new EngineError(
        'data-too-large',
        `${path.basename(file)}: its first row is larger than the ${mib(maxBytes)} read limit.`,
        'Split the file, or shorten its texts.',
      );
    if (records.length < 2)
      throw new EngineError(
        'data-empty',
        `${path.basename(file)} has a header but no rows.`,
        'Add rows with a text and a label.',
      );
    for (let r = 1; r < records.length; r++) {
      const rec = records[r];
      if (rec.fields.length === 1 && rec.fields[0].trim() === '') continue; // blank line
      const values: Record<string, unknown> = {};
      columns.forEach((c, i) => (values[c] = rec.fields[i] ?? ''));
      rows.push({ values, line: rec.line });
    }
  }
  if (read.capped) {
    warnings.push({
      kind: 'capped',
      message: `${path.basename(file)} is ${mib(read.totalBytes)}; only its first ${mib(maxBytes)} (${rows.length} rows) were read.`,
    });
  }
  return { columns, rows };
}

function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Loads a labelled dataset: CSV/TSV (header row), JSONL, or a folder with one sub-folder per label (optionally
 *  inside train/, validation/, test/ folders, which then define the split). */
export function loadDataset(p: string, opts: LoadOptions = {}): Dataset {
  return loadDatasetImpl(p, opts, false);
}

function loadDatasetImpl(p: string, opts: LoadOptions, allowOneLabel: boolean): Dataset {
  const file = path.resolve(p);
  const format = detectFormat(file);
  const warnings: DataWarning[] = [];
  const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
  let examples: Example[] = [];
  let columns: string[] = [];
  let textColumn = 'text';
  let labelColumn = 'label';
  let pairColumn: string | undefined;
  let givenSplit: SplitIndexes | undefined;
  let emptyText = 0;
  let missingLabel = 0;
  const emptyLines: number[] = [];
  const missingLines: number[] = [];

  if (format === 'folder') {
    const r = readFolder(file, opts, warnings);
    examples = r.examples;
    givenSplit = r.split;
    emptyText = r.empty;
  } else {
    const { columns: cols, rows } = readRows(file, format, opts, warnings);
    columns = cols;
    textColumn = pickColumn(columns, opts.textColumn, TEXT_NAMES, 'text', file);
    labelColumn = pickColumn(columns, opts.labelColumn, LABEL_NAMES, 'label', file);
    if (opts.pairColumn) pairColumn = pickColumn(columns, opts.pairColumn, PAIR_NAMES, 'pair', file);
    if (textColumn === labelColumn)
      throw new EngineError(
        'data-column',
        `The text and label columns are both "${textColumn}".`,
        'Pick two different columns.',
      );
    for (const row of rows) {
      const text = asText(row.values[textColumn]);
      const label = asText(row.values[labelColumn]).trim();
      const pair = pairColumn ? asText(row.values[pairColumn]) : undefined;
      if (!label) {
        missingLabel++;
        if (missingLines.length < 5) missingLines.push(row.line);
        continue;
      }
      if (!text.trim()) {
        emptyText++;
        if (emptyLines.length < 5) emptyLines.push(row.line);
        continue;
      }
      examples.push({ text, ...(pair !== undefined ? { pair } : {}), label, source: { file, line: row.line } });
    }
  }
  if (emptyText)
    warnings.push({
      kind: 'empty-text',
      message: `Skipped ${emptyText} row(s) with no text${emptyLines.length ? ` (lines ${emptyLines.join(', ')}${emptyText > emptyLines.length ? ', …' : ''})` : ''}.`,
      lines: emptyLines,
    });
  if (missingLabel)
    warnings.push({
      kind: 'missing-label',
      message: `Skipped ${missingLabel} row(s) with no label (lines ${missingLines.join(', ')}${missingLabel > missingLines.length ? ', …' : ''}).`,
      lines: missingLines,
    });
  if (!examples.length) {
    if (emptyText)
      throw new EngineError(
        'data-no-text',
        `${path.basename(file)}: none of its ${emptyText + missingLabel} rows has text in column "${textColumn}".`,
        columns.length
          ? `Columns found: ${columns.map((c) => `"${c}"`).join(', ')}. Is the text in another column?`
          : 'Put one text document per file.',
      );
    throw new EngineError(
      'data-empty',
      `${path.basename(file)} has no labelled rows.`,
      'Every row needs a text and a label.',
    );
  }
  if (examples.length > maxRows) {
    warnings.push({ kind: 'capped', message: `Kept the first ${maxRows} of ${examples.length} examples.` });
    examples = examples.slice(0, maxRows);
    if (givenSplit) givenSplit = filterSplit(givenSplit, maxRows);
  }
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  if (labels.length < 2 && !allowOneLabel) {
    throw new EngineError(
      'data-one-label',
      `All ${examples.length} examples have the same label "${labels[0]}"; a classifier needs at least two.`,
      `Check the label column${format === 'folder' ? ' (one sub-folder per label)' : ` ("${labelColumn}")`}.`,
    );
  }
  warnings.push(...dataWarnings(examples, labels));
  return { path: file, format, columns, textColumn, labelColumn, pairColumn, examples, labels, warnings, givenSplit };
}

function filterSplit(s: SplitIndexes, n: number): SplitIndexes {
  return { train: s.train.filter((i) => i < n), val: s.val.filter((i) => i < n), test: s.test.filter((i) => i < n) };
}

function listDirs(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

function readFolder(
  root: string,
  opts: LoadOptions,
  warnings: DataWarning[],
): { examples: Example[]; split?: SplitIndexes; empty: number } {
  const top = listDirs(root);
  if (!top.length)
    throw new EngineError(
      'data-empty',
      `${path.basename(root)} has no sub-folders.`,
      'Make one sub-folder per label, with one document per file.',
    );
  const splitLayout =
    top.every((d) => SPLIT_DIRS[d.toLowerCase()] !== undefined) &&
    top.some((d) => SPLIT_DIRS[d.toLowerCase()] === 'train');
  const examples: Example[] = [];
  const split: SplitIndexes = { train: [], val: [], test: [] };
  let empty = 0;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const readLabelDirs = (base: string, part?: keyof SplitIndexes) => {
    for (const label of listDirs(base)) {
      const dir = path.join(base, label);
      const files = fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((f) => f.isFile() && !f.name.startsWith('.'))
        .map((f) => f.name)
        .sort();
      for (const f of files) {
        const file = path.join(dir, f);
        const { text, capped } = readUtf8(file, maxBytes);
        if (capped)
          warnings.push({
            kind: 'capped',
            message: `${path.relative(root, file)} was cut to its first ${mib(maxBytes)}.`,
          });
        if (!text.trim()) {
          empty++;
          continue;
        }
        if (part) split[part].push(examples.length);
        examples.push({ text, label, source: { file, line: 1 } });
      }
    }
  };
  if (splitLayout) for (const d of top) readLabelDirs(path.join(root, d), SPLIT_DIRS[d.toLowerCase()]);
  else readLabelDirs(root);
  if (!examples.length && !empty)
    throw new EngineError(
      'data-empty',
      `${path.basename(root)}: its label folders hold no files.`,
      'Put one document per file in each label folder.',
    );
  return { examples, split: splitLayout ? split : undefined, empty };
}

/** Loads separate files the user named for train / validation / test, with the same column choice, and joins
 *  them into one dataset with the split given. */
export function loadSplitFiles(files: { train: string; val?: string; test: string }, opts: LoadOptions = {}): Dataset {
  const parts = (['train', 'val', 'test'] as const).filter((k) => files[k]);
  const loaded = parts.map((k) => ({ k, d: loadDatasetLoose(files[k]!, opts) }));
  const base = loaded[0].d;
  const examples: Example[] = [];
  const split: SplitIndexes = { train: [], val: [], test: [] };
  const warnings: DataWarning[] = [];
  for (const { k, d } of loaded) {
    for (const e of d.examples) {
      split[k].push(examples.length);
      examples.push(e);
    }
    warnings.push(
      ...d.warnings.filter(
        (w) =>
          w.kind !== 'imbalance' &&
          w.kind !== 'duplicates' &&
          w.kind !== 'label-typo' &&
          w.kind !== 'conflicting-duplicates',
      ),
    );
  }
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  if (labels.length < 2)
    throw new EngineError(
      'data-one-label',
      `All examples have the same label "${labels[0]}"; a classifier needs at least two.`,
      'Check the label column.',
    );
  const trainLabels = new Set(split.train.map((i) => examples[i].label));
  const unseen = labels.filter((l) => !trainLabels.has(l));
  if (unseen.length)
    warnings.push({
      kind: 'skipped',
      message: `Label(s) ${unseen.map((l) => `"${l}"`).join(', ')} appear only outside the training file; the model can never predict them.`,
    });
  warnings.push(...dataWarnings(examples, labels));
  return { ...base, path: path.resolve(files.train), examples, labels, warnings, givenSplit: split };
}

/** Like loadDataset, but a split file may hold a single label. */
function loadDatasetLoose(p: string, opts: LoadOptions): Dataset {
  return loadDatasetImpl(p, opts, true);
}
