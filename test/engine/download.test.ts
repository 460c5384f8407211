// Downloads from a local HTTP server that serves a fixture in the hub's URL layout
// (/{repo}/resolve/{revision}/{path}), into the standard cache layout; resume; offline behaviour.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { EngineError } from '../../src/engine/errors';
import { WORKER, fixture } from '../helpers';

const REPO = 'test-org/tiny-bert-mlm';
const COMMIT = 'a'.repeat(40);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-hub-'));
const client = new EngineClient({ workerPath: WORKER });
let server: http.Server;
let endpoint = '';
const requests: { method: string; path: string; range?: string }[] = [];
/** When set, the next GET of this file sends only half of it and drops the connection. */
let breakNext: string | undefined;

before(async () => {
  server = http.createServer((req, res) => {
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? '');
    requests.push({ method: req.method!, path: req.url!, range: req.headers.range });
    if (!m || m[1] !== REPO) {
      res.writeHead(404).end();
      return;
    }
    const file = path.join(fixture('bert-mlm'), decodeURIComponent(m[3]));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end('Entry not found');
      return;
    }
    const body = fs.readFileSync(file);
    const etag = createHash('sha256').update(body).digest('hex');
    const headers: Record<string, string | number> = { etag: `"${etag}"`, 'x-repo-commit': COMMIT, 'accept-ranges': 'bytes' };
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) start = Number(range[1]);
    const slice = body.subarray(start);
    headers['content-length'] = slice.length;
    if (range) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (breakNext && m[3] === breakNext) {
      breakNext = undefined;
      res.write(slice.subarray(0, Math.floor(slice.length / 2)), () => res.destroy());
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await client.dispose();
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a hub id downloads into the cache layout with progress, then runs', async () => {
  const cacheDir = path.join(tmp, 'cache1');
  const progress: { file: string; loaded: number; total?: number }[] = [];
  const s = await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' }, { onProgress: (p) => progress.push(p) });
  const snap = path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'snapshots', COMMIT);
  assert.equal(s.path, snap);
  assert.equal(fs.readFileSync(path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'refs', 'main'), 'utf8'), COMMIT);
  assert.ok(fs.lstatSync(path.join(snap, 'onnx', 'model.onnx')).isSymbolicLink());
  assert.deepEqual(fs.readFileSync(path.join(snap, 'onnx', 'model.onnx')), fs.readFileSync(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx')));
  const last = progress.filter((p) => p.file === 'onnx/model.onnx').pop()!;
  assert.equal(last.loaded, fs.statSync(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx')).size);
  assert.equal(last.total, last.loaded);
  const r = await client.fillMask({ model: REPO, cacheDir, endpoint, variant: 'fp32' }, { text: 'my dog is [MASK]. he likes playing.', topK: 3 });
  assert.equal(r.masks.length, 1);
  const listing = await client.listModels({ cacheDir });
  assert.deepEqual(listing.models.map((m) => m.id), ['embedded/mini-bert-uncased', REPO]);

  // Offline: the cached copy is used and nothing is requested.
  const before = requests.length;
  const again = await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32', offline: true });
  assert.equal(again.path, snap);
  assert.equal(requests.length, before);
});

test('offline with nothing cached is a clear error', async () => {
  const before = requests.length;
  await assert.rejects(client.loadModel({ model: REPO, cacheDir: path.join(tmp, 'empty'), endpoint, offline: true }), (e: EngineError) => {
    assert.equal(e.code, 'offline-not-cached');
    assert.match(e.message, /not in the cache .* offline mode is on/);
    return true;
  });
  assert.equal(requests.length, before, 'no request in offline mode');
});

test('a broken download resumes with a Range request', async () => {
  const cacheDir = path.join(tmp, 'cache2');
  breakNext = 'onnx/model.onnx';
  await assert.rejects(client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' }), (e: EngineError) => e.code === 'download-failed' && /resumes/.test(e.hint ?? ''));
  const blobs = path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'blobs');
  const partial = fs.readdirSync(blobs).find((f) => f.endsWith('.incomplete'))!;
  const have = fs.statSync(path.join(blobs, partial)).size;
  assert.ok(have > 0);
  requests.length = 0;
  const s = await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' });
  const get = requests.find((r) => r.method === 'GET' && r.path.endsWith('onnx/model.onnx'))!;
  assert.equal(get.range, `bytes=${have}-`);
  assert.deepEqual(fs.readFileSync(path.join(s.path, 'onnx', 'model.onnx')), fs.readFileSync(path.join(fixture('bert-mlm'), 'onnx', 'model.onnx')));
  assert.equal(fs.readdirSync(blobs).filter((f) => f.endsWith('.incomplete')).length, 0);
});

test('a repository without the variant, and an unreachable hub, give clear errors', async () => {
  await assert.rejects(client.loadModel({ model: REPO, cacheDir: path.join(tmp, 'c3'), endpoint, variant: 'fp16' }), (e: EngineError) => e.code === 'hub-file-missing' && /onnx\/model_fp16\.onnx/.test(e.message));
  await assert.rejects(client.loadModel({ model: 'nobody/nothing', cacheDir: path.join(tmp, 'c4'), endpoint: 'http://127.0.0.1:9' }), (e: EngineError) => e.code === 'network' && /Cannot reach/.test(e.message));
});
