// Extractive-QA data in SQuAD format (`data[].paragraphs[].qas[]`, v1.1 or v2.0 with `is_impossible`). Every
// answer is checked against its context: a wrong `answer_start` is an error that names the question.
import * as path from 'node:path';
import { EngineError } from '../errors';
import { readUtf8 } from './data/data';
import type { DataWarning, ExampleSource } from './types';

export interface QaAnswer {
  text: string;
  /** UTF-16 index of the answer in the context. */
  start: number;
}

export interface QaExample {
  id: string;
  question: string;
  context: string;
  /** Every reference answer (training uses the first); empty when the question has no answer in the context. */
  answers: QaAnswer[];
  /** Index of the paragraph (context) the question belongs to, so that splits never share a context. */
  paragraph: number;
  source: ExampleSource;
}

export interface QaDataset {
  path: string;
  format: 'squad';
  examples: QaExample[];
  warnings: DataWarning[];
}

function codePointIndex(text: string): number[] {
  const map: number[] = [];
  let u = 0;
  for (const ch of text) {
    map.push(u);
    u += ch.length;
  }
  map.push(u);
  return map;
}

const cut = (s: string, n = 40) => (s.length > n ? s.slice(0, n) + '…' : s);

/** Parses SQuAD JSON. `answer_start` counts code points (Python's indices) and is converted to string indices. */
export function parseSquad(json: unknown, file: string, paragraphBase = 0): QaExample[] {
  const name = path.basename(file);
  const data = (json as { data?: unknown })?.data;
  if (!Array.isArray(data))
    throw new EngineError(
      'data-squad',
      `${name} has no "data" array; it is not SQuAD-format JSON.`,
      'Use {"data": [{"paragraphs": [{"context": "...", "qas": [{"id", "question", "answers": [{"text", "answer_start"}]}]}]}]}.',
    );
  const out: QaExample[] = [];
  let paragraph = paragraphBase;
  data.forEach((article: { paragraphs?: unknown }, a: number) => {
    if (!Array.isArray(article?.paragraphs))
      throw new EngineError(
        'data-squad',
        `${name}: data[${a}] has no "paragraphs" array.`,
        'Every article needs "paragraphs": [{"context", "qas"}].',
      );
    for (const p of article.paragraphs as { context?: unknown; qas?: unknown }[]) {
      if (typeof p?.context !== 'string' || !Array.isArray(p.qas))
        throw new EngineError(
          'data-squad',
          `${name}: a paragraph of data[${a}] lacks "context" or "qas".`,
          'Every paragraph needs "context" (text) and "qas" (a list).',
        );
      const context = p.context;
      const cp = codePointIndex(context);
      for (const q of p.qas as Record<string, unknown>[]) {
        const id = String(q?.id ?? `${a}-${out.length}`);
        if (typeof q?.question !== 'string' || !q.question.trim())
          throw new EngineError(
            'data-squad',
            `${name}: question ${id} has no text.`,
            'Every entry of "qas" needs a "question".',
          );
        const impossible = q.is_impossible === true;
        const raw = Array.isArray(q.answers) ? (q.answers as { text?: unknown; answer_start?: unknown }[]) : [];
        if (!impossible && !raw.length)
          throw new EngineError(
            'data-squad',
            `${name}: question ${id} has no answers and is not marked "is_impossible".`,
            'Give at least one {"text", "answer_start"}, or set "is_impossible": true.',
          );
        const answers: QaAnswer[] = [];
        for (const ans of impossible ? [] : raw) {
          const start = ans?.answer_start;
          if (
            typeof ans?.text !== 'string' ||
            !ans.text ||
            typeof start !== 'number' ||
            !Number.isInteger(start) ||
            start < 0 ||
            start >= cp.length
          ) {
            throw new EngineError(
              'data-squad',
              `${name}: question ${id} has an answer without "text" or a valid "answer_start".`,
              'Write answers as {"text": "...", "answer_start": N}.',
            );
          }
          const s = cp[start];
          const found = context.slice(s, s + ans.text.length);
          if (found !== ans.text) {
            throw new EngineError(
              'data-answer',
              `${name}: question ${id}: the answer "${cut(ans.text)}" is not at answer_start ${start} (the context there reads "${cut(found)}").`,
              `answer_start counts characters of the context from 0${context.includes(ans.text) ? `; the text first occurs at ${cp.indexOf(context.indexOf(ans.text))}` : ''}.`,
            );
          }
          answers.push({ text: ans.text, start: s });
        }
        out.push({ id, question: q.question, context, answers, paragraph, source: { file, line: 1 } });
      }
      paragraph++;
    }
  });
  return out;
}

export function loadSquadFile(file: string, paragraphBase = 0, maxBytes?: number): QaDataset {
  const abs = path.resolve(file);
  const { text } = readUtf8(abs, maxBytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EngineError(
      'data-squad',
      `${path.basename(abs)} is not valid JSON (${(e as Error).message.split('\n')[0]}).`,
      'SQuAD data is one JSON document: {"data": [...]}.',
    );
  }
  const examples = parseSquad(json, abs, paragraphBase);
  if (!examples.length)
    throw new EngineError('data-empty', `${path.basename(abs)} has no questions.`, 'Add paragraphs with "qas".');
  return { path: abs, format: 'squad', examples, warnings: [] };
}

/** True when parsed JSON has the SQuAD shape. */
export function looksLikeSquad(text: string): boolean {
  return /^\s*\{[\s\S]*"data"\s*:/.test(text.slice(0, 4096)) && /"paragraphs"|"qas"/.test(text.slice(0, 1 << 16));
}
