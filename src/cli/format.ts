// Readable tables for the terminal.

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  // A loop, not Math.max(...rows): a spread of a million rows overflows the call stack.
  const widths = headers.map(() => 0);
  for (const r of cells)
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i], String(r[i] ?? '').length);
  const line = (r: (string | number)[]) =>
    r
      .map((c, i) => String(c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function fmt(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(4) : x.toExponential(2);
}

export function bar(p: number, width = 20): string {
  const n = Math.round(Math.max(0, Math.min(1, p)) * width);
  return '█'.repeat(n) + '·'.repeat(width - n);
}

export function heat(p: number): string {
  const shades = ' ░▒▓█';
  return shades[Math.min(shades.length - 1, Math.floor(p * shades.length))];
}
