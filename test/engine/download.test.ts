// Downloads from a local HTTP server that serves a fixture in the hub's URL layout
// (/{repo}/resolve/{revision}/{path}), into the standard cache layout; resume; offline behaviour. The server
// misbehaves on purpose when a test asks (`misbehave`): hostile ETag and commit headers, corrupt, short and long
// bodies, redirects to another origin; one file can be held half-sent (`hold`) so that two processes race.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { EngineError } from '../../src/engine/errors';
import { ROOT, WORKER, fixture } from '../helpers';

const REPO = 'test-org/tiny-bert-mlm';
const COMMIT = 'a'.repeat(40);
const ONNX = 'onnx/model.onnx';
const ONNX_BYTES = fs.readFileSync(path.join(fixture('bert-mlm'), ONNX));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-hub-'));
const client = new EngineClient({ workerPath: WORKER });
let server: http.Server;
let endpoint = '';
const requests: { method: string; path: string; range?: string; auth?: string; via?: string }[] = [];
/** When set, the next GET of this file sends only half of it and drops the connection. */
let breakNext: string | undefined;
/** How the server misbehaves until reset (each test resets it). */
let misbehave: {
  etag?: string; // raw ETag header for every file
  commit?: string; // raw x-repo-commit header
  corrupt?: string; // this file's GET body has flipped bytes (headers correct)
  short?: string; // this file's GET body and content-length are shorter than HEAD says
  long?: string; // this file's GET body has extra bytes (content-length says so too)
  redirect?: string; // this file's GET answers 302 to this origin
  noCommit?: boolean;
} = {};
/** A GET of this file sends half, then waits for `release()`. */
let hold: { file: string; reached: () => void; released: Promise<void> } | undefined;

function serveHub(req: http.IncomingMessage, res: http.ServerResponse, origin: 'hub' | 'cdn'): void {
  const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? '');
  requests.push({
    method: req.method!,
    path: `${origin === 'cdn' ? 'cdn:' : ''}${req.url!}`,
    range: req.headers.range,
    auth: req.headers.authorization,
    via: req.headers['x-via-proxy'] as string | undefined,
  });
  if (!m || m[1] !== REPO) {
    res.writeHead(404).end();
    return;
  }
  const rel = decodeURIComponent(m[3]);
  const file = path.join(fixture('bert-mlm'), rel);
  if (!fs.existsSync(file)) {
    res.writeHead(404).end('Entry not found');
    return;
  }
  let body = fs.readFileSync(file);
  const etag = createHash('sha256').update(body).digest('hex');
  const headers: Record<string, string | number> = { etag: misbehave.etag ?? `"${etag}"`, 'accept-ranges': 'bytes' };
  if (!misbehave.noCommit) headers['x-repo-commit'] = misbehave.commit ?? COMMIT;
  if (req.method === 'GET' && origin === 'hub' && misbehave.redirect && rel === misbehave.redirect) {
    res.writeHead(302, { location: `${redirectOrigin}${req.url}` }).end();
    return;
  }
  if (req.method === 'GET') {
    if (misbehave.corrupt === rel) {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    if (misbehave.short === rel) body = body.subarray(0, body.length - 1000);
    if (misbehave.long === rel) body = Buffer.concat([body, Buffer.alloc(1000, 7)]);
  }
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
  if (breakNext && rel === breakNext) {
    breakNext = undefined;
    res.write(slice.subarray(0, Math.floor(slice.length / 2)), () => res.destroy());
    return;
  }
  if (hold && hold.file === rel) {
    const h = hold;
    const half = Math.floor(slice.length / 2);
    res.write(slice.subarray(0, half), () => h.reached());
    void h.released.then(() => res.end(slice.subarray(half)));
    return;
  }
  res.end(slice);
}

let cdn: http.Server;
let redirectOrigin = '';
let proxy: http.Server;
let proxyUrl = '';
const proxied: string[] = [];

before(async () => {
  server = http.createServer((req, res) => serveHub(req, res, 'hub'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cdn = http.createServer((req, res) => serveHub(req, res, 'cdn'));
  await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', () => r()));
  redirectOrigin = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  // A plain forwarding proxy (absolute-URI requests) that also tunnels CONNECT, recording what it carried.
  proxy = http.createServer((req, res) => {
    proxied.push(`${req.method} ${req.url}`);
    const u = new URL(req.url!);
    const up = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: req.method,
        headers: { ...req.headers, 'x-via-proxy': '1' },
      },
      (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  proxy.on('connect', (req, sock: net.Socket, head) => {
    proxied.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const up = net.connect(Number(port), host, () => {
      sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(sock);
      sock.pipe(up);
    });
    up.on('error', () => sock.destroy());
    sock.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
after(async () => {
  await client.dispose();
  for (const s of [server, cdn, proxy]) {
    s.closeAllConnections();
    s.close();
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every path under `dir` (relative), for checking that nothing was written where it should not be. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of fs.readdirSync(d)) {
      const p = path.join(d, n);
      out.push(path.relative(dir, p));
      if (fs.lstatSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

test('a hub id downloads into the cache layout with progress, then runs', async () => {
  misbehave = {};
  const cacheDir = path.join(tmp, 'cache1');
  const progress: { file: string; loaded: number; total?: number }[] = [];
  const s = await client.loadModel(
    { model: REPO, cacheDir, endpoint, variant: 'fp32' },
    { onProgress: (p) => progress.push(p) },
  );
  const snap = path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'snapshots', COMMIT);
  assert.equal(s.path, snap);
  assert.equal(fs.readFileSync(path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'refs', 'main'), 'utf8'), COMMIT);
  assert.ok(fs.lstatSync(path.join(snap, 'onnx', 'model.onnx')).isSymbolicLink());
  assert.deepEqual(fs.readFileSync(path.join(snap, 'onnx', 'model.onnx')), ONNX_BYTES);
  const last = progress.filter((p) => p.file === 'onnx/model.onnx').pop()!;
  assert.equal(last.loaded, ONNX_BYTES.length);
  assert.equal(last.total, last.loaded);
  const r = await client.fillMask(
    { model: REPO, cacheDir, endpoint, variant: 'fp32' },
    { text: 'my dog is [MASK]. he likes playing.', topK: 3 },
  );
  assert.equal(r.masks.length, 1);
  const listing = await client.listModels({ cacheDir });
  assert.deepEqual(
    listing.models.map((m) => m.id),
    ['embedded/mini-bert-uncased', REPO],
  );

  // Offline: the cached copy is used and nothing is requested.
  const before = requests.length;
  const again = await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32', offline: true });
  assert.equal(again.path, snap);
  assert.equal(requests.length, before);
});

test('a hub-cached model (snapshot links into blobs/) gives hidden states, attention and gradients like its folder', async () => {
  misbehave = {};
  const cacheDir = path.join(tmp, 'cache-links');
  const hubSpec = { model: REPO, cacheDir, endpoint, variant: 'fp32' as const };
  await client.loadModel(hubSpec);
  assert.ok(
    fs.lstatSync(path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'snapshots', COMMIT, ONNX)).isSymbolicLink(),
  );
  const folderSpec = { model: fixture('bert-mlm'), variant: 'fp32' as const };
  const text = 'the bank by the river and the bank in town.';
  const span: [number, number] = [4, 8];
  const viaHub = await client.similarity(hubSpec, { text, span, layer: -1 });
  const viaFolder = await client.similarity(folderSpec, { text, span, layer: -1 });
  assert.equal(viaHub.occurrences.length, 1);
  assert.deepEqual(
    viaHub.occurrences.map((o) => o.similarity),
    viaFolder.occurrences.map((o) => o.similarity),
  );
  const attHub = await client.attention(hubSpec, { text });
  const attFolder = await client.attention(folderSpec, { text });
  assert.deepEqual(attHub.attentions[0][0][1], attFolder.attentions[0][0][1]);
  const salHub = await client.saliency(hubSpec, { text: 'the [MASK] by the river.' });
  const salFolder = await client.saliency(folderSpec, { text: 'the [MASK] by the river.' });
  assert.ok(salHub.scores.some((v) => v !== 0));
  assert.deepEqual(salHub.scores, salFolder.scores);
});

test("downloadSize: the hub's sizes by HEAD only, summed over the files a load fetches; nothing when cached", async () => {
  misbehave = {};
  const cacheDir = path.join(tmp, 'cache-size');
  const before = requests.length;
  const size = await client.downloadSize({ model: REPO, cacheDir, endpoint, variant: 'fp32' });
  const sent = requests.slice(before);
  assert.ok(sent.length > 0 && sent.every((r) => r.method === 'HEAD'), 'HEAD requests only');
  assert.equal(size.cached, false);
  // Exactly the files present in the fixture among those a load fetches, each with its size on disk.
  const expected = size.files.map((f) => fs.statSync(path.join(fixture('bert-mlm'), f.file)).size);
  assert.deepEqual(
    size.files.map((f) => f.size),
    expected,
  );
  assert.ok(size.files.some((f) => f.file === ONNX) && size.files.some((f) => f.file === 'config.json'));
  assert.equal(
    size.total,
    expected.reduce((a, b) => a + b, 0),
  );
  assert.ok(size.total! > ONNX_BYTES.length);
  assert.ok(!fs.existsSync(path.join(cacheDir, 'models--test-org--tiny-bert-mlm')), 'nothing written');
  // After the download the model is cached: nothing to fetch, no request.
  await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' });
  const n = requests.length;
  assert.deepEqual(await client.downloadSize({ model: REPO, cacheDir, endpoint, variant: 'fp32' }), {
    id: REPO,
    cached: true,
    files: [],
    total: 0,
  });
  assert.equal(requests.length, n);
  // Offline and not cached: the same clear error as a load.
  await assert.rejects(
    client.downloadSize({ model: REPO, cacheDir: path.join(tmp, 'empty-size'), endpoint, offline: true }),
    (e: EngineError) => e.code === 'offline-not-cached',
  );
});

test('offline with nothing cached is a clear error', async () => {
  misbehave = {};
  const before = requests.length;
  await assert.rejects(
    client.loadModel({ model: REPO, cacheDir: path.join(tmp, 'empty'), endpoint, offline: true }),
    (e: EngineError) => {
      assert.equal(e.code, 'offline-not-cached');
      assert.match(e.message, /not in the cache .* offline mode is on/);
      return true;
    },
  );
  assert.equal(requests.length, before, 'no request in offline mode');
});

test('a broken download resumes with a Range request', async () => {
  misbehave = {};
  const cacheDir = path.join(tmp, 'cache2');
  breakNext = 'onnx/model.onnx';
  await assert.rejects(
    client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' }),
    (e: EngineError) => e.code === 'download-failed' && /resumes/.test(e.hint ?? ''),
  );
  const blobs = path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'blobs');
  const partial = fs.readdirSync(blobs).find((f) => f.endsWith('.incomplete'))!;
  const have = fs.statSync(path.join(blobs, partial)).size;
  assert.ok(have > 0);
  assert.deepEqual(
    fs.readdirSync(blobs).filter((f) => f.endsWith('.lock')),
    [],
    'the lock is released on failure',
  );
  requests.length = 0;
  const s = await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' });
  const get = requests.find((r) => r.method === 'GET' && r.path.endsWith('onnx/model.onnx'))!;
  assert.equal(get.range, `bytes=${have}-`);
  assert.deepEqual(fs.readFileSync(path.join(s.path, 'onnx', 'model.onnx')), ONNX_BYTES);
  assert.equal(fs.readdirSync(blobs).filter((f) => f.endsWith('.incomplete')).length, 0);
});

test('a repository without the variant, and an unreachable hub, give clear errors', async () => {
  misbehave = {};
  await assert.rejects(
    client.loadModel({ model: REPO, cacheDir: path.join(tmp, 'c3'), endpoint, variant: 'fp16' }),
    (e: EngineError) => e.code === 'hub-file-missing' && /onnx\/model_fp16\.onnx/.test(e.message),
  );
  await assert.rejects(
    client.loadModel({ model: 'nobody/nothing', cacheDir: path.join(tmp, 'c4'), endpoint: 'http://127.0.0.1:9' }),
    (e: EngineError) => e.code === 'network' && /Cannot reach/.test(e.message),
  );
});

test('a hostile ETag, x-repo-commit or revision is one clear error naming it, and nothing lands outside the cache', async () => {
  const base = path.join(tmp, 'traversal');
  const cacheDir = path.join(base, 'cache');
  fs.mkdirSync(cacheDir, { recursive: true });
  misbehave = { etag: '"../../../escaped-etag"' };
  await assert.rejects(
    client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' }),
    (e: EngineError) => e.code === 'hub-bad-header' && /invalid ETag header for config\.json/.test(e.message),
  );
  misbehave = { etag: `"${'f'.repeat(63)}/"` };
  await assert.rejects(
    client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' }),
    (e: EngineError) => e.code === 'hub-bad-header' && /ETag/.test(e.message),
  );
  misbehave = { commit: '../../../../escaped-commit' };
  await assert.rejects(
    client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' }),
    (e: EngineError) => e.code === 'hub-bad-header' && /invalid x-repo-commit header/.test(e.message),
  );
  misbehave = { noCommit: true };
  await assert.rejects(
    client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' }),
    (e: EngineError) => e.code === 'hub-bad-header' && /no x-repo-commit header/.test(e.message),
  );
  misbehave = {};
  for (const revision of ['../../escaped-rev', '/etc/escaped', 'a\\b', 'refs/../../x', 'main/']) {
    const before = requests.length;
    await assert.rejects(
      client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32', revision }),
      (e: EngineError) => e.code === 'bad-revision' && e.message.includes(revision),
      revision,
    );
    assert.equal(requests.length, before, `no request for revision ${revision}`);
  }
  assert.deepEqual(
    tree(base).filter((p) => !p.startsWith('cache')),
    [],
    'nothing outside the cache',
  );
  assert.deepEqual(
    tree(base).filter((p) => /escaped/.test(p)),
    [],
  );
});

test('--revision refs/pr/1 downloads, writes refs/refs/pr/1, and is found offline afterwards', async () => {
  misbehave = {};
  const cacheDir = path.join(tmp, 'pr');
  requests.length = 0;
  const s = await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32', revision: 'refs/pr/1' });
  const root = path.join(cacheDir, 'models--test-org--tiny-bert-mlm');
  assert.equal(s.path, path.join(root, 'snapshots', COMMIT));
  assert.equal(fs.readFileSync(path.join(root, 'refs', 'refs', 'pr', '1'), 'utf8'), COMMIT);
  assert.ok(
    requests.every((r) => r.path.startsWith(`/${REPO}/resolve/refs%2Fpr%2F1/`)),
    'the revision is one URL segment',
  );
  const again = await client.loadModel({
    model: REPO,
    cacheDir,
    endpoint,
    variant: 'fp32',
    revision: 'refs/pr/1',
    offline: true,
  });
  assert.equal(again.path, s.path);
});

test('a corrupt, short or long body is rejected before it becomes a blob; a retry against a good server succeeds', async () => {
  const cacheDir = path.join(tmp, 'verify');
  const blobs = path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'blobs');
  const sha = createHash('sha256').update(ONNX_BYTES).digest('hex');
  const cases: [typeof misbehave, RegExp][] = [
    [{ corrupt: ONNX }, /onnx\/model\.onnx is corrupt: its sha256 is/],
    [
      { short: ONNX },
      new RegExp(`onnx/model\\.onnx is incomplete: ${ONNX_BYTES.length - 1000} of ${ONNX_BYTES.length} bytes`),
    ],
    [{ long: ONNX }, new RegExp(`onnx/model\\.onnx is longer than the ${ONNX_BYTES.length} bytes`)],
  ];
  for (const [m, re] of cases) {
    misbehave = m;
    await assert.rejects(
      client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' }),
      (e: EngineError) => e.code === 'download-corrupt' && re.test(e.message) && /deleted/.test(e.hint ?? ''),
      JSON.stringify(m),
    );
    assert.deepEqual(
      fs.readdirSync(blobs).filter((f) => f.startsWith(sha)),
      [],
      'no blob, partial or lock is left',
    );
  }
  misbehave = {};
  const s = await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' });
  assert.deepEqual(fs.readFileSync(path.join(s.path, ONNX)), ONNX_BYTES);

  // A finished blob of the wrong size (a truncated copy) is fetched again once its snapshot is removed.
  fs.truncateSync(path.join(blobs, sha), 100);
  fs.rmSync(path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'snapshots'), { recursive: true });
  requests.length = 0;
  const again = await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' });
  assert.deepEqual(fs.readFileSync(path.join(again.path, ONNX)), ONNX_BYTES);
  assert.equal(requests.filter((r) => r.method === 'GET' && r.path.endsWith(ONNX)).length, 1);
});

test('hub ids follow the hub rules: no "..", no "--", at most 96 characters a part', async () => {
  const cacheDir = path.join(tmp, 'ids');
  fs.mkdirSync(cacheDir, { recursive: true });
  const before = requests.length;
  for (const id of ['a/..', 'org/..', 'a--b/c', 'a/b--c', `${'x'.repeat(97)}/y`, '-a/b', 'a/b/c', 'a/.b']) {
    await assert.rejects(
      client.loadModel({ model: id, cacheDir, endpoint }),
      (e: EngineError) => e.code === 'model-not-found' && e.message.includes(id),
      id,
    );
  }
  assert.equal(requests.length, before);
  assert.deepEqual(fs.readdirSync(cacheDir), []);
});

test('the token goes to the endpoint only, not to the origin a download is redirected to', async () => {
  misbehave = { redirect: ONNX };
  const cacheDir = path.join(tmp, 'token');
  requests.length = 0;
  const s = await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32', token: 'hf_secret' });
  assert.deepEqual(fs.readFileSync(path.join(s.path, ONNX)), ONNX_BYTES);
  const cdnGets = requests.filter((r) => r.path.startsWith('cdn:'));
  assert.equal(cdnGets.length, 1);
  assert.equal(cdnGets[0].auth, undefined);
  const hub = requests.filter((r) => !r.path.startsWith('cdn:'));
  assert.ok(hub.length >= 4 && hub.every((r) => r.auth === 'Bearer hf_secret'), JSON.stringify(hub));
  misbehave = {};
});

test('progress covers the whole download: small files do not fill it before the model file starts', async () => {
  misbehave = {};
  const cacheDir = path.join(tmp, 'progress');
  const progress: { file: string; loaded: number; overallLoaded?: number; overallTotal?: number }[] = [];
  await client.loadModel({ model: REPO, cacheDir, endpoint, variant: 'fp32' }, { onProgress: (p) => progress.push(p) });
  const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', ONNX].filter(
    (f) => fs.existsSync(path.join(fixture('bert-mlm'), f)),
  );
  const total = files.reduce((s, f) => s + fs.statSync(path.join(fixture('bert-mlm'), f)).size, 0);
  assert.ok(
    progress.every((p) => p.overallTotal === total),
    `overallTotal ${progress[0].overallTotal} vs ${total}`,
  );
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].overallLoaded! >= progress[i - 1].overallLoaded!);
  const beforeOnnx = progress.filter((p) => p.file !== ONNX).pop()!;
  assert.equal(beforeOnnx.overallLoaded, total - ONNX_BYTES.length);
  assert.ok(beforeOnnx.overallLoaded! / total < 0.5, 'the small files are under half of the bar');
  assert.equal(progress[progress.length - 1].overallLoaded, total);
});

test('a proxy from ModelSpec.proxy carries the download', async () => {
  misbehave = {};
  proxied.length = 0;
  const s = await client.loadModel({
    model: REPO,
    cacheDir: path.join(tmp, 'proxy1'),
    endpoint,
    variant: 'fp32',
    proxy: proxyUrl,
    proxyStrictSSL: false,
  });
  assert.deepEqual(fs.readFileSync(path.join(s.path, ONNX)), ONNX_BYTES);
  const host = new URL(endpoint).host;
  assert.ok(proxied.length > 0 && proxied.every((p) => p.includes(host)), JSON.stringify(proxied));
  await assert.rejects(
    client.loadModel({
      model: REPO,
      cacheDir: path.join(tmp, 'proxy2'),
      endpoint,
      variant: 'fp32',
      proxy: 'http://127.0.0.1:9',
    }),
    (e: EngineError) => e.code === 'network' && /through the proxy http:\/\/127\.0\.0\.1:9/.test(e.message),
  );
});

// ---- child processes: the CLI as two users / windows would run it ----

const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !/^(hf_token|hf_hub_offline|hf_home|https?_proxy|no_proxy|all_proxy)$/i.test(k),
  ),
);

function cli(
  args: string[],
  env: Record<string, string> = {},
): { proc: ChildProcess; stderr: () => string; done: Promise<number> } {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin', 'bert-lens.js'), ...args], {
    env: { ...CLEAN_ENV, HF_HOME: path.join(tmp, 'no-hf-home'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  proc.stdout!.resume();
  const done = new Promise<number>((r) => proc.on('exit', (code) => r(code ?? -1)));
  return { proc, stderr: () => err, done };
}

const tokenizeArgs = (cacheDir: string) => [
  'tokenize',
  'hello',
  '--model',
  REPO,
  '--endpoint',
  endpoint,
  '--cache-dir',
  cacheDir,
  '--variant',
  'fp32',
];

test(
  'two processes fetching the same model: one downloads under the lock, the other waits and uses its blob',
  { timeout: 300_000 },
  async () => {
    misbehave = {};
    const cacheDir = path.join(tmp, 'race');
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    hold = { file: ONNX, reached, released: new Promise<void>((r) => (release = r)) };
    requests.length = 0;
    const a = cli(tokenizeArgs(cacheDir));
    await reachedP;
    const b = cli(tokenizeArgs(cacheDir));
    while (!/waiting for another download of onnx\/model\.onnx/.test(b.stderr())) {
      if (b.proc.exitCode !== null) assert.fail(`second process ended early: ${b.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    release();
    assert.equal(await a.done, 0, a.stderr());
    assert.equal(await b.done, 0, b.stderr());
    hold = undefined;
    assert.equal(
      requests.filter((r) => r.method === 'GET' && r.path.endsWith(ONNX)).length,
      1,
      'one GET of the model file',
    );
    const blobs = path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'blobs');
    const sha = createHash('sha256').update(ONNX_BYTES).digest('hex');
    assert.equal(fs.statSync(path.join(blobs, sha)).size, ONNX_BYTES.length);
    assert.deepEqual(
      fs.readdirSync(blobs).filter((f) => /\.(lock|incomplete)$/.test(f)),
      [],
    );
  },
);

test('a lock left by a process that died is taken over', { timeout: 300_000 }, async () => {
  misbehave = {};
  const cacheDir = path.join(tmp, 'stale');
  const blobs = path.join(cacheDir, 'models--test-org--tiny-bert-mlm', 'blobs');
  fs.mkdirSync(blobs, { recursive: true });
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => dead.on('exit', r));
  const sha = createHash('sha256').update(ONNX_BYTES).digest('hex');
  fs.writeFileSync(path.join(blobs, `${sha}.lock`), `${dead.pid}@${os.hostname()}`);
  const c = cli(tokenizeArgs(cacheDir));
  assert.equal(await c.done, 0, c.stderr());
  assert.equal(fs.statSync(path.join(blobs, sha)).size, ONNX_BYTES.length);
  assert.ok(!fs.existsSync(path.join(blobs, `${sha}.lock`)));
});

test(
  'the CLI honours HTTP_PROXY / http_proxy and NO_PROXY, and reads the token from $HF_HOME/token',
  { timeout: 300_000 },
  async () => {
    misbehave = {};
    for (const name of ['HTTP_PROXY', 'http_proxy']) {
      proxied.length = 0;
      const c = cli(tokenizeArgs(path.join(tmp, `envproxy-${name}`)), { [name]: proxyUrl });
      assert.equal(await c.done, 0, c.stderr());
      assert.ok(proxied.length > 0, `${name} is used`);
    }
    proxied.length = 0;
    const n = cli(tokenizeArgs(path.join(tmp, 'noproxy')), {
      HTTP_PROXY: proxyUrl,
      NO_PROXY: 'example.org, 127.0.0.1',
    });
    assert.equal(await n.done, 0, n.stderr());
    assert.deepEqual(proxied, [], 'NO_PROXY exempts the endpoint');

    const hfHome = path.join(tmp, 'hf-home');
    fs.mkdirSync(hfHome, { recursive: true });
    fs.writeFileSync(path.join(hfHome, 'token'), 'hf_fromfile\n');
    requests.length = 0;
    const t = cli(tokenizeArgs(path.join(tmp, 'tokenfile')), { HF_HOME: hfHome });
    assert.equal(await t.done, 0, t.stderr());
    assert.ok(requests.length > 0 && requests.every((r) => r.auth === 'Bearer hf_fromfile'));
    requests.length = 0;
    const e = cli(tokenizeArgs(path.join(tmp, 'tokenenv')), { HF_HOME: hfHome, HF_TOKEN: 'hf_fromenv' });
    assert.equal(await e.done, 0, e.stderr());
    assert.ok(requests.length > 0 && requests.every((r) => r.auth === 'Bearer hf_fromenv'));
  },
);
