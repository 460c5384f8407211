// Which files of a folder domain adaptation reads, as plain data and pure functions (no I/O), so that the engine's
// folder walk (adaptData.ts) and an editor listing a workspace through its own excludes read the same files in
// the same order.

/** Extensions read when walking a folder (a file named explicitly is read whatever its extension). */
export const TEXT_EXTENSIONS = [
  '.md',
  '.markdown',
  '.mdx',
  '.txt',
  '.text',
  '.rst',
  '.adoc',
  '.asciidoc',
  '.org',
  '.tex',
  '.textile',
  '.wiki',
];
export const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  'dist',
  'out',
  'build',
  '.vscode-test',
  '.e2e',
  '__pycache__',
  '.venv',
  'venv',
  'target',
  'test-results',
]);
export const MAX_FILES = 5000;
export const MAX_DEPTH = 10;

/** The glob of the files a folder walk reads (for an editor that lists a workspace's files itself, through its
 *  own excludes). */
export const TEXT_GLOB = `**/*.{${TEXT_EXTENSIONS.map((e) => e.slice(1)).join(',')}}`;

/** Whether the walk would leave out a file at this path relative to its root: a hidden file or folder, or a
 *  folder of builds, dependencies or tests' output. */
export function skippedByWalk(relative: string): boolean {
  const parts = relative.split(/[\\/]/);
  const dirs = parts.slice(0, -1);
  return parts.some((p) => p.startsWith('.')) || dirs.some((d) => SKIP_DIRS.has(d)) || dirs.length > MAX_DEPTH;
}

/** The order in which the walk reads files under one root (each folder's entries by name, a folder's files where
 *  its name sorts), for paths relative to that root: the corpus, and so the seeded split, is the same whether
 *  the folder is walked here or its files are listed by an editor. */
export function walkOrder(a: string, b: string): number {
  const pa = a.split(/[\\/]/);
  const pb = b.split(/[\\/]/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  return pa.length - pb.length;
}
