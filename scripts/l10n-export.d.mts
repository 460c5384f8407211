// Types for l10n-export.mjs, which stays JavaScript so that it runs with plain Node.
export const BUNDLE: string;
export function collectMessages(root: string): { messages: Map<string, string>; problems: string[] };
export function bundleText(messages: Map<string, string>): string;
