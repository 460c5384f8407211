// A ceiling on how much of one text the trainer embeds: a long text is embedded as the mean of its windows, so a
// single 10 MB cell once meant minutes of windows and gigabytes of memory. Texts beyond the budget are cut, with
// a warning that names their lines.
import type { Dataset, DataWarning } from './types';

/** Windows of `maxLength` tokens that one text may fill; characters are counted generously per token. */
export const MAX_WINDOWS_PER_TEXT = 16;
const CHARS_PER_TOKEN = 8;

export function textBudget(maxLength: number): number {
  return MAX_WINDOWS_PER_TEXT * maxLength * CHARS_PER_TOKEN;
}

function cut(s: string, n: number): string {
  if (s.length <= n) return s;
  const c = s.charCodeAt(n - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n); // never split a surrogate pair
}

/** Cuts every text (and pair) longer than the budget, in place; returns the warning, if any text was cut. */
export function capLongTexts(dataset: Dataset, maxLength: number): DataWarning | undefined {
  const budget = textBudget(maxLength);
  const lines: number[] = [];
  let count = 0;
  for (const e of dataset.examples) {
    if (e.text.length <= budget && (e.pair === undefined || e.pair.length <= budget)) continue;
    count++;
    if (lines.length < 10) lines.push(e.source.line);
    e.text = cut(e.text, budget);
    if (e.pair !== undefined) e.pair = cut(e.pair, budget);
  }
  if (!count) return undefined;
  const where = `line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}${count > lines.length ? ', …' : ''}`;
  return {
    kind: 'capped',
    message: `Cut ${count} text(s) to their first ${budget} characters (${where}): the trainer embeds at most ${MAX_WINDOWS_PER_TEXT} windows of ${maxLength} tokens per text.`,
    lines,
  };
}
