// The sidebar's preview of any fine-tuning shape: CSV/TSV/JSONL classification data as before (discover.ts), and
// token-classification (CoNLL, token JSONL) and SQuAD QA files with their task, first rows and counts (entity
// types, questions), so that the sidebar offers only the tasks the data fits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { previewDataset } from './data/discover';
import { loadSquadFile } from './qaData';
import { detectTask, findSplitFiles } from './taskData';
import { loadTokenFile } from './tokenData';
import type { DatasetPreview, LoadOptions } from './types';

const cut = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** The tasks a preview's data fits: sequence (and pair with a pair column) for labelled texts, token for CoNLL
 *  and token JSONL, qa for SQuAD. */
export function fittingTasks(p: Pick<DatasetPreview, 'task' | 'pairColumn'>): ('sequence' | 'pair' | 'token' | 'qa')[] {
  if (p.task === 'token' || p.task === 'qa') return [p.task];
  return p.pairColumn ? ['pair', 'sequence'] : ['sequence'];
}

export function previewTaskData(p: string, opts: LoadOptions = {}, rows = 8): DatasetPreview {
  const abs = path.resolve(p);
  let probe = abs;
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
    const files = findSplitFiles(abs);
    if (!files) return { ...previewDataset(p, opts, rows), task: 'sequence' };
    probe = files.train;
  }
  const task = fs.existsSync(probe) && fs.statSync(probe).isFile() ? detectTask(probe, opts) : 'sequence';
  if (task === 'token') {
    const d = loadTokenFile(probe, opts.maxBytes);
    const counts = new Map<string, number>();
    for (const e of d.examples)
      for (const t of e.tags) if (t.startsWith('B-')) counts.set(t.slice(2), (counts.get(t.slice(2)) ?? 0) + 1);
    return {
      path: abs,
      format: d.format,
      columns: [],
      textColumn: 'tokens',
      labelColumn: 'tags',
      rows: d.examples
        .slice(0, rows)
        .map((e) => ({ text: cut(e.text), label: cut(e.tags.join(' '), 120), line: String(e.source.line) })),
      labelCounts: [...counts.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([label, count]) => ({ label, count })),
      size: d.examples.length,
      warnings: d.warnings,
      task,
    };
  }
  if (task === 'qa') {
    const d = loadSquadFile(probe, 0, opts.maxBytes);
    const answered = d.examples.filter((e) => e.answers.length).length;
    return {
      path: abs,
      format: 'squad',
      columns: [],
      textColumn: 'question',
      labelColumn: 'answer',
      rows: d.examples.slice(0, rows).map((e) => ({
        text: cut(e.question),
        label: cut(e.answers[0]?.text ?? '(no answer)', 120),
        line: String(e.source.line),
      })),
      labelCounts: [
        { label: 'answered', count: answered },
        ...(answered < d.examples.length ? [{ label: 'no answer', count: d.examples.length - answered }] : []),
      ],
      size: d.examples.length,
      warnings: d.warnings,
      task,
    };
  }
  return { ...previewDataset(p, opts, rows), task: opts.pairColumn ? 'pair' : 'sequence' };
}
