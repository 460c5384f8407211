// Localisation for the pure modules of src/extension/core (hover Markdown, progress messages, walkthrough
// sentences): they call `l10n.t('English {0}', arg)` like the rest of the extension, but without importing vscode.
// activate() installs `vscode.l10n.t` as the translator; unit tests get the English messages, formatted.
import { translate, type L10nArg } from '../../shared/l10n';

type Translator = (message: string, ...args: L10nArg[]) => string;

const english: Translator = (message, ...args) => translate(undefined, message, args);
let current: Translator = english;

export const l10n = {
  t(message: string, ...args: L10nArg[]): string {
    return current(message, ...args);
  },
};

/** Installs the translator (vscode.l10n.t in the extension host); `undefined` restores plain English. */
export function setTranslator(t: Translator | undefined): void {
  current = t ?? english;
}
