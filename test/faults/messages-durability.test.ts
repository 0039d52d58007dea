// The message service under faults (issue 16 §2): several PostgreSQL nodes with concurrent
// consumers never hand out a message twice inside the visibility timeout, and `kill -9` loses no
// event whose publish was answered. No timing assertions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createSeller } from '../../src/admin.js';
import { createApp, updateApp } from '../../src/apps/apps.js';
import { createOperatorToken } from '../../src/management/operator-tokens.js';
import { MessageService } from '../../src/messages/service.js';
import { getProfile } from '../../src/profiles/registry.js';
import { buildServer, createCoreContext, loadSecretKey, openStorage } from '../../src/runtime.js';
import type { Storage } from '../../src/storage/ports.js';
import { freshPostgres, postgresAvailable, PG_SKIP, testDialects, type TestDatabase } from '../helpers/databases.js';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';

type App = { appKey: string; appSecret: string };

/** An app subscribed to trade.paid with a live grant of a new seller's one store. */
async function setUp(storage: Storage): Promise<{ app: App; sellerId: number; storeId: number }> {
  const key = await loadSecretKey(storage);
  const app = await createApp(storage, key, { name: 'Consumer', callbacks: ['https://isv.example.com/cb'] });
  await updateApp(storage, app.appKey, { topics: ['trade.paid'] }, Date.now());
  const seller = await createSeller(storage, {
    username: `s${randomUUID().slice(0, 8)}`,
    password: 'correct horse battery',
    stores: ['Store'],
  });
  const storeId = seller.stores[0]!.storeId;
  await storage.grants.createWithTokens({
    now: Date.now(),
    grant: {
      grantId: randomUUID(),
      appKey: app.appKey,
      sellerId: seller.sellerId,
      storeId,
      storeIds: [storeId],
      scope: ['seller'],
      createdAt: Date.now(),
      revokedAt: null,
      revokedReason: null,
    },
    tokens: [],
  });
  return { app, sellerId: seller.sellerId, storeId };
}

const basic = (app: App) => `Basic ${Buffer.from(`${app.appKey}:${app.appSecret}`).toString('base64')}`;

async function pullAt(url: string, app: App, max: number): Promise<Array<{ id: string; data: { seq: number } }>> {
  const res = await fetch(`${url}/api/v1/messages?max=${max}`, { headers: { authorization: basic(app) } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { messages: Array<{ id: string; data: { seq: number } }> }).messages;
}

async function ackAt(url: string, app: App, ids: string[]): Promise<void> {
  const res = await fetch(`${url}/api/v1/messages/ack`, {
    method: 'POST',
    headers: { authorization: basic(app), 'content-type': 'application/json' },
    body: JSON.stringify({ ids }),
  });
  assert.equal(res.status, 200);
}

const pgUp = await postgresAvailable();

describe('two PostgreSQL nodes, six concurrent consumers', { skip: pgUp ? false : PG_SKIP }, () => {
  let db: TestDatabase;
  const nodes: Array<{ server: FastifyInstance; storage: Storage; url: string }> = [];
  let setup: Awaited<ReturnType<typeof setUp>>;
  const EVENTS = 300;

  before(async () => {
    db = await freshPostgres();
    for (let i = 0; i < 2; i++) {
      const storage = await openStorage(db.url);
      const core = await createCoreContext({ storage, profile: getProfile('standard'), issuer: 'http://127.0.0.1' });
      // A visibility timeout far longer than the test: a second delivery could only be a double claim.
      const server = await buildServer({
        core,
        logger: false,
        gateway: { webhookPollMs: 0, messageVisibilitySeconds: 3600 },
      });
      await server.listen({ host: '127.0.0.1', port: 0 });
      const addr = server.server.address();
      nodes.push({ server, storage, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
    }
    setup = await setUp(nodes[0]!.storage);
    const core = { storage: nodes[0]!.storage, profile: getProfile('standard'), now: () => Date.now() };
    const svc = new MessageService(core);
    const batch = Array.from({ length: EVENTS }, (_, seq) => ({
      topic: 'trade.paid',
      seller_id: setup.sellerId,
      store_id: setup.storeId,
      data: { seq },
    }));
    const done = await svc.publish(batch);
    assert.equal(done.length, EVENTS);
  });
  after(async () => {
    for (const n of nodes) {
      await n.server.close();
      await n.storage.close();
    }
    await db?.cleanup();
  });

  it('hands every message to exactly one consumer (FOR UPDATE SKIP LOCKED), in order per store', async () => {
    const seen = new Map<string, number>();
    const order: number[] = [];
    let empty = 0;
    const consumer = async (node: number) => {
      for (;;) {
        if (seen.size >= EVENTS) return;
        const url = nodes[node % 2]!.url;
        const got = await pullAt(url, setup.app, 7);
        if (got.length === 0) {
          // One store: the others wait while a batch is in flight (FIFO per store, ADR 0145).
          if (++empty > 5000) return;
          continue;
        }
        empty = 0;
        for (const m of got) seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
        order.push(...got.map((m) => m.data.seq));
        await ackAt(
          url,
          setup.app,
          got.map((m) => m.id),
        );
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5].map(consumer));
    const doubles = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(doubles, [], 'no message handed out twice');
    assert.deepEqual(
      order,
      Array.from({ length: EVENTS }, (_, i) => i),
      'the store’s messages in publish order across nodes',
    );
    assert.equal(seen.size, EVENTS, 'every message handed out');
  });
});

const dialects = await testDialects();
describe('kill -9 while publishing', { concurrency: true }, () => {
  for (const d of dialects) {
    describe(`kill -9 while publishing (${d.name})`, { skip: d.skip }, () => {
      let db: TestDatabase;
      let node: ServerProcess | undefined;
      let setup: Awaited<ReturnType<typeof setUp>>;
      let operator = '';

      before(async () => {
        db = await d.fresh();
        const storage = await openStorage(db.url, { createIfMissing: true });
        try {
          setup = await setUp(storage);
          operator = (
            await createOperatorToken(storage, { name: 'erp', readOnly: false, createdBy: 'cli', now: Date.now() })
          ).token;
        } finally {
          await storage.close();
        }
        node = await spawnServer(db.url);
      });
      after(async () => {
        await node?.stop();
        await db?.cleanup();
      });

      it('keeps every event whose publish was answered', async (t) => {
        const answered: number[] = [];
        let seq = 0;
        let killed: Promise<void> | undefined;
        const publisher = async () => {
          for (;;) {
            const mine = seq++;
            try {
              const res = await fetch(`${node!.url}/admin/api/v1/events`, {
                method: 'POST',
                headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
                body: JSON.stringify({
                  events: [
                    { topic: 'trade.paid', seller_id: setup.sellerId, store_id: setup.storeId, data: { seq: mine } },
                  ],
                }),
              });
              assert.equal(res.status, 201);
              await res.arrayBuffer();
              answered.push(mine);
              if (answered.length === 60 && !killed) killed = node!.kill9();
            } catch (e) {
              if (e instanceof assert.AssertionError) throw e;
              return; // the connection died with the process
            }
          }
        };
        await Promise.all([publisher(), publisher(), publisher(), publisher()]);
        await killed;
        node = await spawnServer(db.url);
        const got = new Set<number>();
        for (;;) {
          const batch = await pullAt(node.url, setup.app, 100);
          if (batch.length === 0) break;
          for (const m of batch) got.add(m.data.seq);
        }
        const lost = answered.filter((s) => !got.has(s));
        t.diagnostic(
          `publishes answered before kill -9: ${answered.length}; sent: ${seq}; delivered after restart: ${got.size}`,
        );
        assert.deepEqual(lost, [], 'no answered publish is lost');
      });
    });
  }
});
