// A local stand-in for the Hugging Face hub: serves a fixture folder under /{repo}/resolve/{revision}/{path}
// with ETag (sha256), x-repo-commit, content-length and Range support, like test/engine/download.test.ts.
// Per repository, one file can be held back (`gate`): its GET sends the first half and then waits until the test
// releases it, or forever (`stall`) so only a cancelled request ends it. No timers, so no timed behaviour.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const COMMIT = 'c'.repeat(40);

/** repos: { 'org/name': { folder, hold?: 'onnx/model.onnx', stall?: boolean } } */
export async function startHubServer(repos) {
  const requests = [];
  const gates = new Map(); // repo → { reached: Promise, reach(), released: Promise, release() }
  const gate = (repo) => {
    if (!gates.has(repo)) {
      let reach;
      let release;
      const reached = new Promise((r) => (reach = r));
      const released = new Promise((r) => (release = r));
      gates.set(repo, { reached, reach, released, release });
    }
    return gates.get(repo);
  };
  const server = createServer((req, res) => {
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? '');
    requests.push({ method: req.method, path: req.url, range: req.headers.range });
    const repo = m && repos[m[1]];
    if (!repo) return void res.writeHead(404).end('Repository not found');
    const rel = decodeURIComponent(m[3]);
    const file = join(repo.folder, rel);
    if (!existsSync(file)) return void res.writeHead(404).end('Entry not found');
    const body = readFileSync(file);
    const etag = createHash('sha256').update(body).digest('hex');
    const headers = { etag: `"${etag}"`, 'x-repo-commit': COMMIT, 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const slice = body.subarray(start);
    headers['content-length'] = slice.length;
    if (range) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD') return void res.end();
    if (repo.hold !== rel) return void res.end(slice);
    const g = gate(m[1]);
    const half = Math.floor(slice.length / 2);
    res.write(slice.subarray(0, half), () => g.reach());
    if (repo.stall) return; // ends only when the client goes away (or the server closes)
    void g.released.then(() => res.end(slice.subarray(half)));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    requests,
    /** Resolves once the held file's first half has been sent. */
    reached: (repo) => gate(repo).reached,
    release: (repo) => gate(repo).release(),
    etag: (folder, rel) =>
      createHash('sha256')
        .update(readFileSync(join(folder, rel)))
        .digest('hex'),
    async close() {
      for (const g of gates.values()) g.release();
      server.closeAllConnections();
      await new Promise((r) => server.close(() => r()));
    },
  };
}

/** A local hub serving `repos` (as startHubServer) and an empty Hugging Face cache in a temporary folder named
 *  from `cachePrefix`. `env` points code-server at both (HF_ENDPOINT, HF_HUB_CACHE, online); `close()` stops the
 *  server and removes the cache. */
export async function startLocalHub(repos, cachePrefix) {
  const hub = await startHubServer(repos);
  const cache = mkdtempSync(join(tmpdir(), cachePrefix));
  return {
    hub,
    cache,
    env: { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '' },
    async close() {
      await hub.close();
      rmSync(cache, { recursive: true, force: true });
    },
  };
}
