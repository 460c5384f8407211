// Domain adaptation's text: the prose files of a folder (or one file, or several paths), read as lines, split
// 90/10 into training and held-out lines (seeded), and packed into model inputs of at most `maxLength` tokens
// ([CLS] … [SEP], lines concatenated as Hugging Face's run_mlm.py groups texts, a longer line cut in pieces).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError, throwIfAborted } from '../errors';
import type { TextTokenizer } from '../tokenizer';
import { createRng, shuffleInPlace } from './random';
import { yieldToEventLoop } from './heads';
import { MAX_DEPTH, MAX_FILES, SKIP_DIRS, TEXT_EXTENSIONS } from './corpusFiles';

export { TEXT_EXTENSIONS } from './corpusFiles';

/** Files above this size are skipped (logs, dumps, generated text). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Characters read in all (the rest is left out, and the result says so). */
export const MAX_CORPUS_CHARS = 8_000_000;

export interface CorpusLine {
  text: string;
  file: string;
  /** 1-based line number in the file. */
  line: number;
}

export interface Corpus {
  files: string[];
  lines: CorpusLine[];
  skipped: { file: string; reason: string }[];
  truncated: boolean;
}

function looksBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 8000);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

/** Keeps the lines that are prose: at least two words with letters; Markdown fenced code blocks, HTML comments
 *  and table rules are left out. */
export function proseLines(text: string, file: string, markdown: boolean): CorpusLine[] {
  const out: CorpusLine[] = [];
  let fence: string | undefined;
  let comment = false;
  const raw = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i].trim();
    if (markdown) {
      const f = /^(```+|~~~+)/.exec(t);
      if (f) {
        if (!fence) fence = f[1][0];
        else if (f[1][0] === fence) fence = undefined;
        continue;
      }
      if (fence) continue;
      if (comment || t.startsWith('<!--')) {
        comment = !t.includes('-->');
        continue;
      }
      if (/^\|?\s*:?-{3,}/.test(t)) continue;
    }
    const words = t.split(/\s+/).filter((w) => /\p{L}/u.test(w));
    if (words.length < 2) continue;
    out.push({ text: t, file, line: i + 1 });
  }
  return out;
}

/** Reads the text of `paths` (files and folders). One clear error when there is no text at all. */
export function readCorpus(paths: string[]): Corpus {
  if (!paths.length)
    throw new EngineError(
      'no-data',
      'No data given.',
      'Pass --data with a text file or a folder of .md/.txt/.rst files.',
    );
  const files: string[] = [];
  const skipped: Corpus['skipped'] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > MAX_DEPTH || files.length >= MAX_FILES) return;
    let entries: fs.Dirent[];
    try {
      entries = fs
        .readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p, depth + 1);
      } else if (e.isFile() && TEXT_EXTENSIONS.includes(path.extname(e.name).toLowerCase()) && files.length < MAX_FILES)
        files.push(p);
    }
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw new EngineError(
        'data-not-found',
        `${p} does not exist.`,
        'Pass --data with a text file or a folder of .md/.txt/.rst files.',
      );
    }
    if (st.isDirectory()) walk(p, 0);
    else files.push(p);
  }
  const lines: CorpusLine[] = [];
  const read: string[] = [];
  let chars = 0;
  let truncated = false;
  for (const f of files) {
    if (chars >= MAX_CORPUS_CHARS) {
      truncated = true;
      break;
    }
    let size = 0;
    try {
      size = fs.statSync(f).size;
    } catch {
      skipped.push({ file: f, reason: 'unreadable' });
      continue;
    }
    if (size > MAX_FILE_BYTES) {
      skipped.push({ file: f, reason: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MB` });
      continue;
    }
    const buf = fs.readFileSync(f);
    if (looksBinary(buf)) {
      skipped.push({ file: f, reason: 'binary' });
      continue;
    }
    const ext = path.extname(f).toLowerCase();
    const got = proseLines(buf.toString('utf8'), f, ext === '.md' || ext === '.markdown' || ext === '.mdx');
    if (!got.length) continue;
    read.push(f);
    for (const l of got) {
      lines.push(l);
      chars += l.text.length;
    }
  }
  if (!lines.length) {
    const where = paths.length === 1 ? paths[0] : `${paths.length} paths`;
    const why = files.length
      ? `${files.length} file(s) found but none holds prose (lines of two words or more)${skipped.length ? `; ${skipped.length} skipped as binary or too large` : ''}`
      : `no text files (${TEXT_EXTENSIONS.slice(0, 6).join(' ')} …)`;
    throw new EngineError(
      'no-text',
      `No text to adapt on in ${where}: ${why}.`,
      'Pass --data with a text file, or a folder holding .md, .txt or .rst files.',
    );
  }
  return { files: read, lines, skipped, truncated };
}

/** Seeded split of line indexes: 10 % held out (at least one line), the rest for training, each in file order. */
export function splitLines(n: number, seed: number, heldOutFraction = 0.1): { train: number[]; heldOut: number[] } {
  if (n < 2)
    throw new EngineError(
      'data-too-small',
      `The text has ${n} line of prose; adaptation needs at least 2 (one to train on, one to hold out).`,
      'Add more text, or point --data at a larger folder.',
    );
  const order = shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    createRng(seed),
  );
  const k = Math.min(n - 1, Math.max(1, Math.round(n * heldOutFraction)));
  return { train: order.slice(k).sort((a, b) => a - b), heldOut: order.slice(0, k).sort((a, b) => a - b) };
}

/** One model input: special tokens around packed line pieces. */
export interface Block {
  ids: number[];
  /** 1 for the special tokens (never chosen). */
  special: number[];
  /** Word index per token (-1 for special tokens): pieces of one word share it (whole-word masking). */
  words: number[];
  /** Where its first line comes from. */
  source: { file: string; line: number };
}

/** Packs lines into blocks of at most `maxLength` tokens: each line is tokenized alone (no special tokens), lines
 *  are concatenated while they fit, and a line longer than a block is cut into block-sized pieces. */
export async function packLines(
  tokenizer: TextTokenizer,
  lines: CorpusLine[],
  maxLength: number,
  signal?: AbortSignal,
): Promise<Block[]> {
  const empty = await tokenizer.encode('');
  if (!empty.ids.length)
    throw new EngineError(
      'tokenizer',
      'The tokenizer adds no special tokens, so inputs cannot be framed as the model was trained.',
      'Use a BERT-family masked-LM model.',
    );
  const prefix = empty.ids.slice(0, 1);
  const suffix = empty.ids.slice(1);
  const room = maxLength - prefix.length - suffix.length;
  if (room < 4)
    throw new EngineError(
      'bad-max-length',
      `A maximum length of ${maxLength} tokens leaves no room for text.`,
      'Use --max-length 32 or more.',
    );
  const blocks: Block[] = [];
  let ids: number[] = [];
  let words: number[] = [];
  let source: Block['source'] | undefined;
  let word = 0;
  const flush = () => {
    if (!ids.length) return;
    blocks.push({
      ids: [...prefix, ...ids, ...suffix],
      special: [...prefix.map(() => 1), ...ids.map(() => 0), ...suffix.map(() => 1)],
      words: [...prefix.map(() => -1), ...words, ...suffix.map(() => -1)],
      source: source!,
    });
    ids = [];
    words = [];
    source = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    if (i % 256 === 255) {
      await yieldToEventLoop();
      throwIfAborted(signal);
    }
    const l = lines[i];
    const enc = await tokenizer.encode(l.text, undefined, false);
    if (!enc.ids.length) continue;
    const base = word;
    let maxWord = -1;
    const w = enc.wordIds.map((x, k) => {
      const v = x ?? k;
      maxWord = Math.max(maxWord, v);
      return base + v;
    });
    word = base + maxWord + 1;
    if (ids.length + enc.ids.length > room) flush();
    for (let s = 0; s < enc.ids.length; s += room) {
      if (s > 0) flush();
      source ??= { file: l.file, line: l.line };
      ids.push(...enc.ids.slice(s, s + room));
      words.push(...w.slice(s, s + room));
    }
  }
  flush();
  return blocks;
}
