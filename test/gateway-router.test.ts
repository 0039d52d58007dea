import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../src/apps/apps.js';
import { fillSandboxData } from '../src/gateway/sandbox-data.js';
import { formatGmt8, signParams, stringToSign } from '../src/gateway/sign.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { testDialects } from './helpers/databases.js';
import { restCall, sellerTokens, topCall } from './helpers/gateway.js';

const dialects = await testDialects();
/** 2024-06-18 10:00:00 in GMT+8: a frozen server clock, so times in answers are exact. */
const T0 = Date.UTC(2024, 5, 18, 2, 0, 0);

for (const dialect of dialects) {
  describe(`gateway router (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let token: { access_token: string; refresh_token: string };
    let storeA: number;
    let storeB: number;
    before(async () => {
      s = await startTestServer({
        db: await dialect.fresh(),
        now: () => T0,
        gateway: { defaultQuotaPerSecond: 100_000, webhookPollMs: 0 },
      });
      storeA = s.seller.stores[0]!.storeId;
      storeB = s.seller.stores[1]!.storeId;
      await fillSandboxData(s.core.storage.gateway!, s.seller.stores, T0);
      token = await sellerTokens(s, storeA);
    });
    after(async () => s?.close());

    it('answers a signed store.get (md5, POST) with the granted store', async () => {
      const res = await topCall(s, 'shouquan.store.get', {}, token.access_token);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(res.json, {
        shouquan_store_get_response: {
          store: {
            store_id: storeA,
            seller_id: s.seller.sellerId,
            name: 'Store One',
            settings: {
              description: 'Store One：正品保障，48小时内发货，七天无理由退换',
              customer_service_phone: '400-820-8820',
              ship_from_address: '浙江省 杭州市 余杭区 仓前街道 文一西路 1500号 3号仓',
              return_address: '浙江省 杭州市 余杭区 仓前街道 文一西路 1500号 售后部',
              auto_confirm_days: 10,
              invoice_enabled: true,
            },
            modified: '2024-06-18 10:00:00',
          },
          request_id: res.headers.get('x-request-id'),
        },
      });
    });

    for (const signMethod of ['md5', 'hmac', 'hmac-sha256'] as const) {
      it(`accepts sign_method=${signMethod} (GET and POST), and refuses a wrong secret`, async () => {
        const post = await topCall(s, 'shouquan.products.list', { page_size: '2' }, token.access_token, { signMethod });
        assert.equal(post.json.shouquan_products_list_response?.total_results, 8, post.text);
        const get = await topCall(s, 'shouquan.products.list', { page_size: '2' }, token.access_token, {
          signMethod,
          get: true,
        });
        assert.equal(get.json.shouquan_products_list_response?.products.length, 2, get.text);
        const bad = await topCall(s, 'shouquan.products.list', {}, token.access_token, {
          signMethod,
          secret: 'not-the-secret',
        });
        assert.equal(bad.json.error_response?.code, 25, bad.text);
      });
    }

    it('signs Chinese values as UTF-8 (products.create and read back)', async () => {
      const created = await topCall(
        s,
        'shouquan.products.create',
        { title: '夏季新款 连衣裙（雪纺）', price: '129.5', stock: '30', outer_id: 'DR-新-01' },
        token.access_token,
      );
      const p = created.json.shouquan_products_create_response?.product;
      assert.ok(p, created.text);
      assert.deepEqual(
        { ...p, product_id: 0 },
        {
          product_id: 0,
          title: '夏季新款 连衣裙（雪纺）',
          outer_id: 'DR-新-01',
          price: '129.50',
          stock: 30,
          status: 'instock',
          created: '2024-06-18 10:00:00',
          modified: '2024-06-18 10:00:00',
        },
      );
      const got = await topCall(s, 'shouquan.products.get', { product_id: String(p.product_id) }, token.access_token, {
        signMethod: 'hmac-sha256',
      });
      assert.equal(got.json.shouquan_products_get_response.product.title, '夏季新款 连衣裙（雪纺）');
      const upd = await topCall(
        s,
        'shouquan.products.update',
        { product_id: String(p.product_id), stock: '0', status: 'onsale' },
        token.access_token,
      );
      assert.equal(upd.json.shouquan_products_update_response.product.stock, 0, upd.text);
      assert.equal(upd.json.shouquan_products_update_response.product.status, 'onsale');
    });

    it('invalid signature (25) says which string was signed, without the secret, the session cut to a prefix', async () => {
      const args = { page_no: '1' };
      const res = await topCall(s, 'shouquan.orders.list', args, token.access_token, {
        override: { sign: 'DEADBEEF' },
      });
      const session = `${token.access_token.slice(0, 4)}…(${token.access_token.length} chars)`;
      const expectedString = stringToSign({
        method: 'shouquan.orders.list',
        app_key: s.client.appKey,
        timestamp: formatGmt8(T0),
        v: '2.0',
        format: 'json',
        sign_method: 'md5',
        session,
        ...args,
      });
      assert.ok(!res.text.includes(token.access_token), 'the whole access token is never echoed (issue 15 finding 7)');
      assert.deepEqual(res.json, {
        error_response: {
          code: 25,
          msg: 'Invalid Signature',
          sub_code: 'isv.invalid-signature',
          sub_msg: `the signature does not match; likely cause: the wrong AppSecret, or parameters changed after signing (check the encoding: UTF-8). The server signed MD5(secret + "${expectedString}" + secret) as UTF-8 (credentials shortened here)`,
          request_id: res.headers.get('x-request-id'),
        },
      });
      assert.ok(!res.text.includes(s.client.appSecret));
    });

    it('missing session (26) and invalid session (27)', async () => {
      const missing = await topCall(s, 'shouquan.orders.list', {});
      assert.deepEqual(
        { ...missing.json.error_response, request_id: 'x' },
        {
          code: 26,
          msg: 'Missing session',
          sub_code: 'missing-sessionkey',
          sub_msg: "method shouquan.orders.list needs the seller's access token in session",
          request_id: 'x',
        },
      );
      const invalid = await topCall(s, 'shouquan.orders.list', {}, 'not-a-token');
      assert.equal(invalid.json.error_response.code, 27);
      assert.equal(invalid.json.error_response.sub_msg, 'the access token is invalid; authorize again or refresh it');
      // access_token is accepted as a spelling of session.
      const alt = await topCall(s, 'shouquan.orders.list', { access_token: token.access_token });
      assert.equal(alt.json.shouquan_orders_list_response?.total_results, 40, alt.text);
    });

    it("refuses another app's token as session (27)", async () => {
      const other = await createApp(s.core.storage, s.core.secretKey, {
        name: 'Other App',
        callbacks: ['https://other.example.com/cb'],
      });
      const res = await topCall(s, 'shouquan.store.get', {}, token.access_token, {
        override: { app_key: other.appKey },
        secret: other.appSecret,
      });
      assert.deepEqual(
        { ...res.json.error_response, request_id: 'x' },
        {
          code: 27,
          msg: 'Invalid session',
          sub_code: 'invalid-sessionkey',
          sub_msg: 'the session was not issued to this app_key',
          request_id: 'x',
        },
      );
    });

    it('invalid timestamp (31): malformed, or more than 10 minutes away', async () => {
      const malformed = await topCall(s, 'shouquan.store.get', {}, token.access_token, {
        override: { timestamp: '2024-06-18T10:00:00Z' },
      });
      assert.equal(malformed.json.error_response.code, 31);
      assert.equal(
        malformed.json.error_response.sub_msg,
        'timestamp must be "yyyy-MM-dd HH:mm:ss" in GMT+8, got "2024-06-18T10:00:00Z"',
      );
      const late = await topCall(s, 'shouquan.store.get', {}, token.access_token, {
        override: { timestamp: '2024-06-18 09:49:59' },
      });
      assert.equal(late.json.error_response.code, 31);
      const edge = await topCall(s, 'shouquan.store.get', {}, token.access_token, {
        override: { timestamp: '2024-06-18 09:50:00' },
      });
      assert.ok(edge.json.shouquan_store_get_response, edge.text);
      const utc = await topCall(s, 'shouquan.store.get', {}, token.access_token, {
        override: { timestamp: '2024-06-18 02:00:00' },
      });
      assert.equal(utc.json.error_response.code, 31, 'a UTC clock is 8 hours off');
    });

    it('missing (40) and invalid (41) arguments', async () => {
      const missing = await topCall(s, 'shouquan.orders.get', {}, token.access_token);
      assert.deepEqual(
        { ...missing.json.error_response, request_id: 'x' },
        {
          code: 40,
          msg: 'Missing Required Arguments',
          sub_code: 'isv.missing-parameter:order_id',
          sub_msg: 'parameter order_id is required',
          request_id: 'x',
        },
      );
      const invalid = await topCall(s, 'shouquan.orders.list', { page_size: '500' }, token.access_token);
      assert.deepEqual(
        { ...invalid.json.error_response, request_id: 'x' },
        {
          code: 41,
          msg: 'Invalid Arguments',
          sub_code: 'isv.invalid-parameter:page_size',
          sub_msg: 'parameter page_size must be at most 100',
          request_id: 'x',
        },
      );
      const status = await topCall(s, 'shouquan.orders.list', { status: 'PAID' }, token.access_token);
      assert.equal(status.json.error_response.sub_code, 'isv.invalid-parameter:status');
    });

    it('other public-parameter errors: method, app_key, version', async () => {
      assert.equal((await topCall(s, 'shouquan.nothing.here', {}, token.access_token)).json.error_response.code, 22);
      assert.equal(
        (await topCall(s, 'shouquan.store.get', {}, token.access_token, { override: { app_key: '99999999' } })).json
          .error_response.code,
        29,
      );
      assert.equal(
        (await topCall(s, 'shouquan.store.get', {}, token.access_token, { override: { v: '1.0' } })).json.error_response
          .code,
        34,
      );
      const form = new FormData();
      form.set('method', 'shouquan.store.get');
      const multipart = await fetch(`${s.url}/router/rest`, { method: 'POST', body: form });
      assert.equal(
        JSON.parse(await multipart.text()).error_response.sub_msg,
        'send parameters as application/x-www-form-urlencoded (file uploads are not supported)',
      );
      const raw = await fetch(`${s.url}/router/rest`, { method: 'POST' });
      assert.equal(JSON.parse(await raw.text()).error_response.code, 21);
    });

    it('a token for store A never reads store B', async () => {
      const bOrders = await s.core.storage.gateway!.data.orders({ storeId: storeB, offset: 0, limit: 1 });
      const bOrder = bOrders.items[0]!;
      const bProducts = await s.core.storage.gateway!.data.products({ storeId: storeB, offset: 0, limit: 1 });
      const viaRouter = await topCall(
        s,
        'shouquan.orders.get',
        { order_id: String(bOrder.orderId) },
        token.access_token,
      );
      assert.deepEqual(
        { ...viaRouter.json.error_response, request_id: 'x' },
        {
          code: 15,
          msg: 'Remote service error',
          sub_code: 'isv.order-not-exist',
          sub_msg: `order ${bOrder.orderId} does not exist in this store`,
          request_id: 'x',
        },
      );
      const prod = await topCall(
        s,
        'shouquan.products.update',
        { product_id: String(bProducts.items[0]!.productId), stock: '1' },
        token.access_token,
      );
      assert.equal(prod.json.error_response.sub_code, 'isv.product-not-exist');
      const ship = await topCall(
        s,
        'shouquan.orders.ship',
        { order_id: String(bOrder.orderId), logistics_company: '顺丰速运', tracking_no: 'SF1' },
        token.access_token,
      );
      assert.equal(ship.json.error_response.sub_code, 'isv.order-not-exist');
      // A store_id argument naming a store outside the token is refused the same way (docs/adr/0135).
      const list = await topCall(
        s,
        'shouquan.orders.list',
        { store_id: String(storeB), page_size: '100' },
        token.access_token,
      );
      assert.deepEqual(
        { ...list.json.error_response, request_id: 'x' },
        {
          code: 15,
          msg: 'Remote service error',
          sub_code: 'isv.store-not-exist',
          sub_msg: `store ${storeB} does not exist or this token was not granted for it`,
          request_id: 'x',
        },
      );
      const viaRest = await restCall(s, 'GET', `/api/v1/orders/${bOrder.orderId}`, token.access_token);
      assert.equal(viaRest.status, 404);
      assert.equal(viaRest.json.error, 'not_found');
      const restList = await restCall(s, 'GET', `/api/v1/orders?page_size=100&store_id=${storeB}`, token.access_token);
      assert.equal(restList.status, 404);
      assert.equal(restList.json.sub_code, 'isv.store-not-exist');
      // Naming the token's own store is the same as leaving it out.
      const aIds = (await s.core.storage.gateway!.data.orders({ storeId: storeA, offset: 0, limit: 100 })).items.map(
        (o) => o.orderId,
      );
      const own = await restCall(s, 'GET', `/api/v1/orders?page_size=100&store_id=${storeA}`, token.access_token);
      assert.deepEqual(
        own.json.orders.map((o: any) => o.order_id),
        aIds,
      );
    });

    it('pages and filters orders by status and created/modified time', async () => {
      const all = (await s.core.storage.gateway!.data.orders({ storeId: storeA, offset: 0, limit: 100 })).items;
      const page2 = await topCall(s, 'shouquan.orders.list', { page_no: '2', page_size: '15' }, token.access_token);
      const r = page2.json.shouquan_orders_list_response;
      assert.equal(r.total_results, 40);
      assert.equal(r.has_next, true);
      assert.deepEqual(
        r.orders.map((o: any) => o.order_id),
        all.slice(15, 30).map((o) => o.orderId),
      );
      const last = await topCall(s, 'shouquan.orders.list', { page_no: '3', page_size: '15' }, token.access_token);
      assert.equal(last.json.shouquan_orders_list_response.has_next, false);
      assert.equal(last.json.shouquan_orders_list_response.orders.length, 10);

      const waiting = await topCall(
        s,
        'shouquan.orders.list',
        { status: 'WAIT_SELLER_SEND_GOODS', page_size: '100' },
        token.access_token,
      );
      const expected = all.filter((o) => o.status === 'WAIT_SELLER_SEND_GOODS').map((o) => o.orderId);
      assert.ok(expected.length > 0);
      assert.deepEqual(
        waiting.json.shouquan_orders_list_response.orders.map((o: any) => o.order_id),
        expected,
      );

      const from = T0 - 7 * 24 * 3600 * 1000;
      const recent = await topCall(
        s,
        'shouquan.orders.list',
        { start_created: formatGmt8(from), end_created: formatGmt8(T0), page_size: '100' },
        token.access_token,
      );
      const expRecent = all
        .filter((o) => o.createdAt >= Math.ceil(from / 1000) * 1000 && o.createdAt <= T0)
        .map((o) => o.orderId);
      assert.deepEqual(
        recent.json.shouquan_orders_list_response.orders.map((o: any) => o.order_id),
        expRecent,
      );
      const bad = await topCall(
        s,
        'shouquan.orders.list',
        { start_modified: formatGmt8(T0), end_modified: formatGmt8(from) },
        token.access_token,
      );
      assert.equal(bad.json.error_response.code, 41);
    });

    it('ships a waiting order once, and updates store settings', async () => {
      const waiting = (
        await s.core.storage.gateway!.data.orders({
          storeId: storeA,
          status: 'WAIT_SELLER_SEND_GOODS',
          offset: 0,
          limit: 1,
        })
      ).items[0]!;
      const ship = await topCall(
        s,
        'shouquan.orders.ship',
        { order_id: String(waiting.orderId), logistics_company: '顺丰速运', tracking_no: 'SF1234567890' },
        token.access_token,
      );
      const o = ship.json.shouquan_orders_ship_response?.order;
      assert.ok(o, ship.text);
      assert.equal(o.status, 'WAIT_BUYER_CONFIRM_GOODS');
      assert.equal(o.logistics_company, '顺丰速运');
      assert.equal(o.shipped, '2024-06-18 10:00:00');
      const again = await topCall(
        s,
        'shouquan.orders.ship',
        { order_id: String(waiting.orderId), logistics_company: '顺丰速运', tracking_no: 'SF1234567890' },
        token.access_token,
      );
      assert.equal(again.json.error_response.sub_code, 'isv.order-status-invalid');

      const upd = await topCall(
        s,
        'shouquan.store.settings.update',
        { auto_confirm_days: '7', invoice_enabled: 'false' },
        token.access_token,
      );
      assert.equal(upd.json.shouquan_store_settings_update_response?.store.settings.auto_confirm_days, 7, upd.text);
      assert.equal(upd.json.shouquan_store_settings_update_response.store.settings.invoice_enabled, false);
      assert.equal(
        upd.json.shouquan_store_settings_update_response.store.settings.customer_service_phone,
        '400-820-8820',
      );
    });

    it('refreshes through shouquan.auth.token.refresh with the token endpoint fields', async () => {
      const fresh = await sellerTokens(s, storeA);
      const res = await topCall(s, 'shouquan.auth.token.refresh', { refresh_token: fresh.refresh_token });
      const body = res.json.shouquan_auth_token_refresh_response;
      assert.ok(body, res.text);
      assert.deepEqual(Object.keys(body), [
        'access_token',
        'token_type',
        'expires_in',
        'refresh_token',
        'scope',
        'seller_id',
        'store_id',
        'request_id',
      ]);
      assert.equal(body.token_type, 'bearer');
      assert.equal(body.expires_in, 7200);
      const works = await topCall(s, 'shouquan.store.get', {}, body.access_token);
      assert.equal(works.json.shouquan_store_get_response?.store.store_id, storeA);
      // Within the grace window a retry gets the very same successor (docs/adr/0100).
      const retry = (await topCall(s, 'shouquan.auth.token.refresh', { refresh_token: fresh.refresh_token })).json
        .shouquan_auth_token_refresh_response;
      assert.deepEqual({ ...retry, expires_in: 0, request_id: 'x' }, { ...body, expires_in: 0, request_id: 'x' });
      assert.ok(retry.expires_in <= 7200 && retry.expires_in >= 7190);
      // Rotation: once the successor's refresh token is used, the old one is spent and its reuse revokes the family.
      const next = (await topCall(s, 'shouquan.auth.token.refresh', { refresh_token: body.refresh_token })).json
        .shouquan_auth_token_refresh_response;
      assert.ok(next?.access_token);
      const reuse = await topCall(s, 'shouquan.auth.token.refresh', { refresh_token: fresh.refresh_token });
      assert.deepEqual(
        { ...reuse.json.error_response, request_id: 'x' },
        {
          code: 41,
          msg: 'Invalid Arguments',
          sub_code: 'isv.invalid-parameter:refresh_token',
          sub_msg: 'the refresh token is invalid, expired or revoked',
          request_id: 'x',
        },
      );
      const dead = await topCall(s, 'shouquan.store.get', {}, next.access_token);
      assert.equal(dead.json.error_response.code, 27);
      token = await sellerTokens(s, storeA);
    });

    it('refuses a method outside the app permissions (11), by router and REST', async () => {
      await s.core.storage.gateway!.apps.upsert(s.client.appKey, { permissions: ['read'] });
      try {
        const write = await topCall(
          s,
          'shouquan.products.create',
          { title: 'x', price: '1', stock: '1' },
          token.access_token,
        );
        assert.deepEqual(
          { ...write.json.error_response, request_id: 'x' },
          {
            code: 11,
            msg: 'Insufficient isv permissions',
            sub_code: 'isv.permission-api-package-empty',
            sub_msg: `app ${s.client.appKey} has no products.write permission, which shouquan.products.create needs`,
            request_id: 'x',
          },
        );
        const read = await topCall(s, 'shouquan.products.list', {}, token.access_token);
        assert.ok(read.json.shouquan_products_list_response, read.text);
        const rest = await restCall(s, 'POST', '/api/v1/products', token.access_token, {
          title: 'x',
          price: '1',
          stock: 1,
        });
        assert.equal(rest.status, 403);
        assert.equal(rest.json.error, 'insufficient_scope');
        assert.match(rest.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
      } finally {
        await s.core.storage.gateway!.apps.upsert(s.client.appKey, { permissions: null });
      }
    });

    it('checks that the TOP vector signs the same through the helper the docs show', () => {
      const p = {
        method: 'taobao.item.seller.get',
        app_key: '12345678',
        session: 'test',
        timestamp: '2016-01-01 12:00:00',
        format: 'json',
        v: '2.0',
        sign_method: 'md5',
        fields: 'num_iid,title,nick,price,num',
        num_iid: '11223344',
      };
      assert.equal(signParams(p, 'helloworld', 'md5'), '66987CB115214E59E6EC978214934FB8');
    });
  });
}
