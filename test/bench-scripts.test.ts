/**
 * The bench's moving parts, checked quickly (the bench itself is not part of `npm test`):
 * the two peer targets start and serve their real flows the way run.ts drives them, wrk's code
 * pool ends the run when it is used up (each body once), and the SQLite filler makes live,
 * well-formed tokens. ADR 0081.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { peerBrowsers, peerCode, peerPost, peerTokens, type PeerReady } from '../scripts/bench/peer-client.js';
import { fillTokens } from '../scripts/bench/fill.js';
import { FormClient, formAction, hiddenInput } from './helpers/browserless.js';
import { signDirectoryRequest } from '../src/sellers/seller-directory.js';
import { createApp } from '../src/apps/apps.js';
import { createCoreContext, openStorage } from '../src/runtime.js';
import { getProfile } from '../src/profiles/registry.js';

const bench = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'bench');

async function start<R>(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ready: R; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(bench, script), ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env,
  });
  const ready = await new Promise<R>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on(
      'line',
      (line) => line.startsWith('{') && resolve(JSON.parse(line) as R),
    );
  });
  return { ready, child };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

for (const peer of ['oidc-provider', 'oauth2-server']) {
  test(`${peer} target: code through its real flow, exchange, rotation, and its token check`, async () => {
    const { ready, child } = await start<PeerReady>(`${peer}-target.ts`, ['--sellers', '2']);
    try {
      assert.deepEqual(ready.sellers, ['bench0', 'bench1']);
      const [b0, b1] = await peerBrowsers(ready);
      const tokens = await peerTokens(ready, b0!);
      // A second code for the same browser: a new, different code, and the first grant still works.
      const again = await peerCode(ready, b0!);
      assert.ok(again);
      // A code is single-use.
      const code = (await peerCode(ready, b1!))!;
      const exchange = { grant_type: 'authorization_code', code, redirect_uri: ready.callback };
      assert.equal((await peerPost(ready, ready.paths.token, exchange)).status, 200);
      const replay = await peerPost(ready, ready.paths.token, exchange);
      assert.equal(replay.status, 400);
      assert.equal(replay.json.error, 'invalid_grant');
      // Refresh rotates: a new refresh token.
      const rotated = await peerPost(ready, ready.paths.token, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      });
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.json.refresh_token, tokens.refresh_token);
      if (ready.paths.introspect) {
        const intro = await peerPost(ready, ready.paths.introspect, { token: rotated.json.access_token });
        assert.equal(intro.status, 200);
        assert.equal(intro.json.active, true);
        assert.equal(intro.json.sub, 'bench0');
        assert.equal(intro.json.scope, 'seller');
        const unknown = await peerPost(ready, ready.paths.introspect, { token: 'not-a-token' });
        assert.deepEqual(unknown.json, { active: false });
      }
      if (ready.paths.bearer) {
        const res = await fetch(`${ready.url}${ready.paths.bearer}`, {
          headers: { authorization: `Bearer ${rotated.json.access_token}` },
        });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { store_id: 1, seller: 'bench0' });
        const bad = await fetch(`${ready.url}${ready.paths.bearer}`, { headers: { authorization: 'Bearer nope' } });
        assert.equal(bad.status, 401);
        assert.equal((await bad.json()).error, 'invalid_token');
      }
      // The refresh token it replaced is refused (oidc-provider then also revokes the whole grant).
      const reused = await peerPost(ready, ready.paths.token, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      });
      assert.equal(reused.status, 400);
      assert.equal(reused.json.error, 'invalid_grant');
    } finally {
      await stop(child);
    }
  });
}

const hasWrk = spawnSync('wrk', ['-v']).error === undefined;

test(
  'wrk code pool: each body is sent once and the run ends when the last answer is in',
  { skip: hasWrk ? false : 'wrk is not installed (apt-get install -y wrk)' },
  async () => {
    const { ready, child } = await start<{ url: string }>('echo-target.ts');
    const dir = mkdtempSync(join(tmpdir(), 'bench-lua-'));
    try {
      const bodies = join(dir, 'bodies.txt');
      writeFileSync(bodies, `${Array.from({ length: 300 }, (_, i) => `code=${i}`).join('\n')}\n`);
      const res = spawnSync(
        'wrk',
        ['-t1', '-c8', '-d60s', '--latency', '-s', join(bench, 'lua', 'bodies.lua'), ready.url],
        {
          env: {
            ...process.env,
            BENCH_LUA_DIR: join(bench, 'lua'),
            BENCH_BODIES: bodies,
            BENCH_PATH: '/echo',
            BENCH_EXPECT: '"code"',
          },
          encoding: 'utf8',
        },
      );
      const m = /BENCH_RESULT (\{.*\})/.exec(res.stdout);
      assert.ok(m, res.stdout + res.stderr);
      const r = JSON.parse(m[1]!);
      assert.equal(r.requests, 300);
      assert.equal(r.errors, 0);
      assert.equal(r.drained, 1);
      // The script ended the run itself once the last answer was in (not wrk's -d ceiling), and the
      // rate is taken over the time the answers took. (window_us is not compared with wrk's own
      // duration_us: wrk starts its wall clock after its threads have begun connecting, so the two
      // clocks may differ by a few microseconds either way; a CI run once saw window > duration.)
      assert.equal(r.stopped, 1);
      assert.ok(r.window_us > 0);
      assert.ok(Math.abs(r.rps - r.requests / (r.window_us / 1e6)) < 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await stop(child);
    }
  },
);

test('directory target: a directory seller signs in through the login form of a --seller-directory Shouquan target, timed by the directory', async () => {
  const env = { ...process.env, SHOUQUAN_SELLER_DIRECTORY_SECRET: 'bench-test-directory-secret' };
  const dir = await start<{ url: string; stats: string; sellers: string[]; password: string }>(
    'directory-target.ts',
    ['--sellers', '2'],
    env,
  );
  const tmp = mkdtempSync(join(tmpdir(), 'bench-directory-'));
  let shq: ChildProcess | undefined;
  try {
    assert.deepEqual(dir.ready.sellers, ['dir0', 'dir1']);
    const stats = async () => (await fetch(dir.ready.stats)).json();
    // The directory checks the signature as a platform would.
    const body = JSON.stringify({ username: 'dir1', password: dir.ready.password });
    const ts = String(Math.floor(Date.now() / 1000));
    const post = (signature: string) =>
      fetch(dir.ready.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-shouquan-timestamp': ts, 'x-shouquan-signature': signature },
        body,
      });
    assert.equal((await post(signDirectoryRequest('another secret', ts, body))).status, 400);
    const direct = await post(signDirectoryRequest(env.SHOUQUAN_SELLER_DIRECTORY_SECRET, ts, body));
    assert.equal(direct.status, 200);
    assert.deepEqual(await direct.json(), {
      seller_id: 'P-100001',
      nick: 'Directory seller 1',
      stores: [
        { store_id: 'S-100001', name: 'Directory store 1' },
        { store_id: 'S-200001', name: 'Directory outlet 1' },
      ],
    });
    assert.deepEqual((await stats()).statuses, { 200: 1, 400: 1 });
    assert.equal((await stats()).requests, 0);

    const target = await start<{
      url: string;
      apps: Record<string, { appKey: string }>;
      callback: string;
    }>(
      'shouquan-target.ts',
      [`sqlite:${join(tmp, 'd.db')}`, '--sellers', '1', '--seller-directory', dir.ready.url],
      env,
    );
    shq = target.child;
    const { url, apps, callback } = target.ready;
    const fc = new FormClient(url);
    const q = new URLSearchParams({ response_type: 'code', client_id: apps.exchange!.appKey, redirect_uri: callback });
    const page = await (await fc.get((await fc.get(`/oauth/authorize?${q}`)).headers.get('location')!)).text();
    const form = (username: string, password: string) => ({
      csrf_token: hiddenInput(page, 'csrf_token')!,
      username,
      password,
    });
    assert.equal((await fc.post(formAction(page)!, form('dir0', 'wrong'))).status, 401);
    const login = await fc.post(formAction(page)!, form('dir0', dir.ready.password));
    assert.equal(login.status, 303);
    const consent = await (await fc.get(login.headers.get('location')!)).text();
    assert.match(consent, /Directory store 0/);
    assert.match(consent, /Directory outlet 0/);
    const timed = await stats();
    assert.deepEqual(timed.statuses, { 200: 1, 401: 1 });
    assert.equal(timed.requests, 2);
    assert.ok(timed.p50_ms > 0 && timed.p99_ms >= timed.p50_ms);
  } finally {
    if (shq) await stop(shq);
    await stop(dir.child);
    rmSync(tmp, { recursive: true, force: true });
  }
});

test(
  'wrk BENCH_EXPECT_STATUS: an answer with another status is an error',
  { skip: hasWrk ? false : 'wrk is not installed (apt-get install -y wrk)' },
  async () => {
    const { ready, child } = await start<{ url: string }>('echo-target.ts');
    const dir = mkdtempSync(join(tmpdir(), 'bench-lua-'));
    try {
      const bodies = join(dir, 'bodies.txt');
      writeFileSync(bodies, `${Array.from({ length: 50 }, (_, i) => `code=${i}`).join('\n')}\n`);
      const errors = (status: string) => {
        const res = spawnSync('wrk', ['-t1', '-c4', '-d60s', '-s', join(bench, 'lua', 'bodies.lua'), ready.url], {
          env: {
            ...process.env,
            BENCH_LUA_DIR: join(bench, 'lua'),
            BENCH_BODIES: bodies,
            BENCH_PATH: '/echo',
            BENCH_EXPECT_STATUS: status,
          },
          encoding: 'utf8',
        });
        const m = /BENCH_RESULT (\{.*\})/.exec(res.stdout);
        assert.ok(m, res.stdout + res.stderr);
        const r = JSON.parse(m[1]!);
        assert.equal(r.requests, 50);
        return r.errors;
      };
      assert.equal(errors('200'), 0);
      assert.equal(errors('303'), 50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await stop(child);
    }
  },
);

test('fill: N live tokens with SHA-256-shaped unique keys, each in a grant of the filler app', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fill-'));
  const url = `sqlite:${join(dir, 'fill.db')}`;
  try {
    const storage = await openStorage(url, { createIfMissing: true });
    const core = await createCoreContext({ storage, profile: getProfile('standard'), issuer: 'http://127.0.0.1' });
    const app = await createApp(storage, core.secretKey, {
      name: 'Filler',
      callbacks: ['https://isv.example.com/callback'],
    });
    await storage.close();
    await fillTokens(url, 1000, app.appKey);
    const db = new SQLite(join(dir, 'fill.db'), { readonly: true });
    const stats = db
      .prepare(
        `SELECT count(*) AS n, count(DISTINCT token_hash) AS keys, sum(kind = 'access') AS access, sum(length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*') AS shaped,
                sum(expires_at > ?) AS live, count(DISTINCT t.grant_id) AS grants, sum(g.app_key = ? AND t.app_key = ?) AS ours
         FROM tokens t JOIN grants g ON g.grant_id = t.grant_id`,
      )
      .get(Date.now(), app.appKey, app.appKey);
    db.close();
    assert.deepEqual(stats, { n: 1000, keys: 1000, access: 500, shaped: 1000, live: 1000, grants: 500, ours: 1000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
