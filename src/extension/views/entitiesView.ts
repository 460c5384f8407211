import * as vscode from 'vscode';
import type { EntityRow } from '../core/exportData';
import type { Annotations } from '../decorations/annotations';

/** An entity as the view lists it (the same row that Export Entities writes). */
type EntityItem = EntityRow;

/** The "Entities" view: one row per entity of the last run, grouped by label; clicking reveals it. */
export class EntitiesView implements vscode.TreeDataProvider<EntityItem | string> {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private entities: EntityItem[] = [];
  private uri: vscode.Uri | undefined;
  private tree: vscode.TreeView<EntityItem | string> | undefined;

  constructor(annotations: Annotations) {
    annotations.onDidChange((kind) => {
      if (kind === 'entities' && !annotations.get('entities')) this.set(undefined, []);
    });
  }

  set(uri: vscode.Uri | undefined, entities: EntityItem[]): void {
    this.uri = uri;
    this.entities = entities;
    void vscode.commands.executeCommand('setContext', 'bertLens.hasEntities', entities.length > 0);
    this.emitter.fire();
  }

  /** The tree view that shows this provider (created by the extension). */
  attach(tree: vscode.TreeView<EntityItem | string>): void {
    this.tree = tree;
  }

  /** Brings the view into sight without taking the focus from the editor (nor closing a quick input). */
  async reveal(): Promise<void> {
    const first = this.getChildren()[0];
    if (!this.tree || this.tree.visible || first === undefined) return;
    await this.tree.reveal(first, { select: false, focus: false, expand: true });
  }

  getParent(element: EntityItem | string): string | undefined {
    return typeof element === 'string' ? undefined : element.label;
  }

  /** The entities of the last run (document offsets) and their document, for the export. */
  current(): { uri: vscode.Uri | undefined; entities: EntityItem[] } {
    return { uri: this.uri, entities: [...this.entities] };
  }

  getChildren(element?: EntityItem | string): (EntityItem | string)[] {
    if (element === undefined) return [...new Set(this.entities.map((e) => e.label))].sort();
    if (typeof element === 'string') return this.entities.filter((e) => e.label === element);
    return [];
  }

  getTreeItem(element: EntityItem | string): vscode.TreeItem {
    if (typeof element === 'string') {
      const n = this.entities.filter((e) => e.label === element).length;
      const item = new vscode.TreeItem(element, vscode.TreeItemCollapsibleState.Expanded);
      item.description = `${n}`;
      item.iconPath = new vscode.ThemeIcon('symbol-class');
      return item;
    }
    const item = new vscode.TreeItem(element.text, vscode.TreeItemCollapsibleState.None);
    item.description = `${element.score.toFixed(3)}`;
    item.tooltip = vscode.l10n.t(
      '{0} · {1} · line {2}, characters {3}–{4}',
      element.label,
      element.score.toFixed(3),
      element.line,
      element.start,
      element.end,
    );
    if (this.uri) {
      item.command = {
        command: 'bertLens.entities.reveal',
        title: vscode.l10n.t('Reveal'),
        arguments: [this.uri, element.start, element.end],
      };
    }
    return item;
  }
}
