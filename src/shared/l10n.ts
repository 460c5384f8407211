// The one message format of BERT Lens's localised strings, shared by the extension's pure modules
// (src/extension/core) and the webviews: the semantics of `vscode.l10n.t` / `@vscode/l10n`'s `l10n.t`. The English
// message is the key; a bundle (`l10n/bundle.l10n.<locale>.json`, as VS Code loads it) maps it to a translation,
// and `{0}`, `{1}` … (or `{name}` with one record argument) are replaced by the arguments.

export type L10nArg = string | number | boolean;
export type L10nArgs = L10nArg[] | [Record<string, L10nArg>];
/** A bundle's contents: message → translation (or `{ message }`, the form @vscode/l10n-dev writes for comments). */
export type L10nBundle = Record<string, string | { message: string }>;

/** Replaces `{0}` / `{name}` in `template` by the arguments; a placeholder with no argument stays as written. */
export function formatMessage(template: string, args: L10nArgs): string {
  if (!args.length) return template;
  const named = args.length === 1 && typeof args[0] === 'object' ? (args[0] as Record<string, L10nArg>) : undefined;
  return template.replace(/\{([^{}]+)\}/g, (whole, key: string) => {
    const v = named ? named[key] : /^\d+$/.test(key) ? (args as L10nArg[])[Number(key)] : undefined;
    return v === undefined ? whole : String(v);
  });
}

/** The translation of `message` in `bundle`, formatted; the English message when the bundle lacks it. */
export function translate(bundle: L10nBundle | undefined, message: string, args: L10nArgs): string {
  const entry = bundle?.[message];
  const template = typeof entry === 'string' ? entry : (entry?.message ?? message);
  return formatMessage(template, args);
}
