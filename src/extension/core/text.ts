// Pure text helpers for editor features: word at an offset, paragraph windows, comment detection.
// No 'vscode' import, so they run (and are tested) in plain Node.
import type { Offset } from '../../engine/api';

const WORD_CHAR = /[\p{L}\p{N}_'\u2019-]/u;

/** The word around `offset` (letters, digits, apostrophes, inner hyphens), or undefined on whitespace/punctuation. */
export function wordAt(text: string, offset: number): Offset | undefined {
  const isWord = (i: number) => i >= 0 && i < text.length && WORD_CHAR.test(text[i]);
  let start = offset;
  if (!isWord(start) && isWord(start - 1)) start -= 1;
  if (!isWord(start)) return undefined;
  let end = start;
  while (isWord(start - 1)) start--;
  while (isWord(end)) end++;
  // Trim leading/trailing hyphens and apostrophes: "'bank'" → "bank".
  while (start < end && /['\u2019-]/.test(text[start])) start++;
  while (end > start && /['\u2019-]/.test(text[end - 1])) end--;
  return start < end ? [start, end] : undefined;
}

/** All whole-word, case-insensitive occurrences of `word` in `text`. */
export function findOccurrences(text: string, word: string): Offset[] {
  if (!word) return [];
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'giu');
  const out: Offset[] = [];
  for (const m of text.matchAll(re)) out.push([m.index!, m.index! + m[0].length]);
  return out;
}

/** The paragraph (text between blank lines) around `offset`, cut to at most `maxChars` around it at whitespace. */
export function paragraphAt(text: string, offset: number, maxChars = 2000): Offset {
  const blank = /\n(?:[ \t]*\r?\n)+/g;
  let start = 0;
  let end = text.length;
  for (const m of text.matchAll(blank)) {
    const s = m.index!;
    const e = s + m[0].length;
    if (e <= offset) start = e;
    else if (s >= offset) {
      end = s;
      break;
    }
  }
  return clampWindow(text, [start, end], offset, maxChars);
}

/** Shrinks [start, end) to at most maxChars centred on `offset`, cutting at whitespace. */
export function clampWindow(text: string, [start, end]: Offset, offset: number, maxChars: number): Offset {
  if (end - start <= maxChars) return [start, end];
  let s = Math.max(start, offset - Math.floor(maxChars / 2));
  let e = Math.min(end, s + maxChars);
  s = Math.max(start, e - maxChars);
  if (s > start) {
    const ws = text.indexOf(' ', s);
    if (ws >= 0 && ws < offset) s = ws + 1;
  }
  if (e < end) {
    const ws = text.lastIndexOf(' ', e);
    if (ws > offset) e = ws;
  }
  return [s, e];
}

/** The paragraphs of a text as [start, end) ranges (non-empty ones only). */
export function paragraphs(text: string): Offset[] {
  const out: Offset[] = [];
  let start = 0;
  for (const m of text.matchAll(/\n(?:[ \t]*\r?\n)+/g)) {
    if (text.slice(start, m.index!).trim()) out.push([start, m.index!]);
    start = m.index! + m[0].length;
  }
  if (text.slice(start).trim()) out.push([start, text.length]);
  return out;
}

/** Heuristic: is `offset` inside a comment? Line comments (//, #, --, %, ;) and block comments (/* *\/, <!-- -->,
 *  triple quotes are not handled). Good enough to decide whether a hover is wanted in code. */
export function isInComment(text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  if (/(^|\s)(\/\/|#|--|%|;)/.test(before) || /^\s*(\/\/|#|\*)/.test(before)) return true;
  const open = Math.max(text.lastIndexOf('/*', offset), text.lastIndexOf('<!--', offset));
  if (open < 0) return false;
  const close = Math.max(text.lastIndexOf('*/', offset - 1), text.lastIndexOf('-->', offset - 1));
  return close < open;
}

/** Keeps the case pattern of the original word on a candidate from an uncased model: "Bank" → "River". */
export function matchCase(original: string, candidate: string): string {
  if (!original || !candidate) return candidate;
  if (original.length > 1 && original === original.toUpperCase() && /\p{L}/u.test(original))
    return candidate.toUpperCase();
  if (original[0] === original[0].toUpperCase() && original[0] !== original[0].toLowerCase()) {
    return candidate[0].toUpperCase() + candidate.slice(1);
  }
  return candidate;
}
