// Issue 19 §4: a stock TOP SDK as shipped (node-taobao-topclient 0.1.7, devDependency) against the
// signed router. It signs every parameter it sends, empty ones included, sends a POST form (or a
// GET query), JSON-encodes object values and stamps `timestamp` in the machine's local time — so,
// like on Taobao, it needs a machine in GMT+8: the ISV's servers in China. The test sets TZ for
// that; with the zone in UTC the call is refused naming the cause (docs/gateway.md).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { testDialects } from '../helpers/databases.js';
import { sellerTokens } from '../helpers/gateway.js';
import { fillSandboxData } from '../../src/gateway/sandbox-data.js';

/** What the SDK exposes (it ships no types). */
interface TopClient {
  execute(method: string, params: Record<string, unknown>, type?: 'GET' | 'POST'): Promise<Record<string, unknown>>;
}
interface TopClientError extends Error {
  code: number;
  sub_code: string;
  data: { error_response: Record<string, unknown> };
}
const require = createRequire(import.meta.url);
// Babel's CommonJS output: the class is `exports.default`.
const { default: TopClientClass } = require('node-taobao-topclient') as {
  default: new (o: { appkey: string; appsecret: string; REST_URL: string }) => TopClient;
};

/** Run `fn` with the process's local time zone set to `tz` (Node re-reads TZ when it is assigned). */
async function inZone<T>(tz: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.TZ;
  process.env.TZ = tz;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}

for (const dialect of await testDialects()) {
  describe(`node-taobao-topclient against the signed router (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let top: TopClient;
    let session: string;
    before(async () => {
      s = await startTestServer({
        db: await dialect.fresh(),
        gateway: { defaultQuotaPerSecond: 100_000, webhookPollMs: 0 },
      });
      await fillSandboxData(s.core.storage.gateway!, s.seller.stores, Date.now());
      session = (await sellerTokens(s, s.seller.stores[0]!.storeId)).access_token;
      top = new TopClientClass({
        appkey: s.client.appKey,
        appsecret: s.client.appSecret,
        REST_URL: `${s.url}/router/rest`,
      });
    });
    after(async () => s?.close());

    it('store.get (POST form, md5): the response object the SDK picks out by name', async () => {
      const res = await inZone('Asia/Shanghai', () => top.execute('shouquan.store.get', { session }));
      const store = res.store as Record<string, unknown>;
      assert.equal(store.store_id, s.seller.stores[0]!.storeId);
      assert.equal(store.name, 'Store One');
      assert.match(String(res.request_id), /^[0-9a-f-]{36}$/);
    });

    it('orders.list with empty optional parameters, which the SDK signs and sends (GET and POST)', async () => {
      const params = { session, status: '', page_no: 1, page_size: 5, start_created: '' };
      const post = await inZone('Asia/Shanghai', () => top.execute('shouquan.orders.list', { ...params }));
      assert.equal(post.total_results, 40);
      assert.equal((post.orders as unknown[]).length, 5);
      const get = await inZone('Asia/Shanghai', () => top.execute('shouquan.orders.list', { ...params }, 'GET'));
      assert.deepEqual(get.orders, post.orders);
    });

    it('products.create with Chinese text, read back with products.get', async () => {
      const created = await inZone('Asia/Shanghai', () =>
        top.execute('shouquan.products.create', {
          session,
          title: '夏季新款 连衣裙（雪纺）',
          price: '129.5',
          stock: 30,
          outer_id: 'DR-新-01',
        }),
      );
      const product = created.product as { product_id: number; title: string; price: string };
      assert.equal(product.title, '夏季新款 连衣裙（雪纺）');
      assert.equal(product.price, '129.50');
      const got = await inZone('Asia/Shanghai', () =>
        top.execute('shouquan.products.get', { session, product_id: product.product_id }),
      );
      assert.equal((got.product as { title: string }).title, '夏季新款 连衣裙（雪纺）');
    });

    it('errors reach the SDK as TOP error_response (its TOPClientError), never with the whole token', async () => {
      const wrong = new TopClientClass({
        appkey: s.client.appKey,
        appsecret: 'not-the-secret',
        REST_URL: `${s.url}/router/rest`,
      });
      await assert.rejects(
        inZone('Asia/Shanghai', () => wrong.execute('shouquan.store.get', { session })),
        (e: TopClientError) => {
          assert.equal(e.name, 'TOPClientError');
          assert.equal(e.code, 25);
          assert.equal(e.sub_code, 'isv.invalid-signature');
          assert.ok(!JSON.stringify(e.data).includes(session), 'the session is cut to a prefix');
          assert.ok(!e.message.includes(session));
          return true;
        },
      );
      await assert.rejects(
        inZone('Asia/Shanghai', () => top.execute('shouquan.orders.get', { session })),
        (e: TopClientError) => {
          assert.deepEqual([e.code, e.sub_code], [40, 'isv.missing-parameter:order_id']);
          return true;
        },
      );
    });

    it('on a machine whose zone is UTC the timestamp is 8 hours off: refused (31), naming the zone', async () => {
      await assert.rejects(
        inZone('UTC', () => top.execute('shouquan.store.get', { session })),
        (e: TopClientError) => {
          assert.equal(e.code, 31);
          assert.match(String(e.data.error_response.sub_msg), /GMT\+8/);
          return true;
        },
      );
    });
  });
}
