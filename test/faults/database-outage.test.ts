// The database goes away under a running server: requests fail cleanly with 503 and
// Retry-After (never a 500 or a hang) and recover on their own when it is back (issue 6).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshPostgres, postgresAvailable, PG_SKIP, PG_URL, type TestDatabase } from '../helpers/databases.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, token, tokensFor } from '../helpers/oauth.js';

const pgUp = await postgresAvailable();

describe('PostgreSQL outage (through a cut-able proxy)', { skip: pgUp ? false : PG_SKIP }, () => {
  let s: TestServer;
  let proxy: TcpProxy;
  before(async () => {
    const target = new URL(PG_URL);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const real = await freshPostgres();
    const viaProxy = new URL(real.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const db: TestDatabase = { dialect: 'postgres', url: viaProxy.toString(), cleanup: () => real.cleanup() };
    s = await startTestServer({ db });
  });
  after(async () => {
    await proxy.start().catch(() => {});
    await s?.close();
    await proxy.cut();
  });

  it('answers 503 with Retry-After while the database is down, then recovers by itself', async (t) => {
    const live = await tokensFor(s);
    await proxy.cut();
    let sent = 0;
    const expectUnavailable = async (what: string, res: Response) => {
      sent++;
      const body = await res.text();
      assert.equal(res.status, 503, `${what}: ${body}`);
      assert.equal(res.headers.get('retry-after'), '5', what);
      return body;
    };
    const tokenRes = await fetch(`${s.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: live.refresh_token,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      }),
    });
    assert.deepEqual(JSON.parse(await expectUnavailable('token', tokenRes)), {
      error: 'temporarily_unavailable',
      error_description: 'the service is temporarily unavailable; try again in a few seconds',
    });
    assert.equal(tokenRes.headers.get('cache-control'), 'no-store');
    const api = await fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${live.access_token}` } });
    assert.equal(JSON.parse(await expectUnavailable('api', api)).error, 'temporarily_unavailable');
    const page = await fetch(`${s.url}${authorizeUrl(s)}`, { redirect: 'manual' });
    assert.match(await expectUnavailable('authorize', page), /temporarily unavailable/);
    const ready = await fetch(`${s.url}/readyz`);
    assert.deepEqual(JSON.parse(await expectUnavailable('readyz', ready)), { status: 'database unreachable' });
    const health = await fetch(`${s.url}/healthz`);
    assert.equal(health.status, 200, 'liveness does not depend on the database');
    await health.arrayBuffer();
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /^shouquan_db_up 0$/m);
    assert.match(metrics, /^shouquan_db_unavailable_total [1-9]/m);
    await proxy.start();
    // The pool reconnects on the next request: no restart of Shouquan needed.
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      const r = await fetch(`${s.url}/readyz`);
      await r.arrayBuffer();
      recovered = r.status === 200;
      if (!recovered) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(recovered, 'ready again after the database came back');
    const refreshed = await token(s, { grant_type: 'refresh_token', refresh_token: live.refresh_token });
    assert.equal(refreshed.status, 200, refreshed.text);
    t.diagnostic(`requests sent during the outage: ${sent} (all 503 with Retry-After); recovered; lost tokens: 0`);
  });
});
