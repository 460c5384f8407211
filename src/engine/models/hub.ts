// The Hugging Face hub cache (the layout Python's huggingface_hub uses, so models fetched there are reused)
// and downloads into it: {cache}/models--{org}--{name}/{blobs/<etag>, snapshots/<commit>/<path>, refs/<rev>}.
// The endpoint is untrusted (docs/security.md): every header that becomes a path is validated, every path is
// checked to stay inside the cache, a blob is written by one process at a time (a lock file) and verified
// (size, and sha256 when the ETag is one) before it is renamed into place.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type * as Undici from 'undici';
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

/** The hub's own name rules for `name` or `org/name`: each part starts with a letter or digit, then letters,
 *  digits, `.`, `_`, `-`; no `--` and no `..` anywhere (`--` separates the parts in the cache folder's name, so
 *  `a--b/c` and `a/b--c` would share one); at most 96 characters per part. */
export const HUB_ID = /^(?!.*(?:--|\.\.))[A-Za-z0-9][A-Za-z0-9._-]{0,95}(?:\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$/;

export function isHubId(s: string): boolean {
  return HUB_ID.test(s);
}

const HEX40 = /^[0-9a-f]{40}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** A branch, tag or `refs/pr/N`: no `..`, no absolute path, no backslash, no empty or `.` segment. */
export function isValidRevision(rev: string): boolean {
  if (!rev || rev.length > 256 || rev.includes('..') || rev.includes('\\') || rev.startsWith('/') || rev.endsWith('/')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f:*?"<>|~^]/.test(rev)) return false;
  return rev.split('/').every((seg) => seg !== '' && seg !== '.');
}

export function checkRevision(rev: string): void {
  if (!isValidRevision(rev)) {
    throw new EngineError('bad-revision', `"${rev}" is not a valid revision (a branch, a tag, refs/pr/N or a commit hash; no "..", no absolute path, no backslash).`, 'Pass --revision main, a tag, refs/pr/1 or a 40-character commit.');
  }
}

/** `p` resolved stays inside `root` (both lexically resolved); throws otherwise. */
export function insideCache(root: string, p: string, what: string): string {
  const r = path.resolve(root);
  const q = path.resolve(p);
  const rel = path.relative(r, q);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new EngineError('hub-bad-path', `Refusing to write outside the hub cache: ${what} resolves to ${q}.`, 'The hub endpoint or the revision is not trustworthy; check HF_ENDPOINT / --endpoint and --revision.');
  }
  return q;
}

export function repoFolder(cacheDir: string, repo: string): string {
  if (!isHubId(repo)) throw new EngineError('model-not-found', `"${repo}" is not a valid hub id.`, 'A hub id is org/name: letters, digits, ".", "_", "-", no "--" or "..", at most 96 characters per part.');
  return insideCache(cacheDir, path.join(cacheDir, `models--${repo.replace(/\//g, '--')}`), `the folder for ${repo}`);
}

/** The snapshot folder for `revision` if the cache has one that holds config.json. */
export function cachedSnapshot(cacheDir: string, repo: string, revision = 'main'): string | undefined {
  if (!isHubId(repo) || !isValidRevision(revision)) return undefined;
  const root = repoFolder(cacheDir, repo);
  let commit = revision;
  const ref = path.join(root, 'refs', revision);
  try {
    if (fs.statSync(ref).isFile()) commit = fs.readFileSync(ref, 'utf8').trim();
  } catch {
    /* no ref: the revision may be a commit */
  }
  if (!HEX40.test(commit) && commit !== revision) return undefined; // a planted ref
  if (commit.includes('/')) return undefined;
  const snap = path.join(root, 'snapshots', commit);
  if (path.relative(root, path.resolve(snap)).startsWith('..')) return undefined;
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
    if (!isHubId(id)) continue;
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
  /** Bearer token, sent to the endpoint's origin only (never after a redirect to another origin). */
  token?: string;
  /** Proxy URL; when absent, HTTPS_PROXY / HTTP_PROXY / NO_PROXY (any case) apply. */
  proxy?: string;
  /** Verify the TLS certificates of the proxy and, through it, the hub (default true). */
  proxyStrictSSL?: boolean;
}

/** The HF token: the one given, else $HF_TOKEN, else the file huggingface-cli writes ($HF_HOME/token, default
 *  ~/.cache/huggingface/token). */
export function resolveToken(given?: string): string | undefined {
  if (given?.trim()) return given.trim();
  if (process.env.HF_TOKEN?.trim()) return process.env.HF_TOKEN.trim();
  const home = process.env.HF_HOME || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface');
  try {
    const file = path.join(home, 'token');
    if (!fs.statSync(file).isFile()) return undefined;
    const t = fs.readFileSync(file, 'utf8').trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}

function envAny(name: string): string | undefined {
  return process.env[name.toLowerCase()] || process.env[name.toUpperCase()] || undefined;
}

/** Whether NO_PROXY (any case) exempts `url`: `*`, host names (a leading `.` or not matches subdomains too),
 *  optionally with a port. */
export function noProxyFor(url: URL): boolean {
  const list = envAny('no_proxy');
  if (!list) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of list.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry)!;
    const h = m[1].replace(/^\*?\./, '').replace(/^\[|\]$/g, '');
    if (m[2] && m[2] !== port) continue;
    if (host === h || host.endsWith(`.${h}`)) return true;
  }
  return false;
}

/** The proxy for `url`: the explicit one, else the environment's; none when NO_PROXY exempts the host. */
export function proxyFor(url: string, explicit?: string): string | undefined {
  const u = new URL(url);
  if (noProxyFor(u)) return undefined;
  if (explicit?.trim()) return explicit.trim();
  return u.protocol === 'https:' ? envAny('https_proxy') ?? envAny('http_proxy') : envAny('http_proxy');
}

/** undici (bundled) is loaded only when a proxy is in use, so that the worker starts as fast as before. */
let undici: typeof Undici | undefined;
function loadUndici(): typeof Undici {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  undici ??= require('undici') as typeof Undici;
  return undici;
}

const proxyAgents = new Map<string, Undici.Dispatcher>();
function dispatcherFor(url: string, o: DownloadOptions): Undici.Dispatcher | undefined {
  const proxy = proxyFor(url, o.proxy);
  if (!proxy) return undefined;
  const strict = o.proxyStrictSSL !== false;
  const key = `${proxy}|${strict}`;
  let d = proxyAgents.get(key);
  if (!d) {
    try {
      d = new (loadUndici().ProxyAgent)({ uri: proxy, requestTls: { rejectUnauthorized: strict }, proxyTls: { rejectUnauthorized: strict } });
    } catch (err) {
      throw new EngineError('bad-proxy', `The proxy "${proxy}" is not usable: ${(err as Error).message}`, 'Set http.proxy (VS Code) or HTTPS_PROXY to a URL like http://proxy.example:3128, or unset it.');
    }
    proxyAgents.set(key, d);
  }
  return d;
}

interface FileHead {
  file: string;
  url: string;
  blob: string;
  /** The ETag is the content's sha256 (LFS files): the download is hashed and compared. */
  sha256?: string;
  size?: number;
  commit?: string;
}

/** HEAD for every file downloadModel fetches (config, tokenizer, the first ONNX file the variant allows):
 *  their names, sizes, ETags and commit. Throws when a required file or every ONNX candidate is missing. */
async function headModelFiles(repo: string, variant: Variant | undefined, o: DownloadOptions): Promise<FileHead[]> {
  const files = [...REQUIRED_FILES, ...OPTIONAL_FILES];
  const onnxCandidates: string[] = variant ? [VARIANT_FILES[variant], DECODER_FILES[variant]] : [VARIANT_FILES.quantized, VARIANT_FILES.fp32, DECODER_FILES.quantized, DECODER_FILES.fp32];
  const heads: FileHead[] = [];
  const urlOf = (file: string) => `${o.endpoint}/${repo}/resolve/${encodeURIComponent(o.revision)}/${file}`;

  const headOne = async (file: string, required: boolean): Promise<boolean> => {
    const h = await headFile(urlOf(file), file, o);
    if (h === 'missing') {
      if (required) {
        throw new EngineError('hub-file-missing', `${repo} has no ${file} at revision ${o.revision}.`, file.endsWith('.onnx') ? 'Pick a repository with an ONNX export (for example one under Xenova/ or onnx-community/), or another --variant.' : 'Is this a hub ONNX repository?');
      }
      return false;
    }
    heads.push(h);
    return true;
  };
  for (const f of files) await headOne(f, REQUIRED_FILES.includes(f));
  let gotOnnx = false;
  for (const f of onnxCandidates) {
    if (await headOne(f, false)) {
      gotOnnx = true;
      break;
    }
  }
  if (!gotOnnx) throw new EngineError('hub-file-missing', `${repo} has no ONNX model (looked for ${onnxCandidates.join(', ')}).`, `Pick a repository with an ONNX export, for example one under Xenova/ or onnx-community/${variant ? ', or another --variant' : ''}.`);
  return heads;
}

/** What downloadModel would fetch for `repo`, asked with HEAD only (nothing is written): each file with its
 *  size as the hub announces it, and their sum when every size is known. */
export async function downloadSize(repo: string, variant: Variant | undefined, o: DownloadOptions): Promise<{ files: { file: string; size?: number }[]; total?: number }> {
  checkRevision(o.revision);
  repoFolder(o.cacheDir, repo); // validates the id
  const heads = await headModelFiles(repo, variant, o);
  const files = heads.map((h) => ({ file: h.file, ...(h.size !== undefined ? { size: h.size } : {}) }));
  const total = heads.every((h) => h.size !== undefined) ? heads.reduce((sum, h) => sum + h.size!, 0) : undefined;
  return { files, ...(total !== undefined ? { total } : {}) };
}

/** Downloads what a model needs (config, tokenizer, the variant's ONNX file) into the cache, resuming partial
 *  blobs with HTTP Range, and returns the snapshot folder. Sizes are asked first (HEAD) so that progress is
 *  reported against the whole download (`overallLoaded` / `overallTotal`). */
export async function downloadModel(repo: string, variant: Variant | undefined, o: DownloadOptions): Promise<string> {
  checkRevision(o.revision);
  const root = repoFolder(o.cacheDir, repo);
  const blobs = path.join(root, 'blobs');
  const heads = await headModelFiles(repo, variant, o);

  const commit = heads.find((h) => h.commit)?.commit ?? (HEX40.test(o.revision) ? o.revision : undefined);
  if (!commit) {
    throw new EngineError('hub-bad-header', `The hub sent no x-repo-commit header for ${repo} at ${o.revision}.`, 'Is HF_ENDPOINT / --endpoint a Hugging Face hub (or a mirror of one)?');
  }
  fs.mkdirSync(blobs, { recursive: true });
  const overallTotal = heads.every((h) => h.size !== undefined) ? heads.reduce((s, h) => s + h.size!, 0) : undefined;
  let done = 0;
  for (const h of heads) {
    await fetchBlob(h, blobs, o, (p) => o.onProgress?.({ ...p, overallLoaded: done + p.loaded, ...(overallTotal !== undefined ? { overallTotal } : {}) }));
    done += h.size ?? fs.statSync(path.join(blobs, h.blob)).size;
  }

  const snap = insideCache(root, path.join(root, 'snapshots', commit), 'the x-repo-commit header');
  for (const { file, blob } of heads) {
    const dest = insideCache(snap, path.join(snap, file), file);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.rmSync(dest, { force: true });
    try {
      fs.symlinkSync(path.relative(path.dirname(dest), path.join(blobs, blob)), dest);
    } catch {
      fs.copyFileSync(path.join(blobs, blob), dest); // no symlinks (Windows without developer mode)
    }
  }
  if (commit !== o.revision) {
    const ref = insideCache(path.join(root, 'refs'), path.join(root, 'refs', o.revision), 'the revision');
    fs.mkdirSync(path.dirname(ref), { recursive: true }); // refs/pr/1 needs refs/pr
    fs.writeFileSync(ref, commit);
  }
  return snap;
}

/** HEAD for one file: ETag (the blob name), x-repo-commit and size, each validated. Relative redirects (a
 *  renamed repository) are followed; an absolute one (the CDN for LFS files) is not: its own headers
 *  (x-linked-etag, x-linked-size) describe the file, as in huggingface_hub. */
async function headFile(url: string, file: string, o: DownloadOptions): Promise<FileHead | 'missing'> {
  let current = url;
  let res: Response | undefined;
  for (let hop = 0; hop < 10; hop++) {
    res = await request(current, { method: 'HEAD', headers: authFor(current, o), signal: o.signal }, o);
    const loc = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && loc && !/^[a-z][a-z0-9+.-]*:/i.test(loc) && !loc.startsWith('//')) {
      current = new URL(loc, current).toString();
      continue;
    }
    break;
  }
  if (res!.status === 404) return 'missing';
  if (!res!.ok && !(res!.status >= 300 && res!.status < 400)) throw httpError(url, res!.status);
  const rawEtag = res!.headers.get('x-linked-etag') ?? res!.headers.get('etag');
  const etagName = res!.headers.get('x-linked-etag') !== null ? 'x-linked-etag' : 'ETag';
  let blob: string;
  let sha256: string | undefined;
  if (rawEtag === null || rawEtag === '') {
    blob = createHash('sha256').update(url).digest('hex'); // no ETag at all: a name of our own, nothing to verify against
  } else {
    const etag = rawEtag.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
    if (!HEX40.test(etag) && !HEX64.test(etag)) {
      throw new EngineError('hub-bad-header', `The hub sent an invalid ${etagName} header for ${file} (${JSON.stringify(rawEtag.slice(0, 80))}; expected 40 or 64 hex characters).`, 'Is HF_ENDPOINT / --endpoint a Hugging Face hub (or a mirror of one)?');
    }
    blob = etag;
    if (HEX64.test(etag)) sha256 = etag;
  }
  const rawCommit = res!.headers.get('x-repo-commit');
  let commit: string | undefined;
  if (rawCommit !== null) {
    commit = rawCommit.trim().toLowerCase();
    if (!HEX40.test(commit)) {
      throw new EngineError('hub-bad-header', `The hub sent an invalid x-repo-commit header for ${file} (${JSON.stringify(rawCommit.slice(0, 80))}; expected 40 hex characters).`, 'Is HF_ENDPOINT / --endpoint a Hugging Face hub (or a mirror of one)?');
    }
  }
  const sizeHeader = res!.headers.get('x-linked-size') ?? res!.headers.get('content-length');
  const size = sizeHeader !== null && /^\d+$/.test(sizeHeader.trim()) ? Number(sizeHeader) : undefined;
  return { file, url, blob, sha256, size, commit };
}

function authFor(url: string, o: DownloadOptions): Record<string, string> {
  if (!o.token) return {};
  return new URL(url).origin === new URL(o.endpoint).origin ? { authorization: `Bearer ${o.token}` } : {};
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Whether the lock file's owner (`pid@host`) is gone: its process no longer runs on this host. A lock from
 *  another host is trusted for a day. */
function lockIsStale(lock: string): boolean {
  let text: string;
  let mtime: number;
  try {
    text = fs.readFileSync(lock, 'utf8');
    mtime = fs.statSync(lock).mtimeMs;
  } catch {
    return false; // gone meanwhile: the next attempt takes it
  }
  const m = /^(\d+)@(.*)$/.exec(text.trim());
  if (!m) return Date.now() - mtime > 10_000; // half-written by its owner, or garbage
  if (m[2] !== os.hostname()) return Date.now() - mtime > 24 * 3600_000;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Takes `<blob>.lock` (O_EXCL, holding `pid@host`), waiting while another live process holds it. */
async function takeLock(lock: string, file: string, o: DownloadOptions, report: (p: DownloadProgress) => void, isDone: () => boolean): Promise<boolean> {
  let told = false;
  for (;;) {
    if (o.signal?.aborted) throw new CancelledError();
    try {
      const fd = fs.openSync(lock, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
      fs.writeSync(fd, `${process.pid}@${os.hostname()}`);
      fs.closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (lockIsStale(lock)) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (!told) {
      told = true;
      report({ file, loaded: 0, waiting: true, message: `waiting for another download of ${file}` });
    }
    await sleep(200, o.signal);
    if (isDone()) return false;
  }
}

/** Downloads one blob under its lock, verifies it, and renames it into place (or reuses a finished one whose
 *  size matches). */
async function fetchBlob(h: FileHead, blobs: string, o: DownloadOptions, report: (p: DownloadProgress) => void): Promise<void> {
  const final = insideCache(blobs, path.join(blobs, h.blob), `the ETag of ${h.file}`);
  const finished = () => {
    try {
      const st = fs.statSync(final);
      return st.isFile() && (h.size === undefined || st.size === h.size);
    } catch {
      return false;
    }
  };
  const reuse = () => report({ file: h.file, loaded: fs.statSync(final).size, total: h.size });
  if (finished()) return reuse();
  const lock = `${final}.lock`;
  if (!(await takeLock(lock, h.file, o, report, finished))) return reuse();
  try {
    if (finished()) return reuse(); // the other process finished just before we took the lock
    fs.rmSync(final, { force: true }); // a blob of the wrong size: fetch it again
    await download(h, final, o, report);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function download(h: FileHead, final: string, o: DownloadOptions, report: (p: DownloadProgress) => void): Promise<void> {
  const { file } = h;
  const partial = `${final}.incomplete`;
  let have = 0;
  try {
    const st = fs.lstatSync(partial);
    if (!st.isFile()) fs.rmSync(partial, { recursive: true, force: true });
    else have = st.size;
  } catch {
    /* none */
  }
  if (h.size !== undefined && have > h.size) {
    fs.rmSync(partial, { force: true });
    have = 0;
  }
  const res = await getFollowing(h.url, have, o);
  if (res.status === 404) throw new EngineError('hub-file-missing', `${file} disappeared from the hub during the download.`, 'Try again.');
  if (!res.ok) throw httpError(h.url, res.status);
  if (have && res.status !== 206) have = 0; // server ignored the range: start over
  const bodyLength = Number(res.headers.get('content-length') ?? NaN);
  // HEAD's size is the contract; the GET's length only stands in when HEAD had none.
  const size = h.size ?? (Number.isFinite(bodyLength) ? have + bodyLength : undefined);
  const hash = h.sha256 ? createHash('sha256') : undefined;
  if (hash && have) await hashFile(partial, hash);
  const out = fs.createWriteStream(partial, { flags: have ? 'a' : 'w', mode: 0o644 });
  let loaded = have;
  const fail = (message: string): EngineError => {
    fs.rmSync(partial, { force: true });
    return new EngineError('download-corrupt', message, 'The partial file was deleted; run the same command again (if it keeps failing, the hub or a proxy is altering the file).');
  };
  try {
    const reader = res.body!.getReader();
    for (;;) {
      if (o.signal?.aborted) throw new CancelledError();
      const { done, value } = await reader.read();
      if (done) break;
      loaded += value.length;
      if (size !== undefined && loaded > size) {
        await reader.cancel().catch(() => undefined);
        throw new TooLong();
      }
      hash?.update(value);
      if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
      report({ file, loaded, total: size });
    }
  } catch (err) {
    await new Promise<void>((r) => out.end(() => r()));
    if (err instanceof TooLong) throw fail(`Download of ${file} is longer than the ${size} bytes the hub announced.`);
    if (err instanceof CancelledError || o.signal?.aborted) throw new CancelledError();
    throw new EngineError('download-failed', `Download of ${file} broke off after ${loaded} bytes: ${(err as Error).message}`, 'Run the same command again: it resumes where it stopped.');
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  if (size !== undefined && loaded !== size) throw fail(`Download of ${file} is incomplete: ${loaded} of ${size} bytes.`);
  if (hash && h.sha256) {
    const got = hash.digest('hex');
    if (got !== h.sha256) throw fail(`Download of ${file} is corrupt: its sha256 is ${got.slice(0, 12)}…, the hub's ETag says ${h.sha256.slice(0, 12)}….`);
  }
  fs.renameSync(partial, final); // atomic: readers see no blob or the whole verified blob
}

class TooLong extends Error {}

async function hashFile(file: string, hash: ReturnType<typeof createHash>): Promise<void> {
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
}

/** GET with redirects followed by hand, so that the token goes to the endpoint's origin only. */
async function getFollowing(url: string, have: number, o: DownloadOptions): Promise<Response> {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const headers = { ...authFor(current, o), ...(have ? { range: `bytes=${have}-` } : {}) };
    const res = await request(current, { headers, signal: o.signal }, o);
    const loc = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && loc) {
      await res.body?.cancel().catch(() => undefined);
      current = new URL(loc, current).toString();
      continue;
    }
    return res;
  }
  throw new EngineError('download-failed', `Too many redirects for ${url}.`, 'Try again later, or check HF_ENDPOINT.');
}

async function request(url: string, init: { method?: string; headers?: Record<string, string>; signal?: AbortSignal }, o: DownloadOptions): Promise<Response> {
  const dispatcher = dispatcherFor(url, o);
  try {
    if (dispatcher) return (await loadUndici().fetch(url, { ...init, redirect: 'manual', dispatcher })) as unknown as Response;
    return await fetch(url, { ...init, redirect: 'manual' });
  } catch (err) {
    if (init.signal?.aborted) throw new CancelledError();
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    const via = dispatcher ? ` through the proxy ${proxyFor(url, o.proxy)}` : '';
    throw new EngineError('network', `Cannot reach ${new URL(url).origin}${via} (${why}).`, dispatcher ? 'Check the proxy setting (http.proxy, HTTPS_PROXY, NO_PROXY) and the connection.' : 'Check the connection, set HF_ENDPOINT to a mirror, or work offline with a cached model or a local folder.');
  }
}

function httpError(url: string, status: number): EngineError {
  if (status === 401 || status === 403) return new EngineError('hub-auth', `The hub refused access to ${url} (HTTP ${status}).`, 'For a gated or private repository set HF_TOKEN (or log in with huggingface-cli).');
  if (status === 407) return new EngineError('network', `The proxy asked for credentials (HTTP 407) for ${url}.`, 'Put the credentials in the proxy URL (http://user:pass@host:port).');
  return new EngineError('download-failed', `The hub answered HTTP ${status} for ${url}.`, 'Try again later, or check the repository id.');
}
