import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fillSandboxData } from '../src/gateway/sandbox-data.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { testDialects } from './helpers/databases.js';
import { restCall, sellerTokens, topCall } from './helpers/gateway.js';

const dialects = await testDialects();
const T0 = Date.UTC(2024, 5, 18, 2, 0, 0);

for (const dialect of dialects) {
  describe(`gateway REST face (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let token: string;
    before(async () => {
      s = await startTestServer({
        db: await dialect.fresh(),
        now: () => T0,
        gateway: { defaultQuotaPerSecond: 100_000, webhookPollMs: 0 },
      });
      await fillSandboxData(s.core.storage.gateway!, s.seller.stores, T0);
      token = (await sellerTokens(s, s.seller.stores[0]!.storeId)).access_token;
    });
    after(async () => s?.close());

    it('serves the same data as the router with a bearer token', async () => {
      const rest = await restCall(s, 'GET', '/api/v1/orders?status=TRADE_FINISHED&page_size=5', token);
      assert.equal(rest.status, 200, rest.text);
      assert.equal(rest.headers.get('cache-control'), 'no-store');
      const router = await topCall(s, 'shouquan.orders.list', { status: 'TRADE_FINISHED', page_size: '5' }, token);
      const { request_id: _ignored, ...routerBody } = router.json.shouquan_orders_list_response;
      assert.deepEqual(rest.json, routerBody);
      const settings = await restCall(s, 'GET', '/api/v1/store/settings', token);
      assert.equal(settings.json.store.store_id, s.seller.stores[0]!.storeId);
      // The original protected resource keeps its contract.
      const store = await restCall(s, 'GET', '/api/v1/store', token);
      assert.deepEqual(store.json, { store_id: s.seller.stores[0]!.storeId, name: 'Store One' });
    });

    it('creates, reads and updates products, ships orders', async () => {
      const created = await restCall(s, 'POST', '/api/v1/products', token, {
        title: '手工皂 茉莉',
        price: '25.00',
        stock: 12,
        status: 'onsale',
      });
      assert.equal(created.status, 201, created.text);
      const id = created.json.product.product_id;
      assert.deepEqual(created.json, {
        product: {
          product_id: id,
          title: '手工皂 茉莉',
          outer_id: null,
          price: '25.00',
          stock: 12,
          status: 'onsale',
          created: '2024-06-18 10:00:00',
          modified: '2024-06-18 10:00:00',
        },
      });
      const patched = await restCall(s, 'PATCH', `/api/v1/products/${id}`, token, { price: '19.9' });
      assert.equal(patched.json.product.price, '19.90');
      const got = await restCall(s, 'GET', `/api/v1/products/${id}`, token);
      assert.deepEqual(got.json, patched.json);
      const waiting = (
        await s.core.storage.gateway!.data.orders({
          storeId: s.seller.stores[0]!.storeId,
          status: 'WAIT_SELLER_SEND_GOODS',
          offset: 0,
          limit: 1,
        })
      ).items[0]!;
      const ship = await restCall(s, 'POST', `/api/v1/orders/${waiting.orderId}/ship`, token, {
        logistics_company: '中通快递',
        tracking_no: 'ZT778899',
      });
      assert.equal(ship.status, 200, ship.text);
      assert.equal(ship.json.order.tracking_no, 'ZT778899');
      const again = await restCall(s, 'POST', `/api/v1/orders/${waiting.orderId}/ship`, token, {
        logistics_company: '中通快递',
        tracking_no: 'ZT778899',
      });
      assert.equal(again.status, 409);
      const settings = await restCall(s, 'PATCH', '/api/v1/store/settings', token, {
        customer_service_phone: '021-5555 1234',
      });
      assert.equal(settings.json.store.settings.customer_service_phone, '021-5555 1234');
    });

    it('answers RFC 6750 errors: no token, bad token, bad arguments', async () => {
      const none = await restCall(s, 'GET', '/api/v1/orders', undefined);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="shouquan"');
      const bad = await restCall(s, 'GET', '/api/v1/orders', 'nope');
      assert.equal(bad.status, 401);
      assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      const arg = await restCall(s, 'GET', '/api/v1/orders?page_no=0', token);
      assert.equal(arg.status, 400);
      assert.deepEqual(
        { ...arg.json, request_id: 'x' },
        {
          error: 'invalid_request',
          error_description: 'parameter page_no must be at least 1',
          code: 41,
          sub_code: 'isv.invalid-parameter:page_no',
          request_id: 'x',
        },
      );
      const missing = await restCall(s, 'POST', '/api/v1/products', token, { title: 'x', stock: 1 });
      assert.equal(missing.status, 400);
      assert.equal(missing.json.sub_code, 'isv.missing-parameter:price');
      const junk = await fetch(`${s.url}/api/v1/products`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{not json',
      });
      assert.equal(junk.status, 400);
    });
  });

  describe(`gateway upstream mode (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let token: string;
    let upstream: Server;
    let seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
    let answer: { status: number; body: string } = { status: 200, body: '{}' };
    before(async () => {
      upstream = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          seen.push({ url: req.url ?? '', headers: req.headers, body });
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
        });
      });
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      s = await startTestServer({
        db: await dialect.fresh(),
        gateway: {
          webhookPollMs: 0,
          upstreams: {
            'shouquan.orders.list': `${base}/erp/orders`,
            'shouquan.logistics.companies.get': `${base}/erp/carriers`,
          },
        },
      });
      token = (await sellerTokens(s, s.seller.stores[1]!.storeId)).access_token;
    });
    after(async () => {
      await s?.close();
      await new Promise((r) => upstream.close(r));
    });

    it('forwards a verified call with the seller, store, app and scope in headers', async () => {
      seen = [];
      answer = {
        status: 200,
        body: JSON.stringify({ total_results: 1, orders: [{ order_id: 'ERP-1', status: 'WAIT_SELLER_SEND_GOODS' }] }),
      };
      const res = await topCall(s, 'shouquan.orders.list', { status: 'WAIT_SELLER_SEND_GOODS', page_no: '1' }, token);
      assert.deepEqual(res.json, {
        shouquan_orders_list_response: {
          total_results: 1,
          orders: [{ order_id: 'ERP-1', status: 'WAIT_SELLER_SEND_GOODS' }],
          request_id: res.headers.get('x-request-id'),
        },
      });
      assert.equal(seen.length, 1);
      const call = seen[0]!;
      assert.equal(call.url, '/erp/orders');
      assert.equal(call.headers['x-shouquan-method'], 'shouquan.orders.list');
      assert.equal(call.headers['x-shouquan-app-key'], s.client.appKey);
      assert.equal(call.headers['x-shouquan-seller-id'], String(s.seller.sellerId));
      assert.equal(call.headers['x-shouquan-store-id'], String(s.seller.stores[1]!.storeId));
      assert.equal(call.headers['x-shouquan-scope'], 'seller');
      assert.equal(call.headers['x-request-id'], res.headers.get('x-request-id'));
      assert.deepEqual(
        JSON.parse(call.body),
        { status: 'WAIT_SELLER_SEND_GOODS', page_no: '1' },
        'no session, sign or other public parameter is forwarded',
      );
      // Same forwarding through the REST face.
      const rest = await restCall(s, 'GET', '/api/v1/orders?status=TRADE_CLOSED', token);
      assert.equal(rest.status, 200);
      assert.equal(seen[1]!.headers['x-shouquan-store-id'], String(s.seller.stores[1]!.storeId));
      assert.deepEqual(JSON.parse(seen[1]!.body), { status: 'TRADE_CLOSED' });
    });

    it('serves upstream-only methods and refuses unverified calls before forwarding', async () => {
      seen = [];
      answer = { status: 200, body: JSON.stringify({ companies: ['顺丰速运', 'EMS'] }) };
      const res = await topCall(s, 'shouquan.logistics.companies.get', {}, token, { signMethod: 'hmac' });
      assert.deepEqual(res.json.shouquan_logistics_companies_get_response.companies, ['顺丰速运', 'EMS']);
      const unsigned = await topCall(s, 'shouquan.orders.list', {}, token, { override: { sign: 'X' } });
      assert.equal(unsigned.json.error_response.code, 25);
      const noSession = await topCall(s, 'shouquan.orders.list', {});
      assert.equal(noSession.json.error_response.code, 26);
      assert.equal(seen.length, 1, 'refused calls never reach the upstream');
    });

    it('reports an upstream failure as code 15', async () => {
      answer = { status: 503, body: 'down' };
      const res = await topCall(s, 'shouquan.orders.list', {}, token);
      assert.deepEqual(
        { ...res.json.error_response, request_id: 'x' },
        {
          code: 15,
          msg: 'Remote service error',
          sub_code: 'isp.remote-service-error',
          sub_msg: 'the service behind shouquan.orders.list answered HTTP 503',
          request_id: 'x',
        },
      );
      const rest = await restCall(s, 'GET', '/api/v1/orders', token);
      assert.equal(rest.status, 502);
    });
  });
}
