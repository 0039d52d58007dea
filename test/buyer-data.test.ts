import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { restCall, topCall } from './helpers/gateway.js';
import { page } from './helpers/console.js';
import { fillSandboxData } from '../src/gateway/sandbox-data.js';
import type { OrderRecord } from '../src/storage/gateway-ports.js';
import { updateApp } from '../src/apps/apps.js';
import { gmt8Day } from '../src/gateway/sign.js';
import { anotherApp } from './helpers/oauth.js';

/**
 * Issue 15, buyer data protection (PIPL): masked by default, `orders.pii` on purpose, audited decryption with its own
 * quota.
 */
for (const dialect of await testDialects()) {
  describe(`buyer data protection (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let browser: FormClient;
    let order: OrderRecord;
    before(async () => {
      s = await startTestServer({
        db: await dialect.fresh(),
        gateway: { defaultQuotaPerSecond: 100_000, webhookPollMs: 0, receiverQuotaPerDay: 3 },
      });
      await fillSandboxData(s.core.storage.gateway!, s.seller.stores, Date.now());
      order = (await s.core.storage.gateway!.data.orders({ storeId: s.seller.stores[0]!.storeId, offset: 0, limit: 1 }))
        .items[0]!;
      browser = new FormClient(s.url);
      // The app may ask for buyers' data (`seller` alone does not cover it).
      assert.ok(await updateApp(s.core.storage, s.client.appKey, { scopes: ['seller', 'orders.pii'] }, Date.now()));
    });
    after(async () => s?.close());

    async function consent(scope: string, ticked?: string[]) {
      const url = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'st', scope })}`;
      const { location } = await authorizeThroughForms(s.url, url, {
        username: s.seller.username,
        password: s.seller.password,
        storeIds: [s.seller.stores[0]!.storeId],
        scopes: ticked,
        client: browser,
      });
      const res = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code: new URL(location).searchParams.get('code')!,
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(res.status, 200, res.text);
      return res.json as { access_token: string; scope: string };
    }

    it('masks receivers in every order answer', async () => {
      assert.match(order.receiverPhone, /^1\d{10}$/, 'the store keeps the whole number');
      const t = await consent('orders.read');
      const rest = await restCall(s, 'GET', `/api/v1/orders/${order.orderId}`, t.access_token);
      assert.equal(rest.status, 200, rest.text);
      const [province, city, district] = order.receiverAddress.split(' ');
      assert.deepEqual(
        {
          name: rest.json.order.receiver_name,
          phone: rest.json.order.receiver_phone,
          address: rest.json.order.receiver_address,
        },
        {
          name: `${[...order.receiverName][0]}${'*'.repeat([...order.receiverName].length - 1)}`,
          phone: `${order.receiverPhone.slice(0, 3)}****${order.receiverPhone.slice(7)}`,
          address: /区$/.test(city!) ? `${province} ${city}` : `${province} ${city} ${district}`,
        },
      );
      const list = await topCall(s, 'shouquan.orders.list', { page_size: '100' }, t.access_token);
      for (const o of list.json.shouquan_orders_list_response.orders)
        assert.match(o.receiver_phone, /^\d{3}\*{4}\d{4}$/);
    });

    it('orders.pii is offered unticked, and without it the decrypt method is refused', async () => {
      const t = await consent('orders.read orders.pii');
      assert.equal(t.scope, 'store.read orders.read', 'not ticked by default');
      const rest = await restCall(s, 'GET', `/api/v1/orders/${order.orderId}/receiver`, t.access_token);
      assert.equal(rest.status, 403);
      assert.deepEqual(
        { ...rest.json, request_id: 'x' },
        {
          error: 'insufficient_scope',
          error_description:
            'the seller did not grant orders.pii (granted scope: store.read orders.read), which shouquan.orders.receiver.get needs',
          code: 11,
          sub_code: 'isv.permission-user-scope',
          request_id: 'x',
        },
      );
      // The `seller` scope of existing apps never includes it.
      const whole = await consent('seller');
      assert.equal(whole.scope, 'seller');
      const router = await topCall(
        s,
        'shouquan.orders.receiver.get',
        { order_id: String(order.orderId) },
        whole.access_token,
      );
      assert.equal(router.json.error_response.code, 11);
    });

    it('with orders.pii ticked, decrypts one order, records who read it, and stops at the daily quota', async () => {
      const t = await consent('orders.read orders.pii', ['store.read', 'orders.read', 'orders.pii']);
      assert.equal(t.scope, 'store.read orders.read orders.pii');
      const rest = await restCall(s, 'GET', `/api/v1/orders/${order.orderId}/receiver`, t.access_token);
      assert.equal(rest.status, 200, rest.text);
      assert.deepEqual(rest.json, {
        receiver: {
          order_id: order.orderId,
          receiver_name: order.receiverName,
          receiver_phone: order.receiverPhone,
          receiver_address: order.receiverAddress,
        },
      });
      const router = await topCall(
        s,
        'shouquan.orders.receiver.get',
        { order_id: String(order.orderId) },
        t.access_token,
      );
      assert.deepEqual(router.json.shouquan_orders_receiver_get_response.receiver, rest.json.receiver);
      const audit = (await s.core.storage.audit!.list({ limit: 10_000 })).filter(
        (e) => e.event === 'order.receiver_read',
      );
      assert.equal(audit.length, 2);
      assert.deepEqual(
        { ...audit[0]!, id: 0, at: 0 },
        {
          id: 0,
          at: 0,
          event: 'order.receiver_read',
          actor: `client:${s.client.appKey}`,
          appKey: s.client.appKey,
          sellerId: s.seller.sellerId,
          subject: `order:${order.orderId}`,
          detail: { storeId: s.seller.stores[0]!.storeId, orderId: order.orderId },
        },
      );
      const center = await page(browser, '/account?lang=en');
      assert.match(center.html, /Apps that read buyers&#39; full details/);
      assert.equal(
        [
          ...center.html.matchAll(
            new RegExp(
              `<tr><td>Test App</td><td>${order.orderId}</td><td>${s.seller.stores[0]!.storeId}</td><td>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(UTC\\+8\\)</td></tr>`,
              'g',
            ),
          ),
        ].length,
        2,
      );
      // The third read of the day is the last one this app may make (receiverQuotaPerDay: 3).
      assert.equal((await restCall(s, 'GET', `/api/v1/orders/${order.orderId}/receiver`, t.access_token)).status, 200);
      const over = await restCall(s, 'GET', `/api/v1/orders/${order.orderId}/receiver`, t.access_token);
      assert.equal(over.status, 429);
      assert.equal(over.json.sub_code, 'accesscontrol.limited-by-receiver-quota');
      assert.match(
        over.json.error_description,
        /^this app may read 3 order receivers per day \(GMT\+8\); the quota resets in \d+ seconds$/,
      );
      assert.equal(
        (await s.core.storage.audit!.list({ limit: 10_000 })).filter((e) => e.event === 'order.receiver_read').length,
        3,
        'a refused read is not recorded',
      );
      // The count lives in the limit store every node shares (docs/adr/0110), not in a table of its own.
      const key = `rq:${s.client.appKey}:d:${gmt8Day(Date.now())}`;
      assert.ok(
        (await s.core.storage.limits.liveUntil([key], Date.now())) > Date.now(),
        'the day window is in the shared limit store',
      );
    });

    it("an app's own receiver quota wins over the server's default, both ways", async () => {
      const t = await consent('orders.read orders.pii', ['store.read', 'orders.read', 'orders.pii']);
      const read = () => restCall(s, 'GET', `/api/v1/orders/${order.orderId}/receiver`, t.access_token);
      // 3 reads of today are used (the server's default of 3): raised to 5 for this app, 2 more.
      assert.ok(await updateApp(s.core.storage, s.client.appKey, { receiverQuotaPerDay: 5 }, Date.now()));
      assert.deepEqual([(await read()).status, (await read()).status], [200, 200]);
      const over = await read();
      assert.equal(over.status, 429);
      assert.match(
        over.json.error_description,
        /^this app may read 5 order receivers per day \(GMT\+8\); the quota resets in \d+ seconds$/,
      );
      // Another app keeps the server's default, and its own count.
      const other = await anotherApp(s);
      assert.ok(await updateApp(s.core.storage, other.appKey, { scopes: ['seller', 'orders.pii'] }, Date.now()));
      const url = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: other.appKey, redirect_uri: other.callback, state: 'st', scope: 'orders.read orders.pii' })}`;
      const { location } = await authorizeThroughForms(s.url, url, {
        username: s.seller.username,
        password: s.seller.password,
        storeIds: [s.seller.stores[0]!.storeId],
        scopes: ['store.read', 'orders.read', 'orders.pii'],
        client: browser,
      });
      const tokens = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code: new URL(location).searchParams.get('code')!,
        redirect_uri: other.callback,
        client_id: other.appKey,
        client_secret: other.appSecret,
      });
      assert.equal(tokens.status, 200, tokens.text);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (await restCall(s, 'GET', `/api/v1/orders/${order.orderId}/receiver`, tokens.json.access_token)).status,
        );
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      // Back to the default ("null"): this app's 5 reads are over 3.
      assert.ok(await updateApp(s.core.storage, s.client.appKey, { receiverQuotaPerDay: null }, Date.now()));
      assert.match((await read()).json.error_description, /^this app may read 3 order receivers per day/);
    });
  });
}
