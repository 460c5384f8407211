import * as vscode from 'vscode';
import type { LabelledRange } from '../core/decorationPlan';

export type AnnotationKind = 'entities' | 'replaced' | 'answer' | 'attention' | 'saliency';

interface Layer {
  uri: string;
  /** decoration style key → ranges in document offsets */
  groups: Map<string, LabelledRange[]>;
}

/** Editor decorations for results (entities, replaced tokens, QA answers): one decoration type per style,
 *  kept per document, re-applied when the editor is shown again, cleared when the text changes. */
export class Annotations implements vscode.Disposable {
  private readonly types = new Map<string, vscode.TextEditorDecorationType>();
  private readonly layers = new Map<AnnotationKind, Layer>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<AnnotationKind>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly styleFor: (kind: AnnotationKind, key: string) => vscode.DecorationRenderOptions) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!e.contentChanges.length) return;
        for (const [kind, layer] of this.layers) if (layer.uri === e.document.uri.toString()) this.clear(kind);
      }),
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((ed) => this.apply(ed))),
      this.changed,
    );
  }

  set(kind: AnnotationKind, doc: vscode.TextDocument, groups: Map<string, LabelledRange[]>): void {
    this.clear(kind);
    this.layers.set(kind, { uri: doc.uri.toString(), groups });
    for (const ed of vscode.window.visibleTextEditors) this.apply(ed);
    this.changed.fire(kind);
  }

  get(kind: AnnotationKind): Layer | undefined {
    return this.layers.get(kind);
  }

  clear(kind?: AnnotationKind): void {
    for (const k of kind ? [kind] : [...this.layers.keys()]) {
      const layer = this.layers.get(k);
      if (!layer) continue;
      this.layers.delete(k);
      for (const key of layer.groups.keys()) {
        const type = this.types.get(`${k}:${key}`);
        if (type) for (const ed of vscode.window.visibleTextEditors) ed.setDecorations(type, []);
      }
      this.changed.fire(k);
    }
  }

  private apply(editor: vscode.TextEditor): void {
    for (const [kind, layer] of this.layers) {
      if (editor.document.uri.toString() !== layer.uri) continue;
      for (const [key, ranges] of layer.groups) {
        editor.setDecorations(
          this.type(kind, key),
          ranges.map((r) => ({
            range: new vscode.Range(editor.document.positionAt(r.start), editor.document.positionAt(r.end)),
            hoverMessage: new vscode.MarkdownString(r.hover),
          })),
        );
      }
    }
  }

  private type(kind: AnnotationKind, key: string): vscode.TextEditorDecorationType {
    const id = `${kind}:${key}`;
    let t = this.types.get(id);
    if (!t) {
      t = vscode.window.createTextEditorDecorationType(this.styleFor(kind, key));
      this.types.set(id, t);
    }
    return t;
  }

  dispose(): void {
    this.types.forEach((t) => t.dispose());
    this.disposables.forEach((d) => d.dispose());
  }
}
