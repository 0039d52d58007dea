// Issue 15, finding 3: limits were per process. Two real `shouquan serve` processes on one
// PostgreSQL — with the limits in the database (the default) and with `--redis` — share the
// seller, developer and operator sign-in lockouts, the per-IP budget and the gateway's per-day
// quota (docs/adr/0110, 0111). Every username and address is new per run: Redis outlives it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createApp, createSeller } from '../../src/admin.js';
import { createWebAccount } from '../../src/console/accounts.js';
import { loadSecretKey, openStorage } from '../../src/runtime.js';
import {
  freshPostgres,
  postgresAvailable,
  PG_SKIP,
  REDIS_SKIP,
  REDIS_URL,
  redisAvailable,
  type TestDatabase,
} from '../helpers/databases.js';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';
import { authorizeThroughForms, FormClient, postForm } from '../helpers/browserless.js';
import { submit } from '../helpers/console.js';
import { updateApp } from '../../src/apps/apps.js';
import { fillSandboxData } from '../../src/gateway/sandbox-data.js';
import { gmt8Day } from '../../src/gateway/sign.js';
import { openRedisLimitStore } from '../../src/storage/redis/redis-limit-store.js';

const pgUp = await postgresAvailable();
const redisUp = pgUp && (await redisAvailable());
const CALLBACK = 'https://isv.example.com/callback';
const run = randomBytes(4).toString('hex');
let ipSeq = 0;
/** A client address of its own (the nodes trust X-Forwarded-For), so tests do not share the per-IP budget. */
const newIp = () => `10.${parseInt(run.slice(0, 2), 16)}.${parseInt(run.slice(2, 4), 16)}.${++ipSeq}`;

const variants = [
  { name: 'limits in PostgreSQL', args: [] as string[], skip: pgUp ? false : PG_SKIP },
  {
    name: 'limits in Redis (--redis)',
    args: ['--redis', REDIS_URL],
    skip: !pgUp ? PG_SKIP : redisUp ? false : REDIS_SKIP,
  },
];

for (const variant of variants) {
  describe(`two nodes on one PostgreSQL, ${variant.name}`, { skip: variant.skip }, () => {
    let db: TestDatabase;
    let nodes: ServerProcess[] = [];
    let client: { appKey: string; appSecret: string };
    let guessed: { appKey: string; appSecret: string };
    let reader: { appKey: string; appSecret: string };
    let storeId = 0;
    let orderId = 0;
    const seller = { username: `seller-${run}`, password: 'correct horse battery' };
    const lockee = { username: `lockee-${run}`, password: 'correct horse battery' };
    const crowd = { username: `crowd-${run}`, password: 'correct horse battery' };
    const operator = { username: `operator-${run}`, password: 'operator password 1' };

    before(async () => {
      db = await freshPostgres();
      const storage = await openStorage(db.url, { createIfMissing: true });
      try {
        const key = await loadSecretKey(storage);
        client = await createApp(storage, key, { name: 'Quota App', callbacks: [CALLBACK] });
        guessed = await createApp(storage, key, { name: 'Guessed App', callbacks: [CALLBACK] });
        const sellerRecord = await createSeller(storage, { ...seller, stores: ['Quota Store'] });
        storeId = sellerRecord.stores[0]!.storeId;
        // An app that may decrypt order receivers, 4 a day (its own setting, docs/adr/0137).
        reader = await createApp(storage, key, {
          name: 'Receiver App',
          callbacks: [CALLBACK],
          scopes: ['seller', 'orders.pii'],
        });
        await updateApp(storage, reader.appKey, { receiverQuotaPerDay: 4, quotaPerSecond: 1000 }, Date.now());
        await fillSandboxData(storage.gateway!, sellerRecord.stores, Date.now());
        orderId = (await storage.gateway!.data.orders({ storeId, offset: 0, limit: 1 })).items[0]!.orderId;
        await createSeller(storage, { ...lockee, stores: ['Lockee Store'] });
        await createSeller(storage, { ...crowd, stores: ['Crowd Store'] });
        await createWebAccount(storage, { realm: 'operator', ...operator });
        await storage.gateway!.apps.upsert(client.appKey, { quotaPerDay: 20, quotaPerSecond: 1000 });
      } finally {
        await storage.close();
      }
      nodes = await Promise.all([0, 1].map(() => spawnServer(db.url, ['--trust-proxy', 'true', ...variant.args])));
    });
    after(async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await db?.cleanup();
    });

    const login = (node: number, area: 'account' | 'admin', username: string, password: string, ip: string) =>
      submit(
        new FormClient(nodes[node]!.url),
        `/${area}/login?lang=en`,
        `/${area}/login`,
        { username, password },
        { 'x-forwarded-for': ip },
      ).then((r) => r.status);

    it('the 6th wrong password is refused on the other node, and so is the right one', async () => {
      const ip = newIp();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push(await login(i % 2, 'account', lockee.username, `wrong ${i}`, ip));
      assert.deepEqual(statuses, [401, 401, 401, 401, 429], 'five failures spread over both nodes lock the seller');
      assert.equal(
        await login(1, 'account', lockee.username, 'wrong 5', newIp()),
        429,
        'the 6th, on the other node and from elsewhere',
      );
      assert.equal(
        await login(0, 'account', lockee.username, lockee.password, newIp()),
        429,
        'even the right password waits',
      );
    });

    it('operators share one lockout across nodes too', async () => {
      const ip = newIp();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push(await login(i < 3 ? 0 : 1, 'admin', operator.username, `wrong ${i}`, ip));
      assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
      assert.equal(await login(1, 'admin', operator.username, operator.password, newIp()), 429);
    });

    it('of 10 concurrent wrong passwords over both nodes, at most 5 are checked', async () => {
      const ip = newIp();
      const statuses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => login(i % 2, 'account', crowd.username, `wrong ${i}`, ip)),
      );
      assert.equal(statuses.filter((s) => s === 401).length, 4, `statuses: ${statuses.join(' ')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 6);
      assert.equal(await login(0, 'account', crowd.username, crowd.password, newIp()), 429);
    });

    it('the per-IP budget of 30 holds over both nodes (40 concurrent wrong passwords for 40 usernames)', async () => {
      const ip = newIp();
      const statuses = await Promise.all(
        Array.from({ length: 40 }, (_, i) => login(i % 2, 'account', `nobody-${run}-${i}`, 'wrong', ip)),
      );
      assert.equal(statuses.filter((s) => s === 401).length, 29, `statuses: ${statuses.join(' ')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 11);
      assert.equal(
        await login(1, 'account', seller.username, seller.password, ip),
        429,
        'the address is locked for everyone it signs in',
      );
    });

    it('the client_id budget of 30 failed authentications holds over both nodes', async () => {
      const token = (node: number, secret: string, ip: string) =>
        postForm(
          `${nodes[node]!.url}/oauth/token`,
          { grant_type: 'refresh_token', refresh_token: 'none', client_id: guessed.appKey, client_secret: secret },
          { 'x-forwarded-for': ip },
        );
      for (let i = 0; i < 30; i++) {
        const r = await token(i % 2, `guess ${i}`, newIp());
        assert.equal(r.status, 401, `guess ${i}: ${r.text}`);
      }
      const right = await token(0, guessed.appSecret, newIp());
      assert.equal(right.status, 429, right.text);
      assert.equal(right.json.error, 'invalid_client');
      assert.ok(Number(right.headers.get('retry-after')) > 0);
    });

    it("an app's receiver-decryption quota of 4 a day holds over both nodes, counted in the shared limit store", async () => {
      const url = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: reader.appKey, redirect_uri: CALLBACK, state: 'r', scope: 'orders.read orders.pii' })}`;
      const { location } = await authorizeThroughForms(nodes[0]!.url, url, {
        ...seller,
        storeId,
        scopes: ['store.read', 'orders.read', 'orders.pii'],
      });
      const code = new URL(location).searchParams.get('code')!;
      const tokens = await postForm(`${nodes[1]!.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        client_id: reader.appKey,
        client_secret: reader.appSecret,
      });
      assert.equal(tokens.status, 200, tokens.text);
      assert.equal(tokens.json.scope, 'store.read orders.read orders.pii');
      const read = async (node: number) => {
        const res = await fetch(`${nodes[node]!.url}/api/v1/orders/${orderId}/receiver`, {
          headers: { authorization: `Bearer ${tokens.json.access_token}` },
        });
        await res.arrayBuffer();
        return res.status;
      };
      const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => read(i % 2)));
      assert.equal(statuses.filter((s) => s === 200).length, 4, `statuses: ${statuses.join(' ')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 8);
      // Where the count lives: Redis with --redis, the database otherwise; never both.
      const key = `rq:${reader.appKey}:d:${gmt8Day(Date.now())}`;
      const storage = await openStorage(db.url);
      try {
        const inDatabase = (await storage.limits.liveUntil([key], Date.now())) > 0;
        if (variant.args.includes('--redis')) {
          const redis = await openRedisLimitStore(REDIS_URL);
          try {
            assert.ok((await redis.liveUntil([key], Date.now())) > 0, 'the day window is in Redis');
          } finally {
            await redis.close();
          }
          assert.equal(inDatabase, false, 'and not in the database');
        } else {
          assert.equal(inDatabase, true, 'the day window is in the database');
        }
      } finally {
        await storage.close();
      }
    });

    it('a per-day quota of 20 is never exceeded, with 60 concurrent calls over both nodes', async () => {
      const url = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.appKey, redirect_uri: CALLBACK, state: 'q' })}`;
      const { location } = await authorizeThroughForms(nodes[0]!.url, url, { ...seller, storeId });
      const code = new URL(location).searchParams.get('code')!;
      const tokens = await postForm(`${nodes[1]!.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        client_id: client.appKey,
        client_secret: client.appSecret,
      });
      assert.equal(tokens.status, 200, tokens.text);
      const call = async (node: number) => {
        const res = await fetch(`${nodes[node]!.url}/api/v1/orders?page_size=1`, {
          headers: { authorization: `Bearer ${tokens.json.access_token}` },
        });
        await res.arrayBuffer();
        return res.status;
      };
      const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => call(i % 2)));
      const admitted = statuses.filter((s) => s === 200).length;
      assert.ok(admitted <= 20, `admitted ${admitted} calls against a quota of 20 (statuses: ${statuses.join(' ')})`);
      assert.ok(admitted >= 1);
      assert.equal(statuses.filter((s) => s === 429).length, 60 - admitted);
      // Leases not used are given back within 100 ms: the rest of the quota is still there.
      await new Promise((r) => setTimeout(r, 300));
      const more = await Promise.all(Array.from({ length: 30 }, (_, i) => call(i % 2)));
      assert.equal(admitted + more.filter((s) => s === 200).length, 20, 'the day admits exactly 20 calls in all');
    });
  });
}
