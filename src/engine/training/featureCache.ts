import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EmbedOptions, FeatureExtractor } from './extractor';

export function defaultFeatureCacheDir(): string {
  return path.join(os.tmpdir(), 'bert-lens-features');
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
  try {
    const buf = fs.readFileSync(file);
    if (buf.byteLength === texts.length * d * 4) {
      const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      opts.onBatch?.(texts.length, texts.length);
      return { features: texts.map((_, i) => all.slice(i * d, (i + 1) * d)), cached: true };
    }
  } catch {
    // not cached yet
  }
  const features = await extractor.embedBatch(texts, pairs, opts);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const all = new Float32Array(texts.length * d);
    features.forEach((f, i) => all.set(f, i * d));
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, new Uint8Array(all.buffer));
    fs.renameSync(tmp, file); // atomic: a concurrent reader never sees half a file
  } catch {
    // a read-only cache only costs time
  }
  return { features, cached: false };
}
