// Markdown from strings the user does not control (tokens and labels from a model's files, document text):
// escaped so that they render as the characters they are — no link, image, autolink, HTML or emphasis can come
// out of them, and a piece with backticks cannot break out of its code span.

/** Plain text: every ASCII punctuation character backslash-escaped (CommonMark allows it for all of them), so
 *  `[x](url)`, `![](url)`, `<img>`, `&amp;`, `https://…` autolinks and `**…**` stay text. */
export function mdText(s: string): string {
  return s.replace(/[!-/:-@[-`{-~]/g, '\\$&').replace(/\r?\n|\r/g, ' ');
}

/** An inline code span that holds `s` exactly: the fence is longer than any run of backticks inside, padded with
 *  a space when `s` starts or ends with a backtick or a space (CommonMark strips one such space each side). */
export function mdCode(s: string): string {
  const flat = s.replace(/\r?\n|\r/g, ' ');
  let longest = 0;
  for (const run of flat.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(flat) && flat.trim() !== '' ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}
