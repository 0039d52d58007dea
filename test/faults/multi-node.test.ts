// Three Shouquan processes on one PostgreSQL behind a round-robin client (issue 6): a flow hops
// between processes at every step, a revoke on one is seen by the others at once, concurrent
// redemptions through different processes have exactly one winner, and concurrent refreshes one
// rotation whose successor every process hands out (issue 19, docs/adr/0100).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSeller } from '../../src/admin.js';
import { createApp } from '../../src/apps/apps.js';
import { loadSecretKey, openStorage } from '../../src/runtime.js';
import { freshPostgres, postgresAvailable, PG_SKIP, type TestDatabase } from '../helpers/databases.js';
import { RoundRobinBrowser, spawnServer, type ServerProcess } from '../helpers/processes.js';

const pgUp = await postgresAvailable();
const ISSUER = 'https://auth.shouquan.test';
const CALLBACK = 'https://isv.example.com/callback';

describe('three processes on one PostgreSQL', { skip: pgUp ? false : PG_SKIP }, () => {
  let db: TestDatabase;
  let nodes: ServerProcess[] = [];
  let client: { appKey: string; appSecret: string };
  const seller = { username: 'hopper', password: 'correct horse battery' };
  let storeId = 0;
  let sent = 0;

  before(async () => {
    db = await freshPostgres();
    const storage = await openStorage(db.url);
    try {
      const key = await loadSecretKey(storage);
      client = await createApp(storage, key, { name: 'Hop App', callbacks: [CALLBACK] });
      storeId = (await createSeller(storage, { ...seller, stores: ['Hop Store'] })).stores[0]!.storeId;
    } finally {
      await storage.close();
    }
    nodes = await Promise.all([0, 1, 2].map(() => spawnServer(db.url, ['--issuer', ISSUER])));
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await db?.cleanup();
  });

  const tokenAt = async (node: number, form: Record<string, string>) => {
    sent++;
    const res = await fetch(`${nodes[node % nodes.length]!.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.appKey, client_secret: client.appSecret, ...form }),
    });
    return { status: res.status, json: JSON.parse(await res.text()) };
  };
  const storeAt = async (node: number, accessToken: string) => {
    sent++;
    const res = await fetch(`${nodes[node % nodes.length]!.url}/api/v1/store`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    await res.arrayBuffer();
    return res.status;
  };

  /** Authorize with every step on the next process; returns the code. */
  async function hopForCode(): Promise<{ code: string; visited: string[] }> {
    const b = new RoundRobinBrowser(nodes.map((n) => n.url));
    let res = await b.request(
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.appKey, redirect_uri: CALLBACK, state: 'hop' })}`,
    );
    assert.equal(res.status, 303);
    const interaction = res.headers.get('location')!;
    let page = await (await b.request(interaction)).text();
    if (page.includes('name="password"')) {
      res = await b.request(`${interaction}/login`, {
        csrf_token: /name="csrf_token" value="([^"]+)"/.exec(page)![1]!,
        ...seller,
      });
      assert.equal(res.status, 303, 'login on another process');
      page = await (await b.request(interaction)).text();
    }
    res = await b.request(`${interaction}/consent`, {
      csrf_token: /name="csrf_token" value="([^"]+)"/.exec(page)![1]!,
      store_id: String(storeId),
      decision: 'approve',
    });
    assert.equal(res.status, 303, 'consent on another process');
    const cb = new URL(res.headers.get('location')!);
    assert.equal(cb.searchParams.get('iss'), ISSUER);
    sent += b.visited.length;
    return { code: cb.searchParams.get('code')!, visited: b.visited };
  }

  it('a flow hops between processes at every step', async (t) => {
    const { code, visited } = await hopForCode();
    assert.ok(new Set(visited).size === 3, 'every process served a step');
    const tokens = await tokenAt(1, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.json));
    assert.equal(await storeAt(2, tokens.json.access_token), 200);
    const refreshed = await tokenAt(0, { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token });
    assert.equal(refreshed.status, 200);
    for (let n = 0; n < 3; n++) assert.equal(await storeAt(n, refreshed.json.access_token), 200);
    t.diagnostic(
      `steps: ${visited.map((v) => nodes.findIndex((n) => n.url === v)).join('→')} then token@1 api@2 refresh@0`,
    );
  });

  it('a revoke on one process is seen by the others at once', async () => {
    const { code } = await hopForCode();
    const tokens = await tokenAt(0, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
    assert.equal(tokens.status, 200);
    for (let n = 0; n < 3; n++) assert.equal(await storeAt(n, tokens.json.access_token), 200);
    sent++;
    const revoke = await fetch(`${nodes[0]!.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: tokens.json.refresh_token,
        client_id: client.appKey,
        client_secret: client.appSecret,
      }),
    });
    assert.equal(revoke.status, 200);
    await revoke.arrayBuffer();
    assert.equal(await storeAt(1, tokens.json.access_token), 401);
    assert.equal(await storeAt(2, tokens.json.access_token), 401);
    const again = await tokenAt(2, { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token });
    assert.equal(again.json.error, 'invalid_grant');
  });

  it('concurrent refreshes through different processes: one rotation, every process answers the same successor', async (t) => {
    const { code } = await hopForCode();
    const tokens = await tokenAt(2, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        tokenAt(i, { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token }),
      ),
    );
    const statuses = results.map((r) => r.status);
    assert.deepEqual(
      statuses,
      Array.from({ length: 12 }, () => 200),
      results.map((r) => JSON.stringify(r.json)).join('\n'),
    );
    // The same successor from every process (docs/adr/0100): one rotation won, the others read its sealed answer.
    assert.equal(new Set(results.map((r) => r.json.refresh_token)).size, 1);
    assert.equal(new Set(results.map((r) => r.json.access_token)).size, 1);
    for (let n = 0; n < 3; n++) assert.equal(await storeAt(n, results[0]!.json.access_token), 200);
    // A retry on another process still gets it; once the successor's refresh token is used, the old one is reuse.
    const retry = await tokenAt(1, { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token });
    assert.equal(retry.json.refresh_token, results[0]!.json.refresh_token);
    const next = await tokenAt(2, { grant_type: 'refresh_token', refresh_token: results[0]!.json.refresh_token });
    assert.equal(next.status, 200, JSON.stringify(next.json));
    const reuse = await tokenAt(0, { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token });
    assert.equal(reuse.json.error, 'invalid_grant');
    assert.equal(await storeAt(1, next.json.access_token), 401, 'reuse revoked the grant on every process');
    t.diagnostic(`12 concurrent refreshes over 3 processes: ${statuses.join(',')}, one successor`);
  });

  it('with --refresh-grace 0 on every process, concurrent refreshes have exactly one winner (as before)', async () => {
    const strict = await Promise.all(
      [0, 1].map(() => spawnServer(db.url, ['--issuer', ISSUER, '--refresh-grace', '0'])),
    );
    try {
      const { code } = await hopForCode();
      const tokens = await tokenAt(2, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
      const results = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          sent++;
          const res = await fetch(`${strict[i % 2]!.url}/oauth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              client_id: client.appKey,
              client_secret: client.appSecret,
              grant_type: 'refresh_token',
              refresh_token: tokens.json.refresh_token,
            }),
          });
          return { status: res.status, json: JSON.parse(await res.text()) };
        }),
      );
      assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(','));
      assert.ok(results.filter((r) => r.status !== 200).every((r) => r.json.error === 'invalid_grant'));
    } finally {
      await Promise.all(strict.map((n) => n.stop()));
    }
  });

  it('concurrent redemptions of one code through different processes: exactly one winner', async () => {
    const { code } = await hopForCode();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        tokenAt(i, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(','));
  });

  it('reports what it did', (t) => {
    t.diagnostic(`multi-node: ${nodes.length} processes, ${sent} requests sent, lost: 0`);
  });
});
