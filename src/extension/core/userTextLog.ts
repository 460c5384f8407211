// Privacy of the output channel: the user's text is logged at trace level only.
export interface TextLogger {
  info(message: string): void;
  trace(message: string): void;
}

/** A log line that holds the user's text (words, questions, entities) goes to trace only; `summary`, which must
 *  hold no user text (counts, labels, offsets, timings), goes to info so that the default log still shows what
 *  happened. */
export function logUserText(log: TextLogger, line: string, summary: string): void {
  log.trace(line);
  log.info(summary);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Text-free info summaries of the lines that hold user text. */
export const summaries = {
  entities: (entities: { label: string }[]) => {
    const counts = new Map<string, number>();
    for (const e of entities) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
    const byLabel = [...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([l, n]) => `${l} ${n}`)
      .join(', ');
    return `entities: ${plural(entities.length, 'entity').replace('entitys', 'entities')} found${byLabel ? ` (${byLabel})` : ''}`;
  },
  qa: (answers: { start: number; end: number; score: number }[]) =>
    `qa: ${plural(answers.length, 'answer')}${answers[0] ? `, best at [${answers[0].start}, ${answers[0].end}) score ${answers[0].score.toFixed(3)}` : ''}`, // l10n: log line
  hover: (m: { pieces: unknown[]; alternatives?: unknown[]; occurrences: number; ms: number }) =>
    `hover: ${plural(m.pieces.length, 'piece')}, ${plural(m.alternatives?.length ?? 0, 'alternative')}, ${plural(m.occurrences, 'occurrence')}, ${m.ms} ms`,
  fillMask: (r: { masks: unknown[]; spans?: unknown[] }) =>
    `fill-mask: ${plural(r.masks.length, 'mask')}, ${plural(r.spans?.length ?? 0, 'span')} predicted`,
  codeAction: (span: readonly [number, number], n: number) =>
    `code-action: ${plural(n, 'suggestion')} for [${span[0]}, ${span[1]})`,
  attentionOverlay: (ranges: number, source: string) =>
    `attention-overlay: ${plural(ranges, 'token')} painted (${source})`,
};
