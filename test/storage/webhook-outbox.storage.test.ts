import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStorage } from '../../src/runtime.js';
import type { Storage } from '../../src/storage/ports.js';
import { testDialects, type TestDatabase } from '../helpers/databases.js';

/**
 * The webhook outbox's claim keeps each (app, store)'s pushes in order across dispatchers — several workers or
 * nodes (docs/adr/0190): an event is claimed only once every earlier event of its app and store was delivered.
 * Found by the message bench: `serve --workers 2` delivered one store's pushes out of order.
 */
const NOW = 1_800_000_000_000;

for (const dialect of await testDialects()) {
  describe(`storage: webhook outbox order per store (${dialect.name})`, { skip: dialect.skip }, () => {
    let db: TestDatabase;
    let storage: Storage;
    before(async () => {
      db = await dialect.fresh();
      storage = await openStorage(db.url, { createIfMissing: true });
      for (const appKey of ['hooked', 'other'])
        await storage.apps.create(
          {
            appKey,
            name: appKey,
            secretHash: 'x',
            callbackUrls: ['https://a.example/cb'],
            scopes: ['seller'],
            status: 'live',
            createdAt: 1,
          },
          { sealedSecret: `sealed-${appKey}` },
        );
    });
    after(async () => {
      await storage?.close();
      await db?.cleanup();
    });

    it('claims an event only once the earlier events of its app and store were delivered', async () => {
      const outbox = storage.gateway!.outbox;
      const push = async (appKey: string, key: string, store: number | null) => {
        const body = JSON.stringify({ event: 'trade.paid', ...(store === null ? {} : { store_id: store }), n: key });
        await outbox.enqueue({ appKey, grantId: key, event: 'trade.paid', body, createdAt: NOW, nextAttemptAt: NOW });
        return (await outbox.list(appKey)).find((r) => r.grantId === key)!.id;
      };
      const a1 = await push('hooked', 'msg:a1', 1);
      const a2 = await push('hooked', 'msg:a2', 1);
      const b1 = await push('hooked', 'msg:b1', 2);
      const o1 = await push('other', 'msg:o1', 1);
      const n1 = await push('hooked', 'msg:n1', null);
      const n2 = await push('hooked', 'msg:n2', null);
      const lease = NOW + 60_000;
      // Another dispatcher holds a1 (or has not yet taken it): a2 waits, whoever asks.
      assert.equal(await outbox.claim(a2, NOW, lease), false, 'a2 before a1 was delivered');
      assert.equal(await outbox.claim(a1, NOW, lease), true);
      assert.equal(await outbox.claim(a2, NOW, lease), false, 'a2 while a1 is in flight');
      // Nor is a2 handed out as due while a1 is held: a dispatcher would find a full batch it cannot claim and
      // start its next round at once, over and over, until the other one drained the lane.
      const due = async (at: number) =>
        (await outbox.due(at, 100)).filter((r) => r.appKey === 'hooked').map((r) => r.grantId);
      assert.deepEqual(await due(NOW), ['msg:b1', 'msg:n1', 'msg:n2']);
      // Other stores, other apps and events without a store are lanes of their own.
      assert.equal(await outbox.claim(b1, NOW, lease), true);
      assert.equal(await outbox.claim(o1, NOW, lease), true);
      assert.equal(await outbox.claim(n1, NOW, lease), true);
      assert.equal(await outbox.claim(n2, NOW, lease), false, 'n2 while n1 is in flight');
      // A failed attempt keeps the lane shut until it goes through.
      await outbox.markFailed(a1, 'HTTP 503', NOW + 5000);
      assert.equal(await outbox.claim(a2, NOW + 1000, lease), false, 'a2 while a1 waits for its retry');
      await outbox.markDelivered(a1, NOW + 6000);
      assert.equal(await outbox.claim(a2, NOW + 6000, lease), true);
      await outbox.markDelivered(n1, NOW + 6000);
      assert.equal(await outbox.claim(n2, NOW + 6000, lease), true);
    });
  });
}
