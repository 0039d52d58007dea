// The message service (issue 16 §2) end to end over HTTP: routing (subscribed, live grant covering
// the store, permission package), pull with long poll, acknowledgement, redelivery after the
// visibility timeout, order per store, the signed router's tmc.messages.*, the CLI, the gateway's
// own writes, retention. On SQLite and PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { createApp, updateApp } from '../src/apps/apps.js';
import { cancelSubscription, createSubscription } from '../src/subscriptions/subscriptions.js';
import { main } from '../src/cli/main.js';
import { revokeGrant } from '../src/management/services.js';
import { createOperatorToken } from '../src/management/operator-tokens.js';
import { MessageService } from '../src/messages/service.js';
import { freshSqlite, NATS_SKIP, NATS_URL, natsAvailable, testDialects } from './helpers/databases.js';
import { connect } from 'nats';
import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, postForm } from './helpers/browserless.js';
import { restCall, topCall, waitFor } from './helpers/gateway.js';
import { sql } from 'kysely';
import { openDatabase } from '../src/storage/kysely/database.js';

const dialects = await testDialects();
const natsUp = await natsAvailable();
/** The database queues on SQLite and PostgreSQL, and NATS JetStream's (serve --message-broker): the same suite. */
const backends = [
  ...dialects.map((d) => ({
    name: d.name as string,
    skip: d.skip,
    fresh: d.fresh,
    broker: undefined as string | undefined,
  })),
  {
    name: 'sqlite + NATS JetStream',
    skip: natsUp ? false : NATS_SKIP,
    fresh: async () => freshSqlite(),
    broker: `${NATS_URL}?stream=T${randomBytes(5).toString('hex')}`,
  },
];

export interface TestApp {
  appKey: string;
  appSecret: string;
}

/** Authorize an app for stores of the test seller (through the real forms) and get its tokens. */
export async function authorizeApp(s: TestServer, app: TestApp, storeIds: number[]): Promise<{ access_token: string }> {
  const callback = s.client.callback;
  const url = `${s.core.profile.paths.authorize}?${new URLSearchParams({ response_type: 'code', client_id: app.appKey, redirect_uri: callback, state: 'msg' })}`;
  const { location } = await authorizeThroughForms(s.url, url, {
    username: s.seller.username,
    password: s.seller.password,
    storeIds,
  });
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  const res = await postForm(`${s.url}${s.core.profile.paths.token}`, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: callback,
    client_id: app.appKey,
    client_secret: app.appSecret,
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${res.text}`);
  return res.json;
}

export async function newApp(s: TestServer, name: string): Promise<TestApp> {
  const created = await createApp(s.core.storage, s.core.secretKey, { name, callbacks: [s.client.callback] });
  return { appKey: created.appKey, appSecret: created.appSecret };
}

const basic = (app: TestApp) =>
  `Basic ${Buffer.from(`${encodeURIComponent(app.appKey)}:${encodeURIComponent(app.appSecret)}`).toString('base64')}`;

export async function pull(s: TestServer, app: TestApp, query = 'max=100') {
  const res = await fetch(`${s.url}/api/v1/messages?${query}`, { headers: { authorization: basic(app) } });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text, headers: res.headers };
}

export async function ack(s: TestServer, app: TestApp, ids: string[]) {
  const res = await fetch(`${s.url}/api/v1/messages/ack`, {
    method: 'POST',
    headers: { authorization: basic(app), 'content-type': 'application/json' },
    body: JSON.stringify({ ids }),
  });
  return { status: res.status, json: await res.json() };
}

async function publish(s: TestServer, token: string, events: unknown[]) {
  const res = await fetch(`${s.url}/admin/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  return { status: res.status, json: await res.json() };
}

const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

for (const dialect of backends) {
  const nats = dialect.broker !== undefined;
  /** Let the visibility timeout pass (both queues follow the server's clock). */
  const expire = async (s: TestServer) => s.advance(61_000);
  const brokerArgs = nats ? ['--message-broker', dialect.broker!] : [];
  /** Message ids are numbers on both queues (JetStream: the stream sequence); event ids are UUIDs on JetStream. */
  const idPattern = /^\d+$/;
  const eventIdPattern = nats ? /^[\w-]+$/ : /^\d+$/;
  describe(`message service (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let operator: string;
    // A: subscribed, every package, grant of store 1. B: not subscribed, grant of store 1.
    // C: subscribed, only the products package. D: subscribed, grant of store 2 only.
    let A: TestApp, B: TestApp, C: TestApp, D: TestApp;
    let store1: number, store2: number;

    before(async () => {
      s = await startTestServer({
        db: await dialect.fresh(),
        messageBroker: dialect.broker,
        gateway: {
          webhookPollMs: 20,
          webhookBackoffMs: 1,
          webhookMaxBackoffMs: 1,
          messagePollMs: 50,
          messageVisibilitySeconds: 60,
        },
      });
      store1 = s.seller.stores[0]!.storeId;
      store2 = s.seller.stores[1]!.storeId;
      operator = (
        await createOperatorToken(s.core.storage, { name: 'erp', readOnly: false, createdBy: 'cli', now: s.core.now() })
      ).token;
      A = { appKey: s.client.appKey, appSecret: s.client.appSecret };
      B = await newApp(s, 'Not subscribed');
      C = await newApp(s, 'No orders package');
      D = await newApp(s, 'Other store');
      const patch = await fetch(`${s.url}/admin/api/v1/apps/${A.appKey}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          topics: [
            'trade.paid',
            'trade.created',
            'item.updated',
            'item.stock_changed',
            'item.created',
            'trade.shipped',
          ],
        }),
      });
      assert.equal(patch.status, 200);
      assert.deepEqual((await patch.json()).topics, [
        'trade.created',
        'trade.paid',
        'trade.shipped',
        'item.created',
        'item.updated',
        'item.stock_changed',
      ]);
      await updateApp(s.core.storage, C.appKey, { topics: ['trade.paid'], permissions: ['products'] }, s.core.now());
      await updateApp(s.core.storage, D.appKey, { topics: ['trade.paid'] }, s.core.now());
      for (const app of [A, B, C]) await authorizeApp(s, app, [store1]);
      await authorizeApp(s, D, [store2]);
    });
    after(async () => {
      await s?.close();
      if (nats) {
        const nc = await connect({ servers: new URL(NATS_URL).host });
        const jsm = await nc.jetstreamManager();
        const stream = new URL(dialect.broker!).searchParams.get('stream')!;
        // The stream and its claims bucket (a key-value bucket is the stream KV_<name>).
        for (const name of [stream, `KV_${stream}_claims`]) await jsm.streams.delete(name).catch(() => false);
        await nc.close();
      }
    });

    it('refuses an unknown topic on an app', async () => {
      const res = await fetch(`${s.url}/admin/api/v1/apps/${B.appKey}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        body: JSON.stringify({ topics: ['trade.eaten'] }),
      });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error, 'invalid_request');
    });

    it('delivers an event to the subscribed, entitled app only, with the exact body', async () => {
      const pub = await publish(s, operator, [
        {
          topic: 'trade.paid',
          seller_id: String(s.seller.sellerId),
          store_id: String(store1),
          data: { order_id: 1001, total_fee: '199.00' },
        },
      ]);
      assert.equal(pub.status, 201);
      assert.deepEqual(pub.json, { event_ids: [pub.json.event_ids[0]], recipients: [1] });
      assert.match(pub.json.event_ids[0], eventIdPattern);
      const got = await pull(s, A);
      assert.equal(got.status, 200);
      assert.equal(got.json.messages.length, 1);
      const m = got.json.messages[0];
      assert.match(m.id, idPattern);
      assert.match(m.created_at, iso);
      assert.deepEqual(got.json, {
        messages: [
          {
            id: m.id,
            topic: 'trade.paid',
            seller_id: s.seller.sellerId,
            store_id: store1,
            created_at: m.created_at,
            data: { order_id: 1001, total_fee: '199.00' },
          },
        ],
      });
      assert.deepEqual(Object.keys(m), ['id', 'topic', 'seller_id', 'store_id', 'created_at', 'data']);
      // Not subscribed, no orders package, grant of another store: nothing, ever.
      for (const other of [B, C, D]) assert.deepEqual((await pull(s, other)).json, { messages: [] });
      assert.deepEqual((await ack(s, A, [m.id])).json, { acknowledged: 1 });
      // An acknowledged message is known as such: acknowledging it again counts nothing.
      assert.deepEqual((await ack(s, A, [m.id])).json, { acknowledged: 0 });
    });

    it('reaches the app of the other store only for that store', async () => {
      const pub = await publish(s, operator, [
        { topic: 'trade.paid', seller_id: s.seller.sellerId, store_id: store2, data: { order_id: 2002 } },
      ]);
      assert.deepEqual(pub.json.recipients, [1]);
      assert.deepEqual((await pull(s, A)).json, { messages: [] });
      const got = await pull(s, D);
      assert.deepEqual(
        got.json.messages.map((m: any) => [m.topic, m.store_id, m.data]),
        [['trade.paid', store2, { order_id: 2002 }]],
      );
      await ack(
        s,
        D,
        got.json.messages.map((m: any) => m.id),
      );
    });

    it('redelivers an unacknowledged message after the visibility timeout, until acknowledged', async () => {
      await publish(s, operator, [
        { topic: 'trade.created', seller_id: s.seller.sellerId, store_id: store1, data: { order_id: 3003 } },
      ]);
      const first = await pull(s, A);
      assert.equal(first.json.messages.length, 1);
      const id = first.json.messages[0].id;
      assert.deepEqual((await pull(s, A)).json, { messages: [] }, 'hidden while in flight');
      await expire(s);
      const again = await pull(s, A);
      assert.deepEqual(again.json, first.json, 'the same message, the same id');
      // The id of the first delivery acknowledges it (an ISV that was slow acknowledges what it saw).
      assert.deepEqual((await ack(s, A, [id])).json, { acknowledged: 1 });
      await expire(s);
      assert.deepEqual((await pull(s, A)).json, { messages: [] });
    });

    it('hands out the messages of a store in publish order, max at a time', async () => {
      const events = Array.from({ length: 7 }, (_, i) => ({
        topic: 'trade.created',
        seller_id: s.seller.sellerId,
        store_id: store1,
        data: { seq: i },
      }));
      const pub = await publish(s, operator, events);
      assert.equal(pub.status, 201);
      assert.equal(pub.json.event_ids.length, 7);
      const ids = pub.json.event_ids.map(Number);
      assert.deepEqual(
        ids,
        [...ids].sort((a: number, b: number) => a - b),
      );
      const a = await pull(s, A, 'max=3');
      await ack(
        s,
        A,
        a.json.messages.map((m: any) => m.id),
      );
      const b = await pull(s, A, 'max=100');
      const seqs = [...a.json.messages, ...b.json.messages].map((m: any) => m.data.seq);
      assert.deepEqual(seqs, [0, 1, 2, 3, 4, 5, 6]);
      await ack(
        s,
        A,
        b.json.messages.map((m: any) => m.id),
      );
    });

    it('holds a store’s later messages while an earlier one is in flight, and redelivers the earlier first', async () => {
      await publish(
        s,
        operator,
        [1, 2].map((seq) => ({
          topic: 'trade.created',
          seller_id: s.seller.sellerId,
          store_id: store1,
          data: { seq },
        })),
      );
      const first = await pull(s, A, 'max=1');
      assert.deepEqual(
        first.json.messages.map((m: any) => m.data.seq),
        [1],
      );
      assert.deepEqual((await pull(s, A)).json, { messages: [] }, 'message 2 waits while message 1 is in flight');
      await expire(s);
      const again = await pull(s, A);
      assert.deepEqual(
        again.json.messages.map((m: any) => [m.id, m.data.seq]),
        [
          [first.json.messages[0].id, 1],
          [again.json.messages[1]?.id, 2],
        ],
      );
      await ack(
        s,
        A,
        again.json.messages.map((m: any) => m.id),
      );
      assert.deepEqual((await pull(s, A)).json, { messages: [] });
    });

    it('keeps a store held until every message of a pull is acknowledged, and counts each once', async () => {
      await publish(
        s,
        operator,
        [1, 2, 3, 4].map((seq) => ({
          topic: 'trade.created',
          seller_id: s.seller.sellerId,
          store_id: store1,
          data: { seq },
        })),
      );
      const first = await pull(s, A, 'max=3');
      const ids = first.json.messages.map((m: any) => m.id);
      assert.deepEqual(
        first.json.messages.map((m: any) => m.data.seq),
        [1, 2, 3],
      );
      assert.deepEqual((await ack(s, A, [ids[1], ids[2]])).json, { acknowledged: 2 });
      assert.deepEqual((await pull(s, A)).json, { messages: [] }, 'message 1 is still in flight');
      assert.deepEqual((await ack(s, A, ids)).json, { acknowledged: 1 }, 'only message 1 was left');
      const rest = await pull(s, A);
      assert.deepEqual(
        rest.json.messages.map((m: any) => m.data.seq),
        [4],
      );
      assert.deepEqual((await ack(s, A, [rest.json.messages[0].id])).json, { acknowledged: 1 });
    });

    it('answers a long poll when an event is published', async () => {
      const waiting = pull(s, A, 'max=10&wait=20');
      await new Promise((r) => setTimeout(r, 100));
      await publish(s, operator, [
        { topic: 'trade.paid', seller_id: s.seller.sellerId, store_id: store1, data: { order_id: 4004 } },
      ]);
      const got = await waiting;
      assert.deepEqual(
        got.json.messages.map((m: any) => m.data),
        [{ order_id: 4004 }],
      );
      await ack(s, A, [got.json.messages[0].id]);
    });

    it('refuses bad publishes as a whole, with the index of the bad event', async () => {
      const before = (await pull(s, A)).json;
      assert.deepEqual(before, { messages: [] });
      const bad = await publish(s, operator, [
        { topic: 'trade.paid', seller_id: s.seller.sellerId, store_id: store1, data: {} },
        { topic: 'trade.paid', seller_id: s.seller.sellerId, store_id: 999999, data: {} },
      ]);
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json, {
        error: 'invalid_request',
        message: `events[1]: seller ${s.seller.sellerId} has no store 999999`,
      });
      assert.deepEqual((await pull(s, A)).json, { messages: [] }, 'nothing of a refused batch was published');
      const system = await publish(s, operator, [
        { topic: 'authorization.revoked', seller_id: s.seller.sellerId, store_id: store1, data: {} },
      ]);
      assert.equal(system.status, 400);
      const unauth = await publish(s, 'sqo_wrong', [
        { topic: 'trade.paid', seller_id: s.seller.sellerId, store_id: store1, data: {} },
      ]);
      assert.equal(unauth.status, 401);
    });

    it('authenticates pulls with the app credentials (HTTP Basic)', async () => {
      const none = await fetch(`${s.url}/api/v1/messages`);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Basic realm="shouquan-messages"');
      const body = await none.json();
      assert.deepEqual(body, {
        error: 'invalid_client',
        error_description: 'send the app key and secret in Authorization: Basic (client_id:client_secret)',
        request_id: body.request_id,
      });
      const wrong = await pull(s, { appKey: A.appKey, appSecret: 'nope' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.json.error, 'invalid_client');
      const badMax = await pull(s, A, 'max=0');
      assert.equal(badMax.status, 400);
      assert.equal(badMax.json.error_description, 'max must be a whole number from 1 to 100');
      const badAck = await fetch(`${s.url}/api/v1/messages/ack`, {
        method: 'POST',
        headers: { authorization: basic(A), 'content-type': 'application/json' },
        body: '{"ids":[]}',
      });
      assert.equal(badAck.status, 400);
    });

    it('serves the same queue on the signed router: tmc.messages.consume and confirm', async () => {
      await publish(s, operator, [
        { topic: 'trade.paid', seller_id: s.seller.sellerId, store_id: store1, data: { order_id: 5005 } },
      ]);
      const got = await topCall(s, 'shouquan.tmc.messages.consume', { max: '10' });
      assert.equal(got.status, 200, got.text);
      const r = got.json.shouquan_tmc_messages_consume_response;
      assert.ok(r, got.text);
      assert.equal(r.messages.length, 1);
      const m = r.messages[0];
      assert.deepEqual(r, {
        messages: [
          {
            id: m.id,
            topic: 'trade.paid',
            seller_id: s.seller.sellerId,
            store_id: store1,
            created_at: m.created_at,
            data: { order_id: 5005 },
          },
        ],
        request_id: r.request_id,
      });
      const confirmed = await topCall(s, 'shouquan.tmc.messages.confirm', { ids: m.id });
      assert.deepEqual(confirmed.json, {
        shouquan_tmc_messages_confirm_response: {
          acknowledged: 1,
          request_id: confirmed.json.shouquan_tmc_messages_confirm_response.request_id,
        },
      });
      const missing = await topCall(s, 'shouquan.tmc.messages.confirm', {});
      assert.equal(missing.json.error_response.code, 40);
    });

    it('publishes with the CLI: shouquan event publish --json', async () => {
      const lines: string[] = [];
      const code = await main(
        [
          'event',
          'publish',
          '--database',
          s.db.url,
          '--topic',
          'trade.paid',
          '--seller-id',
          String(s.seller.sellerId),
          '--store-id',
          String(store1),
          '--data',
          '{"order_id":6006}',
          '--json',
          ...brokerArgs,
        ],
        { log: (x) => lines.push(x), err: (x) => lines.push(x) },
      );
      assert.equal(code, 0, lines.join('\n'));
      const out = JSON.parse(lines[0]!);
      assert.deepEqual(out, { event_id: out.event_id, recipients: 1 });
      assert.match(out.event_id, eventIdPattern);
      const got = await pull(s, A);
      assert.deepEqual(
        got.json.messages.map((m: any) => m.data),
        [{ order_id: 6006 }],
      );
      await ack(s, A, [got.json.messages[0].id]);
      const bad: string[] = [];
      assert.equal(
        await main(
          ['event', 'publish', '--database', s.db.url, '--topic', 'trade.nope', '--seller-id', '1', '--store-id', '1'],
          { log: (x) => bad.push(x), err: (x) => bad.push(x) },
        ),
        2,
      );
    });

    it('sets topics with the CLI: shouquan app update --topics', async () => {
      const lines: string[] = [];
      const code = await main(
        [
          'app',
          'update',
          '--database',
          s.db.url,
          '--app-key',
          B.appKey,
          '--topics',
          'refund.created,trade.paid',
          '--json',
        ],
        { log: (x) => lines.push(x), err: (x) => lines.push(x) },
      );
      assert.equal(code, 0, lines.join('\n'));
      assert.deepEqual(JSON.parse(lines[0]!).topics, ['trade.paid', 'refund.created']);
      await main(['app', 'update', '--database', s.db.url, '--app-key', B.appKey, '--topics', 'none'], {
        log: () => {},
        err: () => {},
      });
    });

    it("publishes the gateway's own writes: products.create and products.update", async () => {
      const { access_token: token } = await authorizeApp(s, A, [store1]);
      const created = await restCall(s, 'POST', '/api/v1/products', token, {
        title: '测试商品',
        price: '10.00',
        stock: 5,
      });
      assert.equal(created.status, 201, created.text);
      const productId = created.json.product.product_id;
      const updated = await restCall(s, 'PATCH', `/api/v1/products/${productId}`, token, { stock: 3 });
      assert.equal(updated.status, 200, updated.text);
      const got = await pull(s, A);
      assert.deepEqual(
        got.json.messages.map((m: any) => [m.topic, m.store_id, m.data.product_id]),
        [
          ['item.created', store1, productId],
          ['item.updated', store1, productId],
          ['item.stock_changed', store1, productId],
        ],
      );
      assert.deepEqual(got.json.messages[1].data.changed, ['stock']);
      assert.deepEqual(got.json.messages[2].data, { product_id: productId, stock: 3, previous_stock: 5 });
      await ack(
        s,
        A,
        got.json.messages.map((m: any) => m.id),
      );
    });

    it('rolls a gateway write back when its events cannot be queued: orders.ship, products.create and .update', async () => {
      const { access_token: token } = await authorizeApp(s, A, [store1]);
      const data = s.core.storage.gateway!.data;
      const now = s.core.now();
      const order = await data.createOrder({
        storeId: store1,
        status: 'WAIT_SELLER_SEND_GOODS',
        buyerNick: 'buyer',
        receiverName: '张三',
        receiverPhone: '13800000000',
        receiverAddress: '杭州',
        totalCents: 1000,
        lines: [],
        logisticsCompany: null,
        trackingNo: null,
        createdAt: now,
        updatedAt: now,
        shippedAt: null,
      });
      const product = await data.createProduct({
        storeId: store1,
        title: '回滚',
        outerId: null,
        priceCents: 100,
        stock: 5,
        status: 'instock',
        createdAt: now,
        updatedAt: now,
      });
      const products = async () => (await data.products({ storeId: store1, limit: 100, offset: 0 })).total;
      const countBefore = await products();
      // Every insert of an event fails from here on (the queue's own failure, not the write's).
      const { db } = openDatabase(s.db.url);
      const pg = s.db.dialect === 'postgres';
      try {
        if (pg) {
          await sql`create function msg_fail() returns trigger language plpgsql as $$ begin raise exception 'queue down'; end $$`.execute(
            db,
          );
          await sql`create trigger msg_fail before insert on message_events for each row execute function msg_fail()`.execute(
            db,
          );
        } else
          await sql`create trigger msg_fail before insert on message_events begin select raise(abort, 'queue down'); end`.execute(
            db,
          );
        const shipped = await restCall(s, 'POST', `/api/v1/orders/${order.orderId}/ship`, token, {
          logistics_company: 'SF',
          tracking_no: 'SF1',
        });
        assert.notEqual(shipped.status, 200, shipped.text);
        const after = await data.order(store1, order.orderId);
        assert.equal(after!.status, 'WAIT_SELLER_SEND_GOODS');
        assert.equal(after!.trackingNo, null);
        const created = await restCall(s, 'POST', '/api/v1/products', token, {
          title: '丢',
          price: '1.00',
          stock: 1,
        });
        assert.notEqual(created.status, 201, created.text);
        assert.equal(await products(), countBefore);
        const updated = await restCall(s, 'PATCH', `/api/v1/products/${product.productId}`, token, { stock: 2 });
        assert.notEqual(updated.status, 200, updated.text);
        assert.equal((await data.product(store1, product.productId))!.stock, 5);
      } finally {
        await sql`drop trigger msg_fail${pg ? sql` on message_events` : sql``}`.execute(db);
        if (pg) await sql`drop function msg_fail()`.execute(db);
        await db.destroy();
      }
      // With the queue back, the same ship commits with its event.
      const shipped = await restCall(s, 'POST', `/api/v1/orders/${order.orderId}/ship`, token, {
        logistics_company: 'SF',
        tracking_no: 'SF1',
      });
      assert.equal(shipped.status, 200, shipped.text);
      const got = await pull(s, A);
      assert.deepEqual(
        got.json.messages.map((m: any) => [m.topic, m.data.order_id, m.data.tracking_no]),
        [['trade.shipped', order.orderId, 'SF1']],
      );
      await ack(
        s,
        A,
        got.json.messages.map((m: any) => m.id),
      );
    });

    it(
      'forwards the database outbox to JetStream once, even when a forward is repeated after a crash',
      { skip: !nats && 'the outbox relay exists for NATS JetStream (--message-broker)' },
      async () => {
        const gw = s.core.storage.gateway!;
        const event = {
          topic: 'trade.paid',
          sellerId: s.seller.sellerId,
          storeId: store1,
          data: '{"order_id":8008}',
          createdAt: s.core.now(),
          pull: [A.appKey],
          push: [],
        };
        // A gateway write's events, queued in the database in the write's transaction (writeAndPublish).
        const [eventId] = await gw.transaction!((trx) => trx.messages.publish([event]));
        await new MessageService(s.core).relayOutbox();
        assert.deepEqual(await gw.messageOutbox!.take(10), [], 'forwarded and removed from the database');
        const got = await pull(s, A);
        assert.deepEqual(
          got.json.messages.map((m: any) => [m.topic, m.data]),
          [['trade.paid', { order_id: 8008 }]],
        );
        // A relay that died after forwarding and before removing forwards the same event again.
        await gw.messages.publish([{ ...event, eventId }]);
        assert.deepEqual((await ack(s, A, [got.json.messages[0].id])).json, { acknowledged: 1 });
        assert.deepEqual((await pull(s, A)).json, { messages: [] }, 'JetStream dropped the repeat');
      },
    );

    it(
      'moves a webhook-outbox row to the pull queue once when the move is repeated after a crash',
      { skip: !nats && 'the database queue moves a row in one transaction (nothing to repeat)' },
      async () => {
        const gw = s.core.storage.gateway!;
        const P = await newApp(s, 'Moved twice');
        await updateApp(s.core.storage, P.appKey, { topics: ['refund.created'] }, s.core.now());
        const now = s.core.now();
        await gw.outbox.enqueue({
          appKey: P.appKey,
          grantId: `msg:moved:${P.appKey}`,
          event: 'refund.created',
          body: JSON.stringify({ seller_id: s.seller.sellerId, store_id: store1, data: { refund_id: 9009 } }),
          createdAt: now,
          // Not due: the server's dispatcher leaves it to this test.
          nextAttemptAt: now + 3_600_000,
        });
        const [rec] = await gw.outbox.undelivered(P.appKey, 10);
        const svc = new MessageService(s.core);
        assert.equal(await svc.forwardToPull(rec!, ['refund.created']), true);
        // A dispatcher that died after publishing and before marking the row delivered moves it again.
        assert.equal(await svc.forwardToPull(rec!, ['refund.created']), true);
        const got = await pull(s, P);
        assert.deepEqual(
          got.json.messages.map((m: any) => [m.topic, m.data]),
          [['refund.created', { refund_id: 9009 }]],
        );
        await ack(
          s,
          P,
          got.json.messages.map((m: any) => m.id),
        );
      },
    );

    it('injects sandbox sample events for the app: shouquan event sample', async () => {
      const lines: string[] = [];
      const code = await main(
        ['event', 'sample', '--database', s.db.url, '--app-key', D.appKey, '--json', ...brokerArgs],
        {
          log: (x) => lines.push(x),
          err: (x) => lines.push(x),
        },
      );
      assert.equal(code, 0, lines.join('\n'));
      assert.equal(JSON.parse(lines[0]!).event_ids.length, 1);
      const got = await pull(s, D);
      assert.deepEqual(
        got.json.messages.map((m: any) => [m.topic, m.store_id, m.data.sandbox]),
        [['trade.paid', store2, true]],
      );
      await ack(
        s,
        D,
        got.json.messages.map((m: any) => m.id),
      );
      assert.deepEqual((await pull(s, A)).json, { messages: [] }, 'sample events go to that app only');
    });

    it('pushes to an app with a webhook URL instead, signed, and not to its pull queue', async () => {
      const received: Array<{ headers: Record<string, unknown>; body: string }> = [];
      const server: Server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          received.push({ headers: req.headers, body });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const E = await newApp(s, 'Pushed');
        await updateApp(
          s.core.storage,
          E.appKey,
          { topics: ['refund.created'], webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` },
          s.core.now(),
        );
        await authorizeApp(s, E, [store1]);
        const pub = await publish(s, operator, [
          { topic: 'refund.created', seller_id: s.seller.sellerId, store_id: store1, data: { refund_id: 5001 } },
        ]);
        assert.deepEqual(pub.json.recipients, [1]);
        const got = await waitFor(
          async () => received.find((r) => r.headers['x-shouquan-event'] === 'refund.created'),
          'the pushed message',
        );
        assert.equal(
          got.headers['x-shouquan-signature'],
          `sha256=${createHmac('sha256', E.appSecret).update(got.body, 'utf8').digest('hex')}`,
        );
        const body = JSON.parse(got.body);
        assert.deepEqual(body, {
          event: 'refund.created',
          event_id: pub.json.event_ids[0],
          app_key: E.appKey,
          seller_id: s.seller.sellerId,
          store_id: store1,
          occurred_at: body.occurred_at,
          data: { refund_id: 5001 },
        });
        assert.match(body.occurred_at, iso);
        assert.deepEqual((await pull(s, E)).json, { messages: [] });
        await updateApp(s.core.storage, E.appKey, { topics: [] }, s.core.now());
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    it('pushes stores side by side, each in order, a failed push holding back its later ones', async () => {
      const got: Array<{ store: number; refund: number; status: number }> = [];
      let held: { store: number; release: () => void } | undefined;
      let overlapped = false;
      let failed = false;
      const server: Server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const m = JSON.parse(body);
          const answer = () => {
            const status = m.data.refund_id === 1 && !failed ? ((failed = true), 503) : 204;
            got.push({ store: m.store_id, refund: m.data.refund_id, status });
            res.writeHead(status).end();
          };
          // The first push stays open until one of the other store arrives: only concurrent sends meet.
          if (!held && !overlapped) {
            const t = setTimeout(answer, 5000);
            held = { store: m.store_id, release: () => (clearTimeout(t), answer()) };
            return;
          }
          if (held && !overlapped && m.store_id !== held.store) {
            overlapped = true;
            held.release();
          }
          answer();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const O = await newApp(s, 'Ordered pushes');
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
        await updateApp(s.core.storage, O.appKey, { topics: ['refund.created'], webhookUrl: url }, s.core.now());
        await authorizeApp(s, O, [store1, store2]);
        const ev = (store: number, refund: number) => ({
          topic: 'refund.created',
          seller_id: s.seller.sellerId,
          store_id: store,
          data: { refund_id: refund },
        });
        await publish(s, operator, [ev(store1, 1), ev(store1, 2), ev(store1, 3), ev(store2, 4)]);
        await waitFor(async () => got.filter((g) => g.status === 204).length >= 4 || undefined, 'every push');
        assert.equal(
          overlapped,
          true,
          `one store's push went out while the other's was in flight: ${JSON.stringify(got)}`,
        );
        assert.deepEqual(
          got.filter((g) => g.store === store1).map((g) => [g.refund, g.status]),
          [
            [1, 503],
            [1, 204],
            [2, 204],
            [3, 204],
          ],
        );
        await updateApp(s.core.storage, O.appKey, { topics: [], webhookUrl: null }, s.core.now());
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    it('queues subscription.* for a pull app that subscribed to them', async () => {
      const topics = [
        'trade.paid',
        'trade.created',
        'item.updated',
        'item.stock_changed',
        'item.created',
        'trade.shipped',
      ];
      await updateApp(s.core.storage, A.appKey, { topics: [...topics, 'subscription.expired'] }, s.core.now());
      const sub = await createSubscription(
        s.core.storage,
        {
          appKey: A.appKey,
          sellerId: String(s.seller.sellerId),
          expiresAt: new Date(s.core.now() + 30 * 86_400_000).toISOString(),
        },
        'cli',
        s.core.now(),
      );
      await cancelSubscription(s.core.storage, sub.subscriptionId, 'cli', s.core.now());
      const got = await pull(s, A, 'max=10&wait=15');
      assert.deepEqual(
        got.json.messages.map((m: any) => [m.topic, m.seller_id, m.store_id, m.data.subscription_id, m.data.reason]),
        [['subscription.expired', s.seller.sellerId, store1, sub.subscriptionId, 'cancelled']],
      );
      await ack(
        s,
        A,
        got.json.messages.map((m: any) => m.id),
      );
      await updateApp(s.core.storage, A.appKey, { topics }, s.core.now());
    });

    it('queues authorization.revoked for a pull app that subscribed to it, for grants revoked since then', async () => {
      const P = await newApp(s, 'Pulls authorization events');
      const seller = s.seller.sellerId;
      const liveGrant = async () => (await s.core.storage.grants.findLive(P.appKey, seller))!.grantId;
      await authorizeApp(s, P, [store1]);
      await revokeGrant(s.core.storage, await liveGrant(), 'cli', s.core.now()); // before it subscribed
      s.advance(1000);
      await updateApp(s.core.storage, P.appKey, { topics: ['authorization.revoked'] }, s.core.now());
      await authorizeApp(s, P, [store2]);
      const revoked = await liveGrant();
      await revokeGrant(s.core.storage, revoked, 'cli', s.core.now());
      const got = await pull(s, P, 'max=10&wait=15');
      assert.equal(got.status, 200);
      assert.equal(got.json.messages.length, 1, got.text);
      const m = got.json.messages[0];
      assert.match(m.id, idPattern);
      assert.match(m.created_at, iso);
      assert.deepEqual(m, {
        id: m.id,
        topic: 'authorization.revoked',
        seller_id: seller,
        store_id: store2,
        created_at: m.created_at,
        data: {
          event: 'authorization.revoked',
          event_id: `${revoked}:authorization.revoked`,
          app_key: P.appKey,
          seller_id: seller,
          store_id: store2,
          reason: 'revoked_by_operator',
          occurred_at: m.data.occurred_at,
        },
      });
      assert.deepEqual((await ack(s, P, [m.id])).json, { acknowledged: 1 });
      assert.deepEqual((await pull(s, P, 'max=10&wait=1')).json, { messages: [] }, 'the others never come');
      const rows = await s.core.storage.gateway!.outbox.list(P.appKey);
      assert.deepEqual(
        rows.map((r) => [r.grantId, r.event, r.deliveredAt !== null]),
        [[revoked, 'authorization.revoked', true]],
      );
    });

    it('moves pushes still pending to the pull queue when the app clears its webhook', async () => {
      let answers = 0;
      const server: Server = createServer((req, res) => {
        req.resume();
        answers++;
        res.writeHead(503).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const W = await newApp(s, 'Push then pull');
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
        await updateApp(s.core.storage, W.appKey, { topics: ['refund.closed'], webhookUrl: url }, s.core.now());
        await authorizeApp(s, W, [store1]);
        const pub = await publish(s, operator, [
          { topic: 'refund.closed', seller_id: s.seller.sellerId, store_id: store1, data: { refund_id: 1 } },
          { topic: 'refund.closed', seller_id: s.seller.sellerId, store_id: store1, data: { refund_id: 2 } },
        ]);
        assert.deepEqual(pub.json.recipients, [1, 1]);
        await waitFor(async () => answers >= 2 || undefined, 'failed push attempts');
        assert.deepEqual((await pull(s, W)).json, { messages: [] }, 'push only while the webhook is set');
        await updateApp(s.core.storage, W.appKey, { webhookUrl: null }, s.core.now());
        const seen: any[] = [];
        await waitFor(async () => {
          const got = await pull(s, W, 'max=10&wait=2');
          seen.push(...got.json.messages);
          if (got.json.messages.length > 0)
            await ack(
              s,
              W,
              got.json.messages.map((m: any) => m.id),
            );
          return seen.length >= 2 || undefined;
        }, 'the pending pushes in the pull queue');
        assert.deepEqual(
          seen.map((m) => [m.topic, m.seller_id, m.store_id, m.data]),
          [
            ['refund.closed', s.seller.sellerId, store1, { refund_id: 1 }],
            ['refund.closed', s.seller.sellerId, store1, { refund_id: 2 }],
          ],
        );
        assert.ok((await s.core.storage.gateway!.outbox.list(W.appKey)).every((r) => r.deliveredAt !== null));
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    it('drops events past retention and counts the unacknowledged ones', async () => {
      await publish(s, operator, [
        { topic: 'trade.paid', seller_id: s.seller.sellerId, store_id: store1, data: { order_id: 7007 } },
      ]);
      let expired = 0;
      const svc = new MessageService(s.core, { retentionMs: 3 * 86_400_000, onExpired: (n) => (expired += n) });
      s.advance(3 * 86_400_000 + 60_000);
      const r = await svc.purgeExpired();
      assert.ok(r.dropped >= 1);
      assert.equal(r.unacked, 1);
      assert.equal(expired, 1);
      assert.deepEqual((await pull(s, A)).json, { messages: [] });
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      assert.match(metrics, /shouquan_messages_published_total \d+/);
    });
  });
}
