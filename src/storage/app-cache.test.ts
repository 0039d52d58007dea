import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayAppRecord, GatewayAppRepository, GatewayStorage } from './gateway-ports.js';
import type { AppRecord, AppRepository, SellerRepository, Storage, StoreRecord } from './ports.js';
import { cacheApps, cacheStores, withAppCache } from './app-cache.js';

/** An in-memory app repository that counts reads. */
function memoryApps() {
  const rows = new Map<string, AppRecord>();
  let reads = 0;
  const repo: AppRepository = {
    async create(app) {
      rows.set(app.appKey, { ...app });
    },
    async find(appKey) {
      reads++;
      const r = rows.get(appKey);
      return r && { ...r };
    },
    async update(appKey, changes) {
      const r = rows.get(appKey);
      if (r && changes.name !== undefined) rows.set(appKey, { ...r, name: changes.name });
      return r !== undefined;
    },
    async replaceSecret(appKey, change) {
      const r = rows.get(appKey);
      if (r) rows.set(appKey, { ...r, secretHash: change.secretHash });
      return r !== undefined;
    },
    async endPreviousSecret() {},
    async list() {
      return [...rows.values()];
    },
  };
  return { repo, rows, reads: () => reads };
}

const SEALED = { sealedSecret: 's1' };
const app = (appKey: string, secretHash = 'h1'): AppRecord => ({
  appKey,
  name: 'A',
  secretHash,
  callbackUrls: ['https://a.example/cb'],
  scopes: ['seller'],
  status: 'live',
  createdAt: 1,
});

describe('app record cache', () => {
  it('serves repeated lookups from memory until the entry is older than the ttl', async () => {
    const m = memoryApps();
    let clock = 0;
    const cache = cacheApps(m.repo, { ttlMs: 1000, now: () => clock });
    await cache.create(app('1'), SEALED);
    assert.equal((await cache.find('1'))?.secretHash, 'h1');
    assert.equal((await cache.find('1'))?.secretHash, 'h1');
    assert.equal(m.reads(), 1);
    // Another process changes the row: seen once the entry expires.
    m.rows.set('1', app('1', 'h2'));
    clock = 999;
    assert.equal((await cache.find('1'))?.secretHash, 'h1');
    clock = 1000;
    assert.equal((await cache.find('1'))?.secretHash, 'h2');
    assert.equal(m.reads(), 2);
  });

  it('one database read for concurrent lookups of an expired entry, none shared across an invalidation', async () => {
    const m = memoryApps();
    let clock = 0;
    const cache = cacheApps(m.repo, { ttlMs: 1000, now: () => clock });
    await cache.create(app('1'), SEALED);
    const all = await Promise.all(Array.from({ length: 16 }, () => cache.find('1')));
    assert.deepEqual(new Set(all.map((a) => a?.secretHash)), new Set(['h1']));
    assert.equal(m.reads(), 1, '16 requests in flight on a cold entry read the app once');
    clock = 1000;
    m.rows.set('1', app('1', 'h2'));
    const expired = await Promise.all(Array.from({ length: 16 }, () => cache.find('1')));
    assert.deepEqual(new Set(expired.map((a) => a?.secretHash)), new Set(['h2']));
    assert.equal(m.reads(), 2, 'and once again when it expired');
    // A read that started before a change through this process is not handed to a lookup made after it.
    clock = 2000;
    const before = cache.find('1');
    await cache.update('1', { name: 'B' });
    const after = cache.find('1');
    assert.equal((await before)?.name, 'A');
    assert.equal((await after)?.name, 'B');
    // Client authentication's refresh always reads.
    const reads = m.reads();
    await Promise.all([cache.refresh('1'), cache.refresh('1')]);
    assert.equal(m.reads(), reads + 2);
  });

  it('drops the entry when the secret changes through it', async () => {
    const m = memoryApps();
    const cache = cacheApps(m.repo, { ttlMs: 60_000 });
    await cache.create(app('1'), SEALED);
    await cache.find('1');
    await cache.replaceSecret('1', { secretHash: 'h2', sealedSecret: 's2' });
    assert.equal((await cache.find('1'))?.secretHash, 'h2');
  });

  it('remembers unknown apps for the same short time (equal timing), and forgets them on create', async () => {
    const m = memoryApps();
    let t = 0;
    const cache = cacheApps(m.repo, { ttlMs: 1000, now: () => t });
    assert.equal(await cache.find('9'), undefined);
    m.rows.set('9', app('9')); // registered by another process
    assert.equal(await cache.find('9'), undefined, 'served from the cache until it expires');
    t = 1001;
    assert.equal((await cache.find('9'))?.appKey, '9');
    assert.equal(await cache.find('8'), undefined);
    await cache.create(app('8'), SEALED); // registered through this process: seen at once
    assert.equal((await cache.find('8'))?.appKey, '8');
  });

  it('does not store a record read before an invalidation', async () => {
    const m = memoryApps();
    const cache = cacheApps(m.repo, { ttlMs: 60_000 });
    await cache.create(app('1'), SEALED);
    const pending = cache.find('1'); // reads h1
    await cache.replaceSecret('1', { secretHash: 'h2', sealedSecret: 's2' }); // invalidates while the read is in flight
    assert.equal((await pending)?.secretHash, 'h1');
    assert.equal((await cache.find('1'))?.secretHash, 'h2');
  });

  it('keeps at most maxEntries apps', async () => {
    const m = memoryApps();
    const cache = cacheApps(m.repo, { ttlMs: 60_000, maxEntries: 2 });
    for (const k of ['1', '2', '3']) await cache.create(app(k), SEALED);
    for (const k of ['1', '2', '3']) await cache.find(k);
    const before = m.reads();
    await cache.find('1'); // evicted first
    await cache.find('3');
    assert.equal(m.reads(), before + 1);
  });
});

describe('linked app caches (withAppCache)', () => {
  it('a write through the apps drops the gateway settings and the signed-call read too, and lists pass through', async () => {
    const m = memoryApps();
    let gatewayReads = 0;
    const settings = new Map<string, GatewayAppRecord>();
    const gatewayApps: GatewayAppRepository = {
      async find(appKey) {
        gatewayReads++;
        return settings.get(appKey);
      },
      async upsert(appKey, changes) {
        settings.set(appKey, { ...(settings.get(appKey) as GatewayAppRecord), ...changes, appKey });
      },
      async findForCall(appKey) {
        gatewayReads++;
        const a = m.rows.get(appKey);
        return a && { app: a, settings: settings.get(appKey) };
      },
    };
    const storage = withAppCache(
      {
        apps: m.repo,
        sellers: {} as SellerRepository,
        gateway: { apps: gatewayApps } as unknown as GatewayStorage,
      } as Storage,
      { ttlMs: 60_000 },
    );
    await storage.apps.create(app('1'), SEALED);
    settings.set('1', {
      appKey: '1',
      sealedSecret: 's1',
      previousSealedSecret: null,
      previousSecretExpiresAt: null,
      webhookUrl: null,
      webhookSince: null,
      permissions: null,
      quotaPerDay: null,
      quotaPerSecond: null,
    });
    assert.equal((await storage.gateway!.apps.findForCall('1'))?.app.name, 'A');
    assert.equal((await storage.gateway!.apps.find('1'))?.sealedSecret, 's1');
    await storage.gateway!.apps.findForCall('1');
    await storage.gateway!.apps.find('1');
    assert.equal(gatewayReads, 2, 'served from memory');
    // Changed behind the cache's back (as the repository's transaction does), then through the apps port.
    m.rows.set('1', { ...app('1'), name: 'B' });
    settings.set('1', { ...settings.get('1')!, sealedSecret: 's2' });
    await storage.apps.update('1', { name: 'B' });
    assert.equal((await storage.gateway!.apps.findForCall('1'))?.app.name, 'B');
    assert.equal((await storage.gateway!.apps.find('1'))?.sealedSecret, 's2');
    const reads = m.reads();
    assert.equal((await storage.apps.list({ limit: 10 })).length, 1);
    assert.equal((await storage.apps.find('1'))?.name, 'B');
    await storage.apps.list({ limit: 10 });
    assert.equal((await storage.apps.find('1'))?.name, 'B');
    assert.equal(m.reads(), reads + 1, 'a list does not drop the cache');
  });
});

describe('store record cache', () => {
  const store = (storeId: number): StoreRecord => ({ storeId, sellerId: 7, name: `Store ${storeId}` });
  function counting() {
    const reads: number[] = [];
    const other: number[] = [];
    const sellers = {
      async store(storeId: number) {
        reads.push(storeId);
        return storeId < 100 ? store(storeId) : undefined;
      },
      async stores(sellerId: number) {
        other.push(sellerId);
        return [store(1)];
      },
    } as unknown as SellerRepository;
    return { sellers, reads, other };
  }

  it('answers a known store from memory until the TTL passes; unknown ids always read', async () => {
    let t = 0;
    const { sellers, reads } = counting();
    const cached = cacheStores(sellers, { ttlMs: 1000, now: () => t });
    assert.deepEqual(await cached.store(1), store(1));
    assert.deepEqual(await cached.store(1), store(1));
    assert.equal(await cached.store(500), undefined);
    assert.equal(await cached.store(500), undefined);
    assert.deepEqual(reads, [1, 500, 500]);
    t = 1001;
    await cached.store(1);
    assert.deepEqual(reads, [1, 500, 500, 1]);
  });

  it('keeps at most maxEntries and passes every other method through', async () => {
    const { sellers, reads, other } = counting();
    const cached = cacheStores(sellers, { maxEntries: 2 });
    for (const id of [1, 2, 3, 1]) await cached.store(id);
    assert.deepEqual(reads, [1, 2, 3, 1], 'store 1 was dropped when store 3 came in');
    assert.deepEqual(await cached.stores(7), [store(1)]);
    assert.deepEqual(other, [7]);
  });
});
