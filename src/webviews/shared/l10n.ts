// Localisation in the webviews: the host serialises `vscode.l10n.bundle` into the page (the `data-l10n`
// attribute of #app, see src/extension/core/webviewShell.ts) and the apps call `l10n.t('English {0}', arg)`,
// the same API as `vscode.l10n.t` and @vscode/l10n. With no bundle (English) every string reads as written.
import { translate, type L10nArg, type L10nBundle } from '../../shared/l10n';

let contents: L10nBundle | undefined;

/** The bundle the host put into the page, read once; `{}` when there is none (or outside a page, in tests). */
function bundle(): L10nBundle {
  if (contents === undefined) {
    contents = {};
    const raw = typeof document === 'undefined' ? undefined : document.getElementById('app')?.dataset.l10n;
    if (raw) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed && typeof parsed === 'object') contents = parsed as L10nBundle;
      } catch {
        // A malformed bundle leaves the English strings.
      }
    }
  }
  return contents;
}

export const l10n = {
  /** The translation of an English message, with `{0}`, `{1}` … replaced by `args`. */
  t(message: string, ...args: L10nArg[] | [Record<string, L10nArg>]): string {
    return translate(bundle(), message, args);
  },
  /** Sets the bundle explicitly (tests; the page's own bundle is read on first use otherwise). */
  config(c: { contents: L10nBundle | undefined }): void {
    contents = c.contents ?? {};
  },
};
