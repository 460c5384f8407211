// The Hugging Face hub cache (the layout Python's huggingface_hub uses, so models fetched there are reused)
// and downloads into it: {cache}/models--{org}--{name}/{blobs/<etag>, snapshots/<commit>/<path>, refs/<rev>}.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { DownloadProgress, Variant } from '../api';
import { CancelledError, EngineError } from '../errors';
import { DECODER_FILES, OPTIONAL_FILES, REQUIRED_FILES, VARIANT_FILES } from './modelFolder';

export function defaultCacheDir(): string {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  if (process.env.HF_HOME) return path.join(process.env.HF_HOME, 'hub');
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'huggingface', 'hub');
}

export function defaultEndpoint(): string {
  return (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

export function isOfflineByEnv(): boolean {
  return ['1', 'true', 'yes', 'on'].includes((process.env.HF_HUB_OFFLINE ?? '').toLowerCase());
}

export const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

export function repoFolder(cacheDir: string, repo: string): string {
  return path.join(cacheDir, `models--${repo.replace(/\//g, '--')}`);
}

/** The snapshot folder for `revision` if the cache has one that holds config.json. */
export function cachedSnapshot(cacheDir: string, repo: string, revision = 'main'): string | undefined {
  const root = repoFolder(cacheDir, repo);
  let commit = revision;
  const ref = path.join(root, 'refs', revision);
  if (fs.existsSync(ref)) commit = fs.readFileSync(ref, 'utf8').trim();
  const snap = path.join(root, 'snapshots', commit);
  if (fs.existsSync(path.join(snap, 'config.json'))) return snap;
  return undefined;
}

/** Every cached model repository with its snapshot for `main` (or the newest snapshot). */
export function listCached(cacheDir: string): { id: string; path: string }[] {
  if (!fs.existsSync(cacheDir)) return [];
  const out: { id: string; path: string }[] = [];
  for (const entry of fs.readdirSync(cacheDir)) {
    if (!entry.startsWith('models--')) continue;
    const id = entry.slice('models--'.length).replace(/--/g, '/');
    let snap = cachedSnapshot(cacheDir, id);
    if (!snap) {
      const snaps = path.join(cacheDir, entry, 'snapshots');
      if (!fs.existsSync(snaps)) continue;
      const names = fs.readdirSync(snaps).map((n) => path.join(snaps, n)).filter((p) => fs.existsSync(path.join(p, 'config.json')));
      names.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
      snap = names[0];
    }
    if (snap) out.push({ id, path: snap });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

export interface DownloadOptions {
  cacheDir: string;
  endpoint: string;
  revision: string;
  variant?: Variant;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  token?: string;
}

/** Downloads what a model needs (config, tokenizer, the variant's ONNX file) into the cache, resuming partial
 *  blobs with HTTP Range, and returns the snapshot folder. */
export async function downloadModel(repo: string, variant: Variant | undefined, o: DownloadOptions): Promise<string> {
  const root = repoFolder(o.cacheDir, repo);
  const blobs = path.join(root, 'blobs');
  fs.mkdirSync(blobs, { recursive: true });
  let commit: string | undefined;
  const files = [...REQUIRED_FILES, ...OPTIONAL_FILES];
  const onnxCandidates: string[] = variant ? [VARIANT_FILES[variant], DECODER_FILES[variant]] : [VARIANT_FILES.quantized, VARIANT_FILES.fp32, DECODER_FILES.quantized, DECODER_FILES.fp32];
  const fetched: { file: string; blob: string }[] = [];

  const fetchOne = async (file: string, required: boolean): Promise<boolean> => {
    const url = `${o.endpoint}/${repo}/resolve/${encodeURIComponent(o.revision)}/${file}`;
    const result = await downloadBlob(url, blobs, file, o);
    if (result === 'missing') {
      if (required) {
        throw new EngineError('hub-file-missing', `${repo} has no ${file} at revision ${o.revision}.`, file.endsWith('.onnx') ? 'Pick a repository with an ONNX export (for example one under Xenova/ or onnx-community/), or another --variant.' : 'Is this a hub ONNX repository?');
      }
      return false;
    }
    commit ??= result.commit;
    fetched.push({ file, blob: result.blob });
    return true;
  };

  for (const f of files) await fetchOne(f, REQUIRED_FILES.includes(f));
  let gotOnnx = false;
  for (const f of onnxCandidates) {
    if (await fetchOne(f, false)) {
      gotOnnx = true;
      break;
    }
  }
  if (!gotOnnx) throw new EngineError('hub-file-missing', `${repo} has no ONNX model (looked for ${onnxCandidates.join(', ')}).`, `Pick a repository with an ONNX export, for example one under Xenova/ or onnx-community/${variant ? ', or another --variant' : ''}.`);

  const snapshotId = commit ?? o.revision;
  const snap = path.join(root, 'snapshots', snapshotId);
  for (const { file, blob } of fetched) {
    const dest = path.join(snap, file);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.rmSync(dest, { force: true });
    try {
      fs.symlinkSync(path.relative(path.dirname(dest), path.join(blobs, blob)), dest);
    } catch {
      fs.copyFileSync(path.join(blobs, blob), dest); // no symlinks (Windows without developer mode)
    }
  }
  fs.mkdirSync(path.join(root, 'refs'), { recursive: true });
  if (commit && commit !== o.revision) fs.writeFileSync(path.join(root, 'refs', o.revision), commit);
  return snap;
}

type BlobResult = 'missing' | { blob: string; commit?: string };

async function downloadBlob(url: string, blobs: string, file: string, o: DownloadOptions): Promise<BlobResult> {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  // The blob name is the ETag (the file's sha256 for LFS files); ask first so a finished blob is reused.
  const head = await request(url, { method: 'HEAD', headers, signal: o.signal });
  if (head.status === 404) return 'missing';
  if (!head.ok) throw httpError(url, head.status);
  const etag = (head.headers.get('x-linked-etag') ?? head.headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, '');
  const commit = head.headers.get('x-repo-commit') ?? undefined;
  const blob = etag || createHash('sha256').update(url).digest('hex');
  const final = path.join(blobs, blob);
  const total = Number(head.headers.get('x-linked-size') ?? head.headers.get('content-length') ?? NaN);
  if (fs.existsSync(final)) {
    o.onProgress?.({ file, loaded: fs.statSync(final).size, total: Number.isFinite(total) ? total : undefined });
    return { blob, commit };
  }
  const partial = `${final}.incomplete`;
  let have = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
  const res = await request(url, { headers: have ? { ...headers, range: `bytes=${have}-` } : headers, signal: o.signal });
  if (res.status === 404) return 'missing';
  if (!res.ok) throw httpError(url, res.status);
  if (have && res.status !== 206) have = 0; // server ignored the range: start over
  const out = fs.createWriteStream(partial, { flags: have ? 'a' : 'w' });
  let loaded = have;
  const size = res.status === 206 ? have + Number(res.headers.get('content-length') ?? NaN) : Number(res.headers.get('content-length') ?? total);
  try {
    const reader = res.body!.getReader();
    for (;;) {
      if (o.signal?.aborted) throw new CancelledError();
      const { done, value } = await reader.read();
      if (done) break;
      loaded += value.length;
      if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
      o.onProgress?.({ file, loaded, total: Number.isFinite(size) ? size : undefined });
    }
  } catch (err) {
    await new Promise<void>((r) => out.end(() => r()));
    if (err instanceof CancelledError || o.signal?.aborted) throw new CancelledError();
    throw new EngineError('download-failed', `Download of ${file} broke off after ${loaded} bytes: ${(err as Error).message}`, 'Run the same command again: it resumes where it stopped.');
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  if (Number.isFinite(size) && loaded !== size) {
    throw new EngineError('download-failed', `Download of ${file} is incomplete (${loaded} of ${size} bytes).`, 'Run the same command again: it resumes where it stopped.');
  }
  fs.renameSync(partial, final);
  return { blob, commit };
}

async function request(url: string, init: RequestInit & { signal?: AbortSignal }): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'follow' });
  } catch (err) {
    if (init.signal?.aborted) throw new CancelledError();
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new EngineError('network', `Cannot reach ${new URL(url).origin} (${cause}).`, 'Check the connection, set HF_ENDPOINT to a mirror, or work offline with a cached model or a local folder.');
  }
}

function httpError(url: string, status: number): EngineError {
  if (status === 401 || status === 403) return new EngineError('hub-auth', `The hub refused access to ${url} (HTTP ${status}).`, 'For a gated or private repository set HF_TOKEN.');
  return new EngineError('download-failed', `The hub answered HTTP ${status} for ${url}.`, 'Try again later, or check the repository id.');
}
