import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EmbedOptions, FeatureExtractor } from './extractor';

/** The user's own cache folder for BERT Lens (never the shared temp folder, where another local user could plant
 *  entries): $XDG_CACHE_HOME/bert-lens (~/.cache/bert-lens), ~/Library/Caches/bert-lens on macOS,
 *  %LOCALAPPDATA%\bert-lens\Cache on Windows. */
export function userCacheDir(): string {
  if (process.platform === 'win32')
    return path.join(process.env.LOCALAPPDATA || path.join(os.homedir(), 'AppData', 'Local'), 'bert-lens', 'Cache');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'bert-lens');
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'bert-lens');
}

export function defaultFeatureCacheDir(): string {
  return path.join(userCacheDir(), 'features');
}

/** Creates `dir` (and missing parents) private to the user: mode 0700. */
function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') fs.chmodSync(dir, 0o700);
}

// File format: a 48-byte header — magic "BLFC", version, count, dim (uint32 LE), sha256 of the payload — then
// count × dim float32 LE. Anything else (old format, other shape, bad checksum, non-finite values, not a
// regular file) is ignored and recomputed.
const MAGIC = 0x4346_4c42; // "BLFC" read as uint32 LE
const VERSION = 1;
const HEADER = 48;

export function encodeFeatureFile(features: Float32Array[], dim: number): Uint8Array {
  const out = new Uint8Array(HEADER + features.length * dim * 4);
  const payload = new Float32Array(out.buffer, HEADER, features.length * dim);
  features.forEach((f, i) => payload.set(f, i * dim));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, features.length, true);
  view.setUint32(12, dim, true);
  out.set(createHash('sha256').update(out.subarray(HEADER)).digest(), 16);
  return out;
}

/** The features in `buf`, or undefined when it is not a valid file for `count` × `dim` finite values. */
export function decodeFeatureFile(buf: Uint8Array, count: number, dim: number): Float32Array[] | undefined {
  if (buf.byteLength !== HEADER + count * dim * 4) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (
    view.getUint32(0, true) !== MAGIC ||
    view.getUint32(4, true) !== VERSION ||
    view.getUint32(8, true) !== count ||
    view.getUint32(12, true) !== dim
  )
    return undefined;
  const sum = createHash('sha256').update(buf.subarray(HEADER)).digest();
  if (!sum.equals(Buffer.from(buf.buffer, buf.byteOffset + 16, 32))) return undefined;
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset + HEADER, buf.byteOffset + buf.byteLength));
  for (let i = 0; i < all.length; i++) if (!Number.isFinite(all[i])) return undefined;
  return Array.from({ length: count }, (_, i) => all.subarray(i * dim, (i + 1) * dim));
}

/** Reads a regular file only: opened without following a symlink and without blocking (a FIFO planted at the
 *  path would otherwise hang the read), then checked with fstat. */
function readRegularFile(file: string): Uint8Array | undefined {
  const c = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(file, c.O_RDONLY | (c.O_NOFOLLOW ?? 0) | (c.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = fs.readSync(fd, buf, off, st.size - off, off);
      if (n <= 0) break;
      off += n;
    }
    return off === st.size ? buf : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Cache key: the extractor's key (model, variant, layers, pooling, truncation) and the sha256 of the texts
 *  themselves, so any change to the data file's content or to the chosen columns gives a new entry. */
export function featureCacheKey(extractorKey: string, texts: string[], pairs?: string[]): string {
  const h = createHash('sha256');
  h.update(extractorKey);
  for (let i = 0; i < texts.length; i++) {
    h.update('\u0000');
    h.update(texts[i]);
    if (pairs) h.update(`\u0001${pairs[i]}`);
  }
  return h.digest('hex');
}

/** Embeds with the extractor, or reads the same features from disk when they were computed before. */
export async function cachedFeatures(
  extractor: FeatureExtractor,
  texts: string[],
  pairs: string[] | undefined,
  cacheDir: string | undefined,
  opts: EmbedOptions = {},
): Promise<{ features: Float32Array[]; cached: boolean }> {
  const dir = cacheDir ?? defaultFeatureCacheDir();
  const key = featureCacheKey(extractor.key, texts, pairs);
  const file = path.join(dir, `${key}.f32`);
  const d = extractor.dim;
  const buf = readRegularFile(file);
  const hit = buf && decodeFeatureFile(buf, texts.length, d);
  if (hit) {
    opts.onBatch?.(texts.length, texts.length);
    return { features: hit, cached: true };
  }
  const features = await extractor.embedBatch(texts, pairs, opts);
  if (features.every((f) => f.every(Number.isFinite))) {
    try {
      if (!cacheDir) makePrivateDir(userCacheDir());
      makePrivateDir(dir);
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      fs.writeFileSync(tmp, encodeFeatureFile(features, d), { mode: 0o600, flag: 'wx' });
      fs.renameSync(tmp, file); // atomic: a concurrent reader never sees half a file
    } catch {
      // a read-only cache only costs time
    }
  }
  return { features, cached: false };
}
