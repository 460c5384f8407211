// The one "save as a model folder" dialog of the trainer (classifier, adapted model, distilled student): asks for a
// folder, refuses a file, and asks before overwriting a folder that already holds something.
import * as vscode from 'vscode';

/** The chosen folder and whether the user agreed to overwrite what it holds; undefined when cancelled. */
export async function pickModelFolder(
  title: string,
  defaultPath: string,
): Promise<{ dir: string; overwrite: boolean } | undefined> {
  const picked = await vscode.window.showSaveDialog({
    title,
    defaultUri: vscode.Uri.file(defaultPath),
    saveLabel: vscode.l10n.t('Save Folder'),
  });
  if (!picked) return undefined;
  let stat: vscode.FileStat;
  try {
    stat = await vscode.workspace.fs.stat(picked);
  } catch {
    return { dir: picked.fsPath, overwrite: false }; // does not exist: fine
  }
  if (!(stat.type & vscode.FileType.Directory)) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('BERT Lens: {0} is a file; choose a folder name.', picked.fsPath),
    );
    return undefined;
  }
  const entries = await vscode.workspace.fs.readDirectory(picked);
  if (!entries.length) return { dir: picked.fsPath, overwrite: false };
  const overwrite = vscode.l10n.t('Overwrite');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} exists and holds {1} item(s). Overwrite the model files in it?', picked.fsPath, entries.length),
    { modal: true },
    overwrite,
  );
  return choice === overwrite ? { dir: picked.fsPath, overwrite: true } : undefined;
}
