// Issue 14 §3: `serve --admin-port P [--admin-host H]`: /admin, /admin/api/* and /metrics answer
// only on that listener and are 404 on the public port.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FormClient } from './helpers/browserless.js';
import { freshSqlite } from './helpers/databases.js';
import { signIn } from './helpers/console.js';
import { spawnServer } from './helpers/processes.js';
import { isAdminPath, listenAdmin } from '../src/server/admin-listener.js';
import { createWebAccount } from '../src/console/accounts.js';
import { parseAdminListener, resolveServeConfig } from '../src/config.js';

const status = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, { redirect: 'manual', ...init });
  await res.arrayBuffer();
  return res.status;
};

describe('--admin-port: operator surfaces on their own listener', () => {
  let s: TestServer;
  let admin: string;
  before(async () => {
    s = await startTestServer({ server: { adminListener: true } });
    admin = `http://127.0.0.1:${(await listenAdmin(s.server, '127.0.0.1', 0)).port}`;
    await createWebAccount(s.core.storage, {
      realm: 'operator',
      username: 'ops-port',
      password: 'operator password 1',
    });
  });
  after(async () => s?.close());

  it('/admin, /admin/… and /metrics are 404 on the public port', async () => {
    for (const path of ['/admin', '/admin/login', '/admin/api/v1/apps', '/metrics', '/admin/apps/1/status']) {
      assert.equal(await status(`${s.url}${path}`), 404, `GET ${path}`);
    }
    assert.equal(
      await status(`${s.url}/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'username=a&password=b',
      }),
      404,
    );
    const page = await fetch(`${s.url}/admin/login`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 404);
    assert.match(await page.text(), /<html/, 'the same not-found page as any unknown path');
  });

  it('they answer on the admin listener: the operator signs in, /metrics scrapes', async () => {
    assert.equal(await status(`${admin}/admin/login`), 200);
    assert.equal(await status(`${admin}/assets/console.css`), 200);
    assert.equal(await status(`${admin}/healthz`), 200);
    const metrics = await fetch(`${admin}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^shouquan_http_requests_total\{/m);
    const op = new FormClient(admin);
    await signIn(op, 'admin', 'ops-port', 'operator password 1');
    assert.equal(
      await status(`${admin}/admin`, { headers: { cookie: [...op.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } }),
      200,
    );
  });

  it('the public surfaces are not on the admin listener, and still work on the public port', async () => {
    for (const path of [
      '/account/login',
      '/console/login',
      '/.well-known/oauth-authorization-server',
      '/openapi.json',
    ]) {
      assert.equal(await status(`${admin}${path}`), 404, `admin GET ${path}`);
    }
    assert.equal(
      await status(`${admin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=x',
      }),
      404,
    );
    assert.equal(await status(`${s.url}/account/login`), 200);
    assert.equal(await status(`${s.url}/healthz`), 200);
    assert.equal(await status(`${s.url}/.well-known/oauth-authorization-server`), 200);
  });

  it("which paths are the admin listener's", () => {
    for (const p of [
      '/admin',
      '/admin/',
      '/admin/login',
      '/admin/api/v1/apps',
      '/admin/api/v1/sellers/1/password-reset',
      '/metrics',
    ])
      assert.equal(isAdminPath(p), true, p);
    for (const p of ['/administrator', '/adminx', '/metrics/x', '/metricsx', '/account', '/'])
      assert.equal(isAdminPath(p), false, p);
  });
});

describe('without --admin-port nothing moves', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s?.close());
  it('/admin and /metrics answer on the one port', async () => {
    assert.equal(await status(`${s.url}/admin/login`), 200);
    assert.equal(await status(`${s.url}/metrics`), 200);
  });
});

describe('serve --admin-port (a real process)', () => {
  it('prints admin_url; /metrics and /admin only there', async () => {
    const db = freshSqlite();
    const server = await spawnServer(db.url, ['--admin-port', '0', '--admin-host', '127.0.0.1']);
    try {
      const summary = await server.waitForLine((v) => typeof v.url === 'string');
      const adminUrl = summary.admin_url as string;
      assert.match(adminUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(adminUrl, server.url);
      assert.equal(await status(`${server.url}/metrics`), 404);
      assert.equal(await status(`${server.url}/admin/login`), 404);
      assert.equal(await status(`${adminUrl}/metrics`), 200);
      assert.equal(await status(`${adminUrl}/admin/login`), 200);
      assert.equal(await status(`${server.url}/healthz`), 200);
    } finally {
      await server.stop();
      await db.cleanup();
    }
    assert.equal((await server.exited).code, 0);
  });

  it('settings: from flags or SHOUQUAN_ADMIN_PORT / SHOUQUAN_ADMIN_HOST, checked', () => {
    assert.deepEqual(parseAdminListener(undefined, undefined, 7070), { adminHost: '127.0.0.1' });
    assert.deepEqual(parseAdminListener('7071', '10.0.0.5', 7070), { adminPort: 7071, adminHost: '10.0.0.5' });
    assert.throws(() => parseAdminListener('7070', undefined, 7070), /must differ from --port/);
    assert.throws(() => parseAdminListener('x', undefined, 7070), /--admin-port must be a number/);
    assert.throws(() => parseAdminListener(undefined, '0.0.0.0', 7070), /--admin-host needs --admin-port/);
    const c = resolveServeConfig({}, { SHOUQUAN_ADMIN_PORT: '9090', SHOUQUAN_ADMIN_HOST: '10.1.2.3' });
    assert.equal(c.adminPort, 9090);
    assert.equal(c.adminHost, '10.1.2.3');
  });
});
