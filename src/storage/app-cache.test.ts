import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppRecord, AppRepository, SellerRepository, StoreRecord } from './ports.js';
import { cacheApps, cacheStores } from './app-cache.js';

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
    async setSecretHash(appKey, secretHash) {
      const r = rows.get(appKey);
      if (r) rows.set(appKey, { ...r, secretHash });
    },
  };
  return { repo, rows, reads: () => reads };
}

const app = (appKey: string, secretHash = 'h1'): AppRecord => ({ appKey, name: 'A', secretHash, callbackUrls: ['https://a.example/cb'], scopes: ['seller'], status: 'live', createdAt: 1 });

describe('app record cache', () => {
  it('serves repeated lookups from memory until the entry is older than the ttl', async () => {
    const m = memoryApps();
    let clock = 0;
    const cache = cacheApps(m.repo, { ttlMs: 1000, now: () => clock });
    await cache.create(app('1'));
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

  it('drops the entry when the secret changes through it', async () => {
    const m = memoryApps();
    const cache = cacheApps(m.repo, { ttlMs: 60_000 });
    await cache.create(app('1'));
    await cache.find('1');
    await cache.setSecretHash('1', 'h2');
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
    await cache.create(app('8')); // registered through this process: seen at once
    assert.equal((await cache.find('8'))?.appKey, '8');
  });

  it('does not store a record read before an invalidation', async () => {
    const m = memoryApps();
    const cache = cacheApps(m.repo, { ttlMs: 60_000 });
    await cache.create(app('1'));
    const pending = cache.find('1'); // reads h1
    await cache.setSecretHash('1', 'h2'); // invalidates while the read is in flight
    assert.equal((await pending)?.secretHash, 'h1');
    assert.equal((await cache.find('1'))?.secretHash, 'h2');
  });

  it('keeps at most maxEntries apps', async () => {
    const m = memoryApps();
    const cache = cacheApps(m.repo, { ttlMs: 60_000, maxEntries: 2 });
    for (const k of ['1', '2', '3']) await cache.create(app(k));
    for (const k of ['1', '2', '3']) await cache.find(k);
    const before = m.reads();
    await cache.find('1'); // evicted first
    await cache.find('3');
    assert.equal(m.reads(), before + 1);
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
