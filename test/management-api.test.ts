import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOperatorToken } from '../src/management/operator-tokens.js';
import { checkPasswordResetToken } from '../src/sellers/password-reset.js';
import { buildServer, createCoreContext, openStorage } from '../src/runtime.js';
import type { Storage } from '../src/storage/ports.js';
import { testDialects } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { accessWorks, authorizeUrl, tokensFor } from './helpers/oauth.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { waitFor } from './helpers/gateway.js';

const dialects = await testDialects();
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A JSON call to the management API. */
async function api(
  s: TestServer,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${s.url}/admin/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

for (const dialect of dialects) {
  describe(`management API (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let rw = '';
    let ro = '';
    const hooks: string[] = [];
    let hookServer: Server;
    let hookUrl = '';
    before(async () => {
      s = await startTestServer({
        db: await dialect.fresh(),
        gateway: { webhookPollMs: 20, webhookBackoffMs: 1, webhookMaxBackoffMs: 1 },
      });
      rw = (
        await createOperatorToken(s.core.storage, {
          name: 'deploy',
          readOnly: false,
          createdBy: 'cli',
          now: s.core.now(),
        })
      ).token;
      ro = (
        await createOperatorToken(s.core.storage, {
          name: 'dashboard',
          readOnly: true,
          createdBy: 'cli',
          now: s.core.now(),
        })
      ).token;
      hookServer = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          hooks.push(body);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
      hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
    });
    after(async () => {
      await s?.close();
      await new Promise((r) => hookServer?.close(r));
    });

    it('answers 401 without a valid token and 403 for a write with a read-only one, as JSON errors', async () => {
      const none = await api(s, 'GET', '/apps', undefined);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="shouquan-admin"');
      assert.deepEqual(none.json, {
        error: 'unauthorized',
        message: 'send an operator API token: Authorization: Bearer <token> (shouquan operator token create)',
      });
      const wrong = await api(s, 'GET', '/apps', 'sqo_not-a-token');
      assert.deepEqual(
        [wrong.status, wrong.json],
        [401, { error: 'unauthorized', message: 'the operator API token is unknown or revoked' }],
      );
      const write = await api(s, 'POST', '/apps', ro, { name: 'X', callbacks: ['https://x.example/cb'] });
      assert.deepEqual(
        [write.status, write.json],
        [403, { error: 'forbidden', message: 'token "dashboard" is read-only; this POST needs a read-write token' }],
      );
      assert.equal((await api(s, 'GET', '/apps', ro)).status, 200);
      const missing = await api(s, 'GET', '/nothing-here', rw);
      assert.deepEqual(
        [missing.status, missing.json],
        [404, { error: 'not_found', message: 'no route for GET /admin/api/v1/nothing-here' }],
      );
    });

    it('creates an app (201, secret once), refuses unknown and mistyped fields, and shows it', async () => {
      const created = await api(s, 'POST', '/apps', rw, {
        name: 'Inventory Sync',
        callbacks: ['https://sync.example.com/cb'],
        status: 'testing',
      });
      assert.equal(created.status, 201);
      const { app_key, app_secret, created_at, ...rest } = created.json;
      assert.match(app_key, /^\d{8}$/);
      assert.match(app_secret, /^[0-9a-f]{32}$/);
      assert.match(created_at, ISO);
      assert.deepEqual(rest, {
        name: 'Inventory Sync',
        status: 'testing',
        callbacks: ['https://sync.example.com/cb'],
        scopes: ['seller'],
        permissions: null,
        quota_per_day: null,
        quota_per_second: null,
        receiver_quota_per_day: null,
        webhook_url: null,
        topics: [],
        description: null,
        logo_url: null,
        developer_id: null,
        previous_secret_expires_at: null,
        require_subscription: false,
        purchase_url: null,
      });
      const shown = await api(s, 'GET', `/apps/${app_key}`, ro);
      assert.deepEqual(shown.json, { app_key, ...rest, created_at }, 'the same app, without the secret');

      const unknown = await api(s, 'POST', '/apps', rw, {
        name: 'X',
        callbacks: ['https://x.example/cb'],
        colour: 'red',
      });
      assert.deepEqual(
        [unknown.status, unknown.json],
        [400, { error: 'invalid_request', message: 'unknown field "colour" in the body' }],
      );
      const unknownPatch = await api(s, 'PATCH', `/apps/${app_key}`, rw, {
        name: 'Y',
        callback: ['https://x.example/cb'],
      });
      assert.deepEqual(
        [unknownPatch.status, unknownPatch.json],
        [400, { error: 'invalid_request', message: 'unknown field "callback" in the body' }],
      );
      assert.equal(
        (await api(s, 'GET', `/apps/${app_key}`, ro)).json.name,
        'Inventory Sync',
        'nothing changed by the refused PATCH',
      );
      const typed = await api(s, 'POST', '/apps', rw, { name: 1, callbacks: ['https://x.example/cb'] });
      assert.deepEqual(
        [typed.status, typed.json],
        [400, { error: 'invalid_request', message: 'body.name must be string' }],
      );
      const badUrl = await api(s, 'POST', '/apps', rw, { name: 'X', callbacks: ['https://x.example/cb#frag'] });
      assert.deepEqual(
        [badUrl.status, badUrl.json],
        [
          400,
          {
            error: 'invalid_request',
            message: 'callback "https://x.example/cb#frag" may not contain a fragment (RFC 6749 §3.1.2)',
          },
        ],
      );
      const notJson = await api(s, 'POST', '/apps', rw, 'name=x', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.deepEqual([notJson.status, notJson.json.error], [400, 'invalid_request']);
      const unknownQuery = await api(s, 'GET', '/apps?colour=red', rw);
      assert.deepEqual(
        [unknownQuery.status, unknownQuery.json],
        [400, { error: 'invalid_request', message: 'unknown field "colour" in the query' }],
      );
      const nope = await api(s, 'GET', '/apps/99999999', rw);
      assert.deepEqual(
        [nope.status, nope.json],
        [404, { error: 'not_found', message: 'no app with app_key 99999999' }],
      );
    });

    it('lists apps with status and q filters, limit and cursor', async () => {
      for (const name of ['Paging Alpha', 'Paging Beta', 'Paging Gamma'])
        assert.equal((await api(s, 'POST', '/apps', rw, { name, callbacks: ['https://p.example/cb'] })).status, 201);
      const first = await api(s, 'GET', '/apps?q=paging&limit=2', ro);
      assert.equal(first.status, 200);
      assert.equal(first.json.items.length, 2);
      assert.equal(typeof first.json.next_cursor, 'string');
      const second = await api(s, 'GET', `/apps?q=paging&limit=2&cursor=${first.json.next_cursor}`, ro);
      assert.deepEqual([second.json.items.length, second.json.next_cursor], [1, null]);
      const names = [...first.json.items, ...second.json.items].map((a: { name: string }) => a.name).sort();
      assert.deepEqual(names, ['Paging Alpha', 'Paging Beta', 'Paging Gamma']);
      const testing = await api(s, 'GET', '/apps?status=testing', ro);
      assert.deepEqual(
        testing.json.items.map((a: { name: string }) => a.name),
        ['Inventory Sync'],
      );
      const bad = await api(s, 'GET', '/apps?cursor=garbage', ro);
      assert.deepEqual(
        [bad.status, bad.json],
        [400, { error: 'invalid_request', message: 'cursor is not one this list gave out' }],
      );
      const badLimit = await api(s, 'GET', '/apps?limit=0', ro);
      assert.deepEqual(
        [badLimit.status, badLimit.json],
        [400, { error: 'invalid_request', message: 'query.limit must be >= 1' }],
      );
    });

    it('a callback changed through the API works at once here and on another node within the cache bound', async () => {
      const node2 = await startNode(s);
      try {
        const newCallback = 'https://new.example.com/cb';
        // Node 2 has the app in its cache with the old callback.
        assert.equal((await node2.core.storage.apps.find(s.client.appKey))?.callbackUrls[0], s.client.callback);
        const patched = await api(s, 'PATCH', `/apps/${s.client.appKey}`, rw, {
          callbacks: [s.client.callback, newCallback],
          permissions: ['orders.read', 'store'],
          quota_per_day: 5000,
          receiver_quota_per_day: 40,
        });
        assert.equal(patched.status, 200);
        assert.deepEqual(
          [
            patched.json.callbacks,
            patched.json.permissions,
            patched.json.quota_per_day,
            patched.json.quota_per_second,
            patched.json.receiver_quota_per_day,
          ],
          [[s.client.callback, newCallback], ['orders.read', 'store'], 5000, null, 40],
        );
        const bad = await api(s, 'PATCH', `/apps/${s.client.appKey}`, rw, { receiver_quota_per_day: 0 });
        assert.equal(bad.status, 400);
        const here = await fetch(`${s.url}${authorizeUrl(s, { redirect_uri: newCallback })}`, { redirect: 'manual' });
        assert.equal(here.status, 303, 'this node accepts the new callback at once');
        await waitFor(async () => {
          const res = await fetch(`${node2.url}${authorizeUrl(s, { redirect_uri: newCallback })}`, {
            redirect: 'manual',
          });
          await res.arrayBuffer();
          return res.status === 303;
        }, 'the other node to see the new callback');
      } finally {
        await node2.close();
      }
    });

    it('a suspended app gets no tokens and makes no API calls; live again, it does', async () => {
      const tokens = await tokensFor(s);
      assert.equal(await accessWorks(s, tokens.access_token), true);
      const suspended = await api(s, 'PATCH', `/apps/${s.client.appKey}`, rw, { status: 'suspended' });
      assert.equal(suspended.json.status, 'suspended');
      assert.equal(await accessWorks(s, tokens.access_token), false);
      const refresh = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.deepEqual([refresh.status, refresh.json.error], [401, 'invalid_client']);
      await api(s, 'PATCH', `/apps/${s.client.appKey}`, rw, { status: 'live' });
      assert.equal(await accessWorks(s, tokens.access_token), true);
      const wrongStatus = await api(s, 'PATCH', `/apps/${s.client.appKey}`, rw, { status: 'submitted' });
      assert.deepEqual(
        [wrongStatus.status, wrongStatus.json],
        [400, { error: 'invalid_request', message: 'body.status must be equal to one of the allowed values' }],
      );
    });

    it('rotates a secret: the new one works, the old one for the overlap', async () => {
      const created = await api(s, 'POST', '/apps', rw, { name: 'Rotating', callbacks: ['https://r.example/cb'] });
      const { app_key, app_secret } = created.json;
      const rotated = await api(s, 'POST', `/apps/${app_key}/rotate-secret`, rw, { overlap_hours: 2 });
      assert.equal(rotated.status, 200);
      assert.deepEqual(Object.keys(rotated.json), ['app_key', 'app_secret', 'previous_secret_expires_at']);
      assert.notEqual(rotated.json.app_secret, app_secret);
      const introspect = (secret: string) =>
        postForm(`${s.url}/oauth/introspect`, { token: 'nothing', client_id: app_key, client_secret: secret });
      assert.equal((await introspect(rotated.json.app_secret)).status, 200);
      assert.equal((await introspect(app_secret)).status, 200, 'the old secret works during the overlap');
      const now = await api(s, 'POST', `/apps/${app_key}/rotate-secret`, rw, { overlap_hours: 0 });
      assert.equal(now.json.previous_secret_expires_at, null);
      assert.equal((await introspect(rotated.json.app_secret)).status, 401);
      const tooLong = await api(s, 'POST', `/apps/${app_key}/rotate-secret`, rw, { overlap_hours: 500 });
      assert.deepEqual(
        [tooLong.status, tooLong.json],
        [400, { error: 'invalid_request', message: 'body.overlap_hours must be <= 168' }],
      );
    });

    it('creates, shows, disables and changes the stores of a seller', async () => {
      const created = await api(s, 'POST', '/sellers', rw, {
        username: 'api-seller',
        password: 'api seller password',
        stores: [{ name: 'API Store' }],
      });
      assert.equal(created.status, 201);
      const { seller_id, created_at, stores } = created.json;
      assert.match(created_at, ISO);
      assert.deepEqual(created.json, {
        seller_id,
        username: 'api-seller',
        disabled: false,
        disabled_at: null,
        created_at,
        stores: [{ store_id: stores[0].store_id, name: 'API Store' }],
      });
      const taken = await api(s, 'POST', '/sellers', rw, {
        username: 'api-seller',
        password: 'api seller password',
        stores: [{ name: 'S' }],
      });
      assert.deepEqual(
        [taken.status, taken.json],
        [409, { error: 'conflict', message: 'username "api-seller" is already taken' }],
      );
      assert.deepEqual((await api(s, 'GET', `/sellers/${seller_id}`, ro)).json, created.json);
      const listed = await api(s, 'GET', '/sellers?q=API-SEL', ro);
      assert.deepEqual(listed.json, { items: [created.json], next_cursor: null });

      const changed = await api(s, 'PATCH', `/sellers/${seller_id}`, rw, {
        stores: [{ store_id: stores[0].store_id, name: 'API Store (renamed)' }, { name: 'Second Store' }],
      });
      assert.equal(changed.status, 200);
      assert.deepEqual(
        changed.json.stores.map((x: { name: string }) => x.name),
        ['API Store (renamed)', 'Second Store'],
      );
      const dropped = await api(s, 'PATCH', `/sellers/${seller_id}`, rw, { stores: [{ name: 'Only New' }] });
      assert.equal(dropped.status, 400);
      assert.match(dropped.json.message, /^stores cannot be removed \(grants name them\): list store \d+, \d+ too$/);

      // Disabled: the right password is refused with a clear page; enabled again, it works.
      const disabled = await api(s, 'PATCH', `/sellers/${seller_id}`, rw, { disabled: true });
      assert.deepEqual([disabled.json.disabled, ISO.test(disabled.json.disabled_at)], [true, true]);
      await assert.rejects(
        authorizeThroughForms(s.url, authorizeUrl(s), {
          username: 'api-seller',
          password: 'api seller password',
          client: new FormClient(s.url),
        }),
      );
      const login = await postForm(`${s.url}/account/login`, {
        username: 'api-seller',
        password: 'api seller password',
      });
      assert.notEqual(login.status, 303);
      await api(s, 'PATCH', `/sellers/${seller_id}`, rw, { disabled: false });
      const { location } = await authorizeThroughForms(s.url, authorizeUrl(s), {
        username: 'api-seller',
        password: 'api seller password',
        client: new FormClient(s.url),
      });
      assert.ok(new URL(location).searchParams.get('code'));
      assert.deepEqual((await api(s, 'GET', '/sellers/abc', ro)).json, {
        error: 'not_found',
        message: 'no seller with seller_id abc',
      });
    });

    it('lists grants and revokes one: its tokens stop at once and the webhook fires', async () => {
      await api(s, 'PATCH', `/apps/${s.client.appKey}`, rw, { webhook_url: hookUrl });
      const tokens = await tokensFor(s);
      const grants = await api(
        s,
        'GET',
        `/grants?app_key=${s.client.appKey}&seller_id=${s.seller.sellerId}&status=live`,
        ro,
      );
      assert.equal(grants.status, 200);
      assert.equal(grants.json.items.length, 1);
      const g = grants.json.items[0];
      assert.deepEqual(
        { ...g, grant_id: 'x', created_at: 'x' },
        {
          grant_id: 'x',
          app_key: s.client.appKey,
          seller_id: String(s.seller.sellerId),
          store_id: String(s.seller.stores[0]!.storeId),
          store_ids: [String(s.seller.stores[0]!.storeId)],
          scope: 'seller',
          status: 'live',
          created_at: 'x',
          revoked_at: null,
          revoked_reason: null,
        },
      );
      const revoked = await api(s, 'DELETE', `/grants/${g.grant_id}`, rw);
      assert.equal(revoked.status, 200);
      assert.deepEqual(
        [revoked.json.status, revoked.json.revoked_reason, ISO.test(revoked.json.revoked_at)],
        ['revoked', 'revoked_by_operator', true],
      );
      assert.equal(await accessWorks(s, tokens.access_token), false);
      const hook = await waitFor(
        async () => hooks.map((h) => JSON.parse(h)).find((h) => h.event_id === `${g.grant_id}:authorization.revoked`),
        'the webhook',
      );
      assert.equal(hook.event, 'authorization.revoked');
      assert.equal(hook.reason, 'revoked_by_operator');
      assert.deepEqual((await api(s, 'DELETE', '/grants/nope', rw)).json, {
        error: 'not_found',
        message: 'no grant with grant_id nope',
      });
      await tokensFor(s); // a new grant, since the last one was revoked
      const all = await api(s, 'GET', `/grants?app_key=${s.client.appKey}&limit=1`, ro);
      assert.equal(all.json.items.length, 1);
      assert.equal(typeof all.json.next_cursor, 'string');
    });

    it('audits every use of a token and filters the audit log by action, actor and since, with a cursor', async () => {
      const since = new Date(s.core.now() - 60_000).toISOString();
      const used = await api(
        s,
        'GET',
        `/audit?action=operator_token.used&actor=token:dashboard&since=${since}&limit=2`,
        ro,
      );
      assert.equal(used.status, 200);
      assert.equal(used.json.items.length, 2);
      const e = used.json.items[0];
      assert.deepEqual(
        { ...e, id: 'x', at: 'x', subject: 'x' },
        {
          id: 'x',
          at: 'x',
          action: 'operator_token.used',
          actor: 'token:dashboard',
          app_key: null,
          seller_id: null,
          subject: 'x',
          detail: e.detail,
        },
      );
      assert.deepEqual(Object.keys(e.detail).sort(), ['method', 'path', 'status']);
      const next = await api(
        s,
        'GET',
        `/audit?action=operator_token.used&actor=token:dashboard&limit=2&cursor=${used.json.next_cursor}`,
        ro,
      );
      assert.ok(Number(next.json.items[0].id) < Number(used.json.items[1].id), 'the next page is older');
      // Refusals are audited too (the 403 above).
      const refused = await api(s, 'GET', '/audit?action=operator_token.used&actor=token:dashboard&limit=200', ro);
      assert.ok(
        refused.json.items.some(
          (x: { detail: { status: number; method: string } }) => x.detail.status === 403 && x.detail.method === 'POST',
        ),
      );
      const changes = await api(s, 'GET', '/audit?action=app.*&actor=token:deploy', ro);
      assert.ok(changes.json.items.some((x: { action: string }) => x.action === 'app.updated'));
      assert.ok(changes.json.items.some((x: { action: string }) => x.action === 'app.created'));
      const badSince = await api(s, 'GET', '/audit?since=yesterday', ro);
      assert.deepEqual(badSince.json, {
        error: 'invalid_request',
        message: 'since must be an RFC 3339 time such as 2026-12-01T00:00:00Z, or epoch milliseconds',
      });
    });

    it('issues a one-time password reset link for a built-in seller', async () => {
      const created = await api(s, 'POST', '/sellers', rw, { username: 'reset-me', stores: [{ name: 'Reset Store' }] });
      const { seller_id } = created.json;
      const issued = await api(s, 'POST', `/sellers/${seller_id}/password-reset`, rw, { ttl_hours: 2 });
      assert.equal(issued.status, 201);
      const { reset_url, expires_at } = issued.json;
      assert.deepEqual(issued.json, { seller_id, username: 'reset-me', reset_url, expires_at });
      assert.match(reset_url, /\/account\/reset-password\?token=[A-Za-z0-9_-]{43}$/);
      assert.equal(Date.parse(expires_at) - s.core.now() <= 2 * 3_600_000, true);
      const token = new URL(reset_url).searchParams.get('token')!;
      assert.equal((await checkPasswordResetToken(s.core.storage, token, s.core.now()))?.username, 'reset-me');
      // A newer link ends the older one.
      const again = await api(s, 'POST', `/sellers/${seller_id}/password-reset`, rw, {});
      assert.equal(again.status, 201);
      assert.equal(await checkPasswordResetToken(s.core.storage, token, s.core.now()), undefined);
      const readOnly = await api(s, 'POST', `/sellers/${seller_id}/password-reset`, ro, {});
      assert.equal(readOnly.status, 403);
      const unknown = await api(s, 'POST', '/sellers/999999/password-reset', rw, {});
      assert.deepEqual(
        [unknown.status, unknown.json],
        [404, { error: 'not_found', message: 'no seller with seller_id 999999' }],
      );
      const badField = await api(s, 'POST', `/sellers/${seller_id}/password-reset`, rw, { ttl: 2 });
      assert.deepEqual([badField.status, badField.json.error], [400, 'invalid_request']);
      const tooLong = await api(s, 'POST', `/sellers/${seller_id}/password-reset`, rw, { ttl_hours: 500 });
      assert.equal(tooLong.status, 400);
    });

    it('describes every management route with typed schemas in /openapi.json', async () => {
      const doc = await (await fetch(`${s.url}/openapi.json`)).json();
      const ops = Object.entries(doc.paths).filter(([p]) => p.startsWith('/admin/api/v1/'));
      assert.deepEqual(
        ops
          .map(
            ([p, o]) =>
              `${p} ${Object.keys(o as object)
                .sort()
                .join(',')}`,
          )
          .sort(),
        [
          '/admin/api/v1/apps get,post',
          '/admin/api/v1/apps/{app_key} get,patch',
          '/admin/api/v1/apps/{app_key}/rotate-secret post',
          '/admin/api/v1/audit get',
          '/admin/api/v1/events post',
          '/admin/api/v1/grants get',
          '/admin/api/v1/grants/{grant_id} delete',
          '/admin/api/v1/operators/{username}/reset-totp post',
          '/admin/api/v1/sellers get,post',
          '/admin/api/v1/sellers/{seller_id} get,patch',
          '/admin/api/v1/sellers/{seller_id}/password-reset post',
          '/admin/api/v1/subscriptions get,post',
          '/admin/api/v1/subscriptions/{subscription_id} get',
          '/admin/api/v1/subscriptions/{subscription_id}/cancel post',
          '/admin/api/v1/subscriptions/{subscription_id}/renew post',
        ],
      );
      assert.deepEqual(
        doc.paths['/admin/api/v1/apps/{app_key}'].get.responses['200'].content['application/json'].schema,
        { $ref: '#/components/schemas/App' },
      );
      assert.deepEqual(
        doc.paths['/admin/api/v1/apps'].get.responses['200'].content['application/json'].schema.properties.items.items,
        { $ref: '#/components/schemas/App' },
      );
      assert.equal(doc.components.schemas.AppUpdate.additionalProperties, false);
      assert.deepEqual(
        doc.paths['/admin/api/v1/operators/{username}/reset-totp'].post.responses['200'].content['application/json']
          .schema,
        { $ref: '#/components/schemas/OperatorTotpReset' },
      );
    });
  });
}

/** A second server process-alike on the same database: its own storage and app cache. */
async function startNode(s: TestServer): Promise<{ url: string; core: { storage: Storage }; close(): Promise<void> }> {
  const storage = await openStorage(s.db.url);
  const core = await createCoreContext({ storage, profile: s.core.profile, issuer: 'http://127.0.0.1' });
  const server = await buildServer({ core, logger: false });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  core.issuer = url;
  return {
    url,
    core,
    async close() {
      await server.close();
      await storage.close();
    },
  };
}
