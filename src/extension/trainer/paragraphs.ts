// Splits a document into the units the trainer labels: paragraphs (blocks separated by blank lines), or lines
// when the file has no blank lines (e.g. one example per line). Pure, so it is unit-testable.
export interface Unit {
  start: number; // character offsets into the text
  end: number;
  text: string;
  /** 0-based line of the unit's last line (where its label is shown). */
  lastLine: number;
}

export function splitUnits(text: string, maxUnits = 500): Unit[] {
  const lines = text.split('\n');
  const hasBlank = lines.some((l, i) => l.trim() === '' && i > 0 && i < lines.length - 1);
  const units: Unit[] = [];
  let offset = 0;
  let cur: { start: number; end: number; first: number; last: number } | undefined;
  const flush = () => {
    if (cur) units.push({ start: cur.start, end: cur.end, text: text.slice(cur.start, cur.end), lastLine: cur.last });
    cur = undefined;
  };
  lines.forEach((line, i) => {
    const start = offset;
    const end = offset + line.replace(/\r$/, '').length;
    offset += line.length + 1;
    if (line.trim() === '') return flush();
    if (!hasBlank) {
      units.push({ start, end, text: text.slice(start, end), lastLine: i });
      return;
    }
    if (cur) {
      cur.end = end;
      cur.last = i;
    } else cur = { start, end, first: i, last: i };
  });
  flush();
  return units.slice(0, maxUnits);
}
