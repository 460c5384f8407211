// The HTML shell of every webview app, as a pure function (src/extension/panels/webviewHtml.ts fills it in from
// VS Code): strict CSP with a nonce, the app's ES module bundle, the nonce for the app's stylesheet, and the
// localisation bundle (`vscode.l10n.bundle`) in #app's data-l10n attribute, which src/webviews/shared/l10n.ts reads.
import type { L10nBundle } from '../../shared/l10n';

export interface WebviewShell {
  nonce: string;
  /** The webview's `cspSource`. */
  cspSource: string;
  /** The app bundle's webview URI. */
  script: string;
  title: string;
  /** The display language (`vscode.env.language`), for `<html lang>`. */
  language?: string;
  /** `vscode.l10n.bundle`: undefined in English. */
  bundle?: L10nBundle;
}

const attr = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function webviewShell(s: WebviewShell): string {
  const csp = [
    "default-src 'none'",
    `img-src ${s.cspSource} data: blob:`,
    `style-src ${s.cspSource} 'nonce-${s.nonce}'`,
    `font-src ${s.cspSource}`,
    `script-src 'nonce-${s.nonce}'`,
  ].join('; ');
  const l10n = s.bundle && Object.keys(s.bundle).length ? ` data-l10n="${attr(JSON.stringify(s.bundle))}"` : '';
  // l10n: markup; the page's text comes from the app
  return `<!DOCTYPE html>
<html lang="${attr(s.language || 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${attr(s.title)}</title>
</head>
<body>
<main id="app" data-nonce="${s.nonce}"${l10n} aria-live="polite"></main>
<script type="module" nonce="${s.nonce}" src="${s.script}"></script>
</body>
</html>`;
}
