import * as fs from 'node:fs';
import * as path from 'node:path';
import { labelCounts } from './dataChecks';
import { loadDataset } from './data';
import type { DataFormat, DatasetCandidate, DatasetPreview, LoadOptions } from '../types';

const SKIP = new Set(['node_modules', '.git', 'dist', 'out', '.vscode-test', '.e2e', '__pycache__', '.venv', 'venv']);
const EXT: Record<string, DataFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

export type { DatasetCandidate } from '../types';

/** Labelled-data candidates under the roots: CSV/TSV/JSONL files, and folders whose sub-folders (2+) each hold
 *  only files (folder-per-label), or hold train/test folders of that shape. */
export function findDatasets(roots: string[], maxDepth = 4, limit = 200): DatasetCandidate[] {
  const out: DatasetCandidate[] = [];
  const walk = (dir: string, depth: number) => {
    if (out.length >= limit || depth > maxDepth) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name));
    const labels = folderPerLabel(dir, subdirs);
    if (labels) out.push({ path: dir, format: 'folder', labels });
    for (const e of entries) {
      if (e.isFile() && EXT[path.extname(e.name).toLowerCase()] && out.length < limit)
        out.push({ path: path.join(dir, e.name), format: EXT[path.extname(e.name).toLowerCase()] });
    }
    if (!labels) for (const s of subdirs) walk(path.join(dir, s.name), depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

function onlyFiles(dir: string): boolean {
  try {
    const e = fs.readdirSync(dir, { withFileTypes: true }).filter((x) => !x.name.startsWith('.'));
    return e.length > 0 && e.every((x) => x.isFile() && !EXT[path.extname(x.name).toLowerCase()]);
  } catch {
    return false;
  }
}

function folderPerLabel(dir: string, subdirs: fs.Dirent[]): string[] | undefined {
  if (subdirs.length < 2) {
    return undefined;
  }
  const names = subdirs.map((s) => s.name);
  const splitNames = ['train', 'test', 'val', 'validation', 'dev', 'valid'];
  if (names.every((n) => splitNames.includes(n.toLowerCase())) && names.some((n) => n.toLowerCase() === 'train')) {
    const inner = path.join(
      dir,
      names.find((n) => n.toLowerCase() === 'train')!,
    );
    const labelDirs = fs.readdirSync(inner, { withFileTypes: true }).filter((e) => e.isDirectory());
    return labelDirs.length >= 2 && labelDirs.every((l) => onlyFiles(path.join(inner, l.name)))
      ? labelDirs.map((l) => l.name).sort()
      : undefined;
  }
  return subdirs.every((s) => onlyFiles(path.join(dir, s.name))) ? names.sort() : undefined;
}

/** Columns, the first rows, label counts and warnings, for the sidebar before training. */
export function previewDataset(p: string, opts: LoadOptions = {}, rows = 8): DatasetPreview {
  const d = loadDataset(p, opts);
  const counts = labelCounts(d.examples, d.labels);
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s);
  return {
    path: d.path,
    format: d.format,
    columns: d.columns,
    textColumn: d.textColumn,
    labelColumn: d.labelColumn,
    pairColumn: d.pairColumn,
    rows: d.examples.slice(0, rows).map((e) => ({
      text: cut(e.text),
      ...(e.pair !== undefined ? { pair: cut(e.pair) } : {}),
      label: e.label,
      line: String(e.source.line),
    })),
    labelCounts: d.labels.map((label, i) => ({ label, count: counts[i] })),
    size: d.examples.length,
    warnings: d.warnings,
  };
}
