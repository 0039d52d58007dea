import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { restCall, topCall } from './helpers/gateway.js';
import { csrfOf, page } from './helpers/console.js';
import { createSeller } from '../src/admin.js';
import { fillSandboxData } from '../src/gateway/sandbox-data.js';

/**
 * Issue 19 part 2: several stores in one grant (standard profile). A later consent of the same
 * seller for the same app adds stores to the live grant; earlier tokens keep working for theirs.
 */
for (const dialect of await testDialects()) {
  describe(`several stores in one grant (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let storeA: number;
    let storeB: number;
    before(async () => {
      s = await startTestServer({
        db: await dialect.fresh(),
        gateway: { defaultQuotaPerSecond: 100_000, webhookPollMs: 0 },
      });
      storeA = s.seller.stores[0]!.storeId;
      storeB = s.seller.stores[1]!.storeId;
      await fillSandboxData(s.core.storage.gateway!, s.seller.stores, Date.now());
    });
    after(async () => s?.close());

    const authorizeUrl = () =>
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'st' })}`;
    async function consent(opts: { storeIds: number[]; client?: FormClient; username?: string; password?: string }) {
      const { location, client } = await authorizeThroughForms(s.url, authorizeUrl(), {
        username: opts.username ?? s.seller.username,
        password: opts.password ?? s.seller.password,
        storeIds: opts.storeIds,
        client: opts.client,
      });
      const code = new URL(location).searchParams.get('code');
      assert.ok(code, location);
      const res = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(res.status, 200, res.text);
      return { tokens: res.json as { access_token: string; refresh_token: string; scope: string }, client };
    }
    const get = (path: string, token: string) => restCall(s, 'GET', path, token);

    it("a seller who connects store B to an app keeps the app's tokens for store A working", async () => {
      const first = await consent({ storeIds: [storeA] });
      const second = await consent({ storeIds: [storeB], client: first.client });
      // The token for store A still answers, for store A, without store_id (it covers one store).
      const a = await get('/api/v1/store', first.tokens.access_token);
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(a.json, { store_id: storeA, name: 'Store One' });
      // Its refresh token still works too, and the successor still covers store A alone.
      const refreshed = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: first.tokens.refresh_token,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.deepEqual((await get('/api/v1/stores', refreshed.json.access_token)).json, {
        stores: [{ store_id: storeA, name: 'Store One' }],
      });
      // The new token covers the grant as it now stands: both stores.
      assert.deepEqual((await get('/api/v1/stores', second.tokens.access_token)).json, {
        stores: [
          { store_id: storeA, name: 'Store One' },
          { store_id: storeB, name: 'Store Two' },
        ],
      });
      // One live grant, two stores.
      const live = await s.core.storage.grants.findLive(s.client.appKey, s.seller.sellerId);
      assert.deepEqual(live?.storeIds, [storeA, storeB]);
    });

    it('a token of several stores needs store_id on every store-scoped call, REST and router alike', async () => {
      const { tokens } = await consent({ storeIds: [storeA, storeB] });
      const missing = await get('/api/v1/orders', tokens.access_token);
      assert.equal(missing.status, 400);
      assert.deepEqual(
        { ...missing.json, request_id: undefined },
        {
          error: 'invalid_request',
          error_description: `parameter store_id is required: this token covers several stores (${storeA}, ${storeB}); list them with GET /api/v1/stores`,
          code: 40,
          sub_code: 'isv.missing-parameter:store_id',
          request_id: undefined,
        },
      );
      const plain = await get('/api/v1/store', tokens.access_token);
      assert.equal(plain.status, 400);
      assert.deepEqual(plain.json, {
        error: 'invalid_request',
        error_description: `parameter store_id is required: this token covers several stores (${storeA}, ${storeB}); list them with GET /api/v1/stores`,
      });
      assert.deepEqual((await get(`/api/v1/store?store_id=${storeB}`, tokens.access_token)).json, {
        store_id: storeB,
        name: 'Store Two',
      });

      // Each store's own orders, by store_id.
      const ordersB = await get(`/api/v1/orders?store_id=${storeB}&page_size=100`, tokens.access_token);
      assert.equal(ordersB.status, 200, ordersB.text);
      const expectedB = await s.core.storage.gateway!.data.orders({ storeId: storeB, offset: 0, limit: 100 });
      assert.deepEqual(
        ordersB.json.orders.map((o: { order_id: number }) => o.order_id),
        expectedB.items.map((o) => o.orderId),
      );
      assert.ok(expectedB.items.length > 0);

      const routerMissing = await topCall(s, 'shouquan.orders.list', {}, tokens.access_token);
      assert.deepEqual(routerMissing.json.error_response.code, 40);
      assert.equal(routerMissing.json.error_response.sub_code, 'isv.missing-parameter:store_id');
      const routerA = await topCall(s, 'shouquan.store.get', { store_id: String(storeA) }, tokens.access_token);
      assert.equal(routerA.json.shouquan_store_get_response.store.store_id, storeA);
      const routerStores = await topCall(s, 'shouquan.stores.list', {}, tokens.access_token);
      assert.deepEqual(routerStores.json.shouquan_stores_list_response.stores, [
        { store_id: storeA, name: 'Store One' },
        { store_id: storeB, name: 'Store Two' },
      ]);
    });

    it("refuses a store outside the grant like any other store's data", async () => {
      const other = await createSeller(s.core.storage, {
        username: 'other-seller',
        password: 'another good password',
        stores: ['Elsewhere'],
      });
      const foreign = other.stores[0]!.storeId;
      const { tokens } = await consent({ storeIds: [storeA] });
      const rest = await get(`/api/v1/orders?store_id=${foreign}`, tokens.access_token);
      assert.equal(rest.status, 404);
      assert.deepEqual(
        { ...rest.json, request_id: undefined },
        {
          error: 'not_found',
          error_description: `store ${foreign} does not exist or this token was not granted for it`,
          code: 15,
          sub_code: 'isv.store-not-exist',
          request_id: undefined,
        },
      );
      const router = await topCall(s, 'shouquan.products.list', { store_id: String(foreign) }, tokens.access_token);
      assert.deepEqual(
        { ...router.json.error_response, request_id: undefined },
        {
          code: 15,
          msg: 'Remote service error',
          sub_code: 'isv.store-not-exist',
          sub_msg: `store ${foreign} does not exist or this token was not granted for it`,
          request_id: undefined,
        },
      );
      const bad = await get('/api/v1/orders?store_id=abc', tokens.access_token);
      assert.equal(bad.status, 400);
      assert.equal(
        bad.json.error_description,
        'parameter store_id must be a store id (a positive whole number), got "abc"',
      );
    });

    it('the consent page lists the stores as store_id checkboxes and needs at least one', async () => {
      const client = new FormClient(s.url);
      let res = await client.get(authorizeUrl());
      await res.arrayBuffer();
      const interaction = res.headers.get('location')!;
      res = await client.get(interaction);
      let html = await res.text();
      const login = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
      res = await client.post(login, {
        csrf_token: csrfOf(html),
        username: s.seller.username,
        password: s.seller.password,
      });
      await res.arrayBuffer();
      res = await client.get(`${interaction}?lang=en`);
      html = await res.text();
      assert.match(html, /Choose the stores to authorize \(one or more\)/);
      assert.equal([...html.matchAll(/<input type="checkbox" name="store_id" value="(\d+)"/g)].length, 2);
      // The app already holds both stores under the live grant: both ticked and marked.
      assert.match(
        html,
        new RegExp(
          `name="store_id" value="${storeA}" checked><span>Store One <small class="meta">\\(already authorized\\)</small>`,
        ),
      );
      const action = /<form method="post" action="([^"]+\/consent)"/.exec(html)![1]!;
      const none = await client.post(`${action}?lang=en`, [
        ['csrf_token', csrfOf(html)],
        ['decision', 'approve'],
      ]);
      assert.equal(none.status, 400);
      assert.match(await none.text(), /Choose at least one of your stores\./);
      const foreign = await client.post(`${action}?lang=en`, [
        ['csrf_token', csrfOf(html)],
        ['store_id', String(storeA)],
        ['store_id', '999999'],
        ['decision', 'approve'],
      ]);
      assert.equal(foreign.status, 400);
      assert.match(await foreign.text(), /Choose at least one of your stores\./);
    });

    it('the seller center shows one row per app with its stores, removes one store, then the whole grant', async () => {
      const { tokens, client } = await consent({ storeIds: [storeA, storeB] });
      let home = await page(client, '/account?lang=en');
      assert.equal(home.status, 200);
      assert.equal([...home.html.matchAll(/<p class="name">Test App<\/p>/g)].length, 1);
      assert.match(home.html, /<dt>Stores<\/dt><dd><ul class="stores"><li><span>Store One<\/span>/);
      const removeB = new RegExp(`action="(/account/authorizations/[^"]+/stores/${storeB}/remove)"`).exec(
        home.html,
      )?.[1];
      assert.ok(removeB, 'a remove form per store');
      let res = await client.post(removeB, { csrf_token: csrfOf(home.html) });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/account?done=store_removed');
      await res.arrayBuffer();
      // Store B is gone for the token; store A still answers, now without store_id.
      const b = await get(`/api/v1/store?store_id=${storeB}`, tokens.access_token);
      assert.equal(b.status, 404);
      assert.deepEqual((await get('/api/v1/store', tokens.access_token)).json, { store_id: storeA, name: 'Store One' });
      home = await page(client, '/account?done=store_removed&lang=en');
      assert.match(home.html, /Store removed from the authorization/);
      assert.match(home.html, /<dt>Store<\/dt><dd>Store One<\/dd>/);
      const revoke = /action="(\/account\/authorizations\/[^"]+\/revoke)"/.exec(home.html)![1]!;
      res = await client.post(revoke, { csrf_token: csrfOf(home.html) });
      assert.equal(res.status, 303);
      await res.arrayBuffer();
      assert.equal((await get('/api/v1/store', tokens.access_token)).status, 401);
      assert.equal(await s.core.storage.grants.findLive(s.client.appKey, s.seller.sellerId), undefined);
    });
  });
}

/** Profiles whose documents say the last authorization wins keep that rule. */
for (const dialect of await testDialects()) {
  describe(`meilishuo: the last authorization wins (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ profile: 'meilishuo', db: await dialect.fresh() });
    });
    after(async () => s?.close());

    it('a consent for store B ends the tokens for store A', async () => {
      const url = `/authorize?${new URLSearchParams({ response_type: 'code', app_key: s.client.appKey, redirect_uri: s.client.callback, state: 'st' })}`;
      const tokensFor = async (storeId: number, client?: FormClient) => {
        const r = await authorizeThroughForms(s.url, url, {
          username: s.seller.username,
          password: s.seller.password,
          storeId,
          client,
        });
        const code = new URL(r.location).searchParams.get('code')!;
        const res = await postForm(`${s.url}/token`, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: s.client.callback,
          app_key: s.client.appKey,
          app_secret: s.client.appSecret,
        });
        assert.equal(res.status, 200, res.text);
        return { access: res.json.access_token as string, client: r.client };
      };
      const first = await tokensFor(s.seller.stores[0]!.storeId);
      const second = await tokensFor(s.seller.stores[1]!.storeId, first.client);
      assert.equal((await restCall(s, 'GET', '/api/v1/store', first.access)).status, 401);
      assert.deepEqual((await restCall(s, 'GET', '/api/v1/store', second.access)).json, {
        store_id: s.seller.stores[1]!.storeId,
        name: 'Store Two',
      });
    });
  });
}
