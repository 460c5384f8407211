import * as vscode from 'vscode';
import type { Services } from '../services';

/**
 * The one save path for every export (Attention panel, Fill-Mask panel, Entities view): VS Code's own save
 * dialog, starting in the first workspace folder (or home), which asks before replacing an existing file.
 * `formats` lists the offered extensions (the first is the default); the chosen file's extension picks the
 * format. Returns the saved URI, or undefined when the dialog was dismissed.
 */
export async function saveExport(
  services: Services,
  what: string,
  name: string,
  formats: string[],
  data: (format: string) => string | Uint8Array,
): Promise<vscode.Uri | undefined> {
  const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.env.HOME ?? '/');
  const filters = Object.fromEntries(formats.map((f) => [f.toUpperCase(), [f]]));
  const uri = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(base, `${name}.${formats[0]}`),
    filters,
  });
  if (!uri) return undefined;
  const ext = uri.path.split('.').pop()?.toLowerCase() ?? '';
  const format = formats.includes(ext) ? ext : formats[0];
  const content = data(format);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  await vscode.workspace.fs.writeFile(uri, bytes);
  services.log.info(`${what}: exported ${format} to ${uri.fsPath} (${bytes.length} bytes)`);
  void vscode.window.showInformationMessage(vscode.l10n.t('BERT Lens: saved {0}', uri.fsPath));
  return uri;
}
