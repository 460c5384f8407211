import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { webviewShell } from '../core/webviewShell';

/** The one HTML shell for every webview app (see core/webviewShell.ts): strict CSP with a nonce, the app's ES
 *  module bundle, the nonce for its stylesheet, and VS Code's localisation bundle for the app's l10n.t.
 *  Resources only from dist/webviews. */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, app: string, title: string): string {
  return webviewShell({
    nonce: randomBytes(16).toString('base64'),
    cspSource: webview.cspSource,
    script: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webviews', `${app}.js`)).toString(),
    title,
    language: vscode.env.language,
    bundle: vscode.l10n.bundle,
  });
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews')] };
}
