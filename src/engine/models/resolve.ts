// Turns a ModelSpec into a local folder: the embedded default, a local folder, or a hub id (cache first,
// then a download unless offline).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DownloadProgress, DownloadSize, ModelListing, ModelSpec } from '../api';
import { EngineError } from '../errors';
import { checkRevision, isHubId, resolveToken, cachedSnapshot, defaultCacheDir, defaultEndpoint, downloadModel, downloadSize, isOfflineByEnv, listCached } from './hub';
import { variantsIn } from './modelFolder';

export const EMBEDDED_ID = 'embedded/mini-bert-uncased';

/** The embedded model: $BERT_LENS_EMBEDDED_MODEL, or models/mini-bert-uncased beside dist/ (the repository
 *  and the packaged extension have the same layout). */
export function embeddedModelPath(): string {
  if (process.env.BERT_LENS_EMBEDDED_MODEL) return process.env.BERT_LENS_EMBEDDED_MODEL;
  const candidates = [path.join(__dirname, '..', 'models', 'mini-bert-uncased'), path.join(__dirname, '..', '..', '..', 'models', 'mini-bert-uncased')];
  return candidates.find((c) => fs.existsSync(path.join(c, 'config.json'))) ?? candidates[0];
}

function looksLikePath(s: string): boolean {
  return s.startsWith('.') || s.startsWith('/') || s.startsWith('~') || /^[A-Za-z]:[\\/]/.test(s) || s.includes('\\') || fs.existsSync(s);
}

export interface Resolved {
  id: string;
  path: string;
}

export async function resolveModel(spec: ModelSpec, o: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void } = {}): Promise<Resolved> {
  const m = spec.model?.trim();
  if (!m || m === 'embedded' || m === EMBEDDED_ID) return { id: EMBEDDED_ID, path: embeddedModelPath() };
  if (looksLikePath(m)) {
    const p = path.resolve(m.replace(/^~(?=$|[\\/])/, process.env.HOME ?? '~'));
    return { id: p, path: p };
  }
  if (!isHubId(m)) {
    throw new EngineError('model-not-found', `"${m}" is neither a folder nor a hub id.`, 'Pass a model folder, a hub id like Xenova/bert-base-uncased (letters, digits, ".", "_", "-"; no "--" or ".."; at most 96 characters per part), or leave --model out for the embedded model.');
  }
  const cacheDir = spec.cacheDir ?? defaultCacheDir();
  const revision = spec.revision ?? 'main';
  checkRevision(revision);
  const cached = cachedSnapshot(cacheDir, m, revision);
  const hasVariant = cached && (spec.variant ? variantsIn(cached).includes(spec.variant) : variantsIn(cached).length > 0);
  if (cached && hasVariant) return { id: m, path: cached };
  if (spec.offline || isOfflineByEnv()) {
    throw new EngineError('offline-not-cached', `${m} is not in the cache (${cacheDir}) and offline mode is on.`, 'Turn offline mode off to download it once, copy the model folder here and pass its path, or use the embedded model.');
  }
  const snap = await downloadModel(m, spec.variant, { cacheDir, endpoint: spec.endpoint ?? defaultEndpoint(), revision, variant: spec.variant, signal: o.signal, onProgress: o.onProgress, token: resolveToken(spec.token), proxy: spec.proxy, proxyStrictSSL: spec.proxyStrictSSL });
  return { id: m, path: snap };
}

/** How much loading `spec` would download: nothing for the embedded model, a folder or a cached hub model;
 *  otherwise the hub's own sizes (HEAD requests, nothing written). Offline, an uncached hub id is an error. */
export async function modelDownloadSize(spec: ModelSpec, o: { signal?: AbortSignal } = {}): Promise<DownloadSize> {
  const m = spec.model?.trim();
  if (!m || m === 'embedded' || m === EMBEDDED_ID || looksLikePath(m) || !isHubId(m)) {
    const r = await resolveModel({ ...spec, offline: true });
    return { id: r.id, cached: true, files: [], total: 0 };
  }
  const cacheDir = spec.cacheDir ?? defaultCacheDir();
  const revision = spec.revision ?? 'main';
  checkRevision(revision);
  const cached = cachedSnapshot(cacheDir, m, revision);
  if (cached && (spec.variant ? variantsIn(cached).includes(spec.variant) : variantsIn(cached).length > 0)) return { id: m, cached: true, files: [], total: 0 };
  if (spec.offline || isOfflineByEnv()) {
    throw new EngineError('offline-not-cached', `${m} is not in the cache (${cacheDir}) and offline mode is on.`, 'Turn offline mode off to download it once, copy the model folder here and pass its path, or use the embedded model.');
  }
  const size = await downloadSize(m, spec.variant, { cacheDir, endpoint: spec.endpoint ?? defaultEndpoint(), revision, variant: spec.variant, signal: o.signal, token: resolveToken(spec.token), proxy: spec.proxy, proxyStrictSSL: spec.proxyStrictSSL });
  return { id: m, cached: false, ...size };
}

export function listModels(spec: ModelSpec): ModelListing {
  const embedded = embeddedModelPath();
  const models: ModelListing['models'] = [{ id: EMBEDDED_ID, path: embedded, variants: variantsIn(embedded), source: 'embedded' }];
  for (const c of listCached(spec.cacheDir ?? defaultCacheDir())) {
    const variants = variantsIn(c.path);
    if (variants.length) models.push({ id: c.id, path: c.path, variants, source: 'cache' });
  }
  return { models };
}
