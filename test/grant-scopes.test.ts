import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { restCall, topCall } from './helpers/gateway.js';
import { csrfOf, page } from './helpers/console.js';
import { createApp } from '../src/apps/apps.js';
import { fillSandboxData } from '../src/gateway/sandbox-data.js';

/**
 * Issue 19 part 3: the seller chooses the permission packages (standard profile, ADR 0136).
 * Exact bodies; SQLite and PostgreSQL.
 */
for (const dialect of await testDialects()) {
  describe(`the seller chooses the permissions (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let browser: FormClient;
    before(async () => {
      s = await startTestServer({
        db: await dialect.fresh(),
        gateway: { defaultQuotaPerSecond: 100_000, webhookPollMs: 0 },
      });
      await fillSandboxData(s.core.storage.gateway!, s.seller.stores, Date.now());
      browser = new FormClient(s.url);
    });
    after(async () => s?.close());

    const storeA = () => s.seller.stores[0]!.storeId;
    const authorizeUrl = (scope?: string, client = s.client) =>
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.appKey, redirect_uri: client.callback, state: 'st', ...(scope !== undefined && { scope }) })}`;
    async function consent(scope: string | undefined, ticked: string[] | undefined) {
      const { location } = await authorizeThroughForms(s.url, authorizeUrl(scope), {
        username: s.seller.username,
        password: s.seller.password,
        storeIds: [storeA()],
        scopes: ticked,
        client: browser,
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
      return res.json as {
        access_token: string;
        refresh_token: string;
        token_type: string;
        expires_in: number;
        scope: string;
      };
    }
    const endGrant = async () => {
      const live = await s.core.storage.grants.findLive(s.client.appKey, s.seller.sellerId);
      if (live) await s.core.storage.grants.revoke(live.grantId, s.core.now(), 'test');
    };

    it('lists each requested package in plain words as a scope checkbox, ticked; store.read cannot be unticked', async () => {
      let res = await browser.get(authorizeUrl('orders.read products.write'));
      await res.arrayBuffer();
      const interaction = res.headers.get('location')!;
      res = await browser.get(interaction);
      let html = await res.text();
      if (html.includes('name="password"')) {
        res = await browser.post(/<form method="post" action="([^"]+)"/.exec(html)![1]!, {
          csrf_token: csrfOf(html),
          username: s.seller.username,
          password: s.seller.password,
        });
        await res.arrayBuffer();
      }
      html = await (await browser.get(`${interaction}?lang=en`)).text();
      assert.match(html, /Choose what it may do \(untick what you do not want to allow\):/);
      const boxes = [...html.matchAll(/<input type="checkbox" name="scope" value="([^"]+)"([^>]*)>/g)].map(
        (m) => `${m[1]}${m[2]}`,
      );
      assert.deepEqual(boxes, ['store.read checked disabled', 'orders.read checked', 'products.write checked']);
      assert.match(
        html,
        /<input type="hidden" name="scope" value="store.read"><span>See the store&#39;s name and settings <small class="meta">\(always granted\)<\/small>/,
      );
      assert.match(html, /<span>See your orders \(buyers&#39; names, phones and addresses masked\)<\/span>/);
      assert.match(html, /<span>Create and change products, prices and stock<\/span>/);
      const zh = await (await browser.get(`${interaction}?lang=zh-CN`)).text();
      assert.match(zh, /<span>查看您的订单（买家姓名、电话和地址已脱敏）<\/span>/);
      assert.match(zh, /（取消勾选您不想授予的权限）/);
    });

    it('grants only what the seller left ticked: the token response says so, the gateway refuses the rest', async () => {
      await endGrant();
      const t = await consent('orders.read products.read products.write', ['store.read', 'orders.read']);
      assert.deepEqual(
        { ...t, access_token: 'x', refresh_token: 'y' },
        {
          access_token: 'x',
          token_type: 'bearer',
          expires_in: 7200,
          refresh_token: 'y',
          scope: 'store.read orders.read',
          seller_id: s.seller.sellerId,
          store_id: storeA(),
        },
      );
      assert.equal((await restCall(s, 'GET', '/api/v1/orders', t.access_token)).status, 200);
      assert.equal((await restCall(s, 'GET', '/api/v1/store/settings', t.access_token)).status, 200);
      const rest = await restCall(s, 'GET', '/api/v1/products', t.access_token);
      assert.equal(rest.status, 403);
      assert.deepEqual(
        { ...rest.json, request_id: 'x' },
        {
          error: 'insufficient_scope',
          error_description:
            'the seller did not grant products.read (granted scope: store.read orders.read), which shouquan.products.list needs',
          code: 11,
          sub_code: 'isv.permission-user-scope',
          request_id: 'x',
        },
      );
      const router = await topCall(
        s,
        'shouquan.orders.ship',
        { order_id: '1', logistics_company: 'EMS', tracking_no: '1' },
        t.access_token,
      );
      assert.deepEqual(
        { ...router.json.error_response, request_id: 'x' },
        {
          code: 11,
          msg: 'Insufficient isv permissions',
          sub_code: 'isv.permission-user-scope',
          sub_msg:
            'the seller did not grant orders.write (granted scope: store.read orders.read), which shouquan.orders.ship needs',
          request_id: 'x',
        },
      );
    });

    it('store.read is granted even when the form leaves it out; a package the page did not offer is refused', async () => {
      await endGrant();
      const t = await consent('orders.read', ['orders.read']);
      assert.equal(t.scope, 'store.read orders.read');
      await assert.rejects(
        consent('orders.read', ['orders.read', 'orders.write']),
        /consent answered 400: .*Tick only the permissions this page offers\./s,
      );
    });

    it('the seller scope of existing apps: left whole it stays "seller", partly unticked it becomes its packages', async () => {
      await endGrant();
      const whole = await consent(undefined, undefined);
      assert.equal(whole.scope, 'seller');
      await endGrant();
      const ticked = await consent('seller', [
        'store.read',
        'store.write',
        'products.read',
        'products.write',
        'orders.read',
        'orders.write',
      ]);
      assert.equal(ticked.scope, 'seller');
      await endGrant();
      const part = await consent('seller', ['store.read', 'orders.read', 'orders.write']);
      assert.equal(part.scope, 'store.read orders.read orders.write');
      assert.equal((await restCall(s, 'GET', '/api/v1/products', part.access_token)).status, 403);
    });

    it('limits the request to what the app may ask for', async () => {
      const narrow = await createApp(s.core.storage, s.core.secretKey, {
        name: 'Orders Only',
        callbacks: [s.client.callback],
        scopes: ['orders.read'],
        status: 'live',
      });
      const res = await fetch(
        `${s.url}${authorizeUrl('orders.read products.read', { appKey: narrow.appKey, appSecret: narrow.appSecret, callback: s.client.callback })}`,
        { redirect: 'manual' },
      );
      assert.equal(res.status, 303);
      const cb = new URL(res.headers.get('location')!);
      assert.deepEqual(Object.fromEntries(cb.searchParams), {
        error: 'invalid_scope',
        error_description: 'this app may not request scope products.read',
        state: 'st',
        iss: s.url,
      });
      // An app with `seller` may ask for any of its packages.
      const ok = await fetch(`${s.url}${authorizeUrl('products.write')}`, { redirect: 'manual' });
      assert.match(ok.headers.get('location') ?? '', /^\/oauth\/interaction\//);
    });

    it('the seller center narrows a live grant: its tokens lose the package at once, refreshes say so', async () => {
      await endGrant();
      const t = await consent(undefined, undefined);
      assert.equal((await restCall(s, 'GET', '/api/v1/products', t.access_token)).status, 200);
      const home = await page(browser, '/account?lang=en');
      assert.match(home.html, /<summary>Change permissions<\/summary>/);
      const action = /action="(\/account\/authorizations\/[^"]+\/scope)"/.exec(home.html)![1]!;
      const res = await browser.post(action, [
        ['csrf_token', csrfOf(home.html)],
        ['scope', 'store.read'],
        ['scope', 'orders.read'],
        ['scope', 'products.read'],
      ]);
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/account?done=narrowed');
      await res.arrayBuffer();
      assert.equal((await restCall(s, 'GET', '/api/v1/products', t.access_token)).status, 200);
      const refused = await restCall(s, 'PATCH', '/api/v1/store/settings', t.access_token, { description: 'x' });
      assert.equal(refused.status, 403);
      assert.equal(
        refused.json.error_description,
        'the seller did not grant store.write (granted scope: store.read products.read orders.read), which shouquan.store.settings.update needs',
      );
      const live = await s.core.storage.grants.findLive(s.client.appKey, s.seller.sellerId);
      assert.deepEqual(live?.scope, ['store.read', 'products.read', 'orders.read']);
      const refreshed = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: t.refresh_token,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.equal(refreshed.json.scope, 'store.read products.read orders.read');
      const after = await page(browser, '/account?done=narrowed&lang=en');
      assert.match(after.html, /Permissions changed/);
    });
  });
}
