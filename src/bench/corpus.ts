// The benchmark's inputs: deterministic sentences of a given length, with or without a mask.
import { rng } from './stats';
export const TECH_SENTENCES = [
  'A python list is an ordered and mutable sequence of references to objects.',
  'You can append an item to the end of a list in amortized constant time.',
  'Slicing a list returns a new list that holds a shallow copy of the selected items.',
  'The sort method orders the items in place, while the sorted function returns a new list.',
  'A list comprehension builds a list from an iterable with an optional filter condition.',
  'Inserting at the front of a list is slow because every other element has to move.',
  'When you need fast appends at both ends, a deque from the collections module is better.',
  'Indexing a list with a negative number counts positions from the end of the list.',
  'The len function returns the number of items in a list without walking through it.',
  'Removing an item by value scans the list until the first matching element is found.',
];

/** Technical English of `words` words ending in a masked word (the tokenizer decides the token count). */
export function maskedText(words: number, mask: string): string {
  const all = TECH_SENTENCES.join(' ').split(/\s+/);
  const out: string[] = [];
  for (let i = 0; out.length < words; i++) out.push(all[i % all.length]);
  let text = out.join(' ');
  if (!/[.!?]$/.test(text)) text += '.';
  return `${text} In short, a python list is a very flexible ${mask}.`;
}

/** Sentences of varied length for the embedding throughput run. */
export function embeddingSentences(n: number): string[] {
  const rand = rng(12345);
  const words = TECH_SENTENCES.join(' ').replace(/[.,]/g, '').toLowerCase().split(/\s+/);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 5 + Math.floor(rand() * 30); // words; tokens checked below
    const start = Math.floor(rand() * words.length);
    const ws: string[] = [];
    for (let k = 0; k < len; k++) ws.push(words[(start + k) % words.length]);
    out.push(`${ws.join(' ')}.`);
  }
  return out;
}
