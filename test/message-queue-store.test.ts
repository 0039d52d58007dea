// The database queue's store column (migration 0022, docs/adr/0145 "Order per store"): entries carry
// their event's store, rows written before the migration are backfilled from message_events, and the
// claim holds a store's later entries back by that column alone. On SQLite and PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { migrateToLatest, openDatabase, type DialectName } from '../src/storage/kysely/database.js';
import { createKyselyMessageQueue } from '../src/storage/kysely/kysely-message-queue.js';
import { messageQueueStoreMigration } from '../src/storage/kysely/migrations/0022-message-queue-store.migration.js';
import type { EventToQueue } from '../src/messages/ports.js';
import { testDialects, type TestDatabase } from './helpers/databases.js';

const event = (storeId: number, n: number, app = 'app1'): EventToQueue => ({
  topic: 'trade.paid',
  sellerId: 1,
  storeId,
  data: `{"n":${n}}`,
  createdAt: 1_000,
  pull: [app],
  push: [],
});

for (const dialect of await testDialects()) {
  describe(`database message queue: store column (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestDatabase;
    let db: Kysely<any>;
    let close: () => Promise<void>;
    let name: DialectName;
    before(async () => {
      t = await dialect.fresh();
      const opened = openDatabase(t.url, { createIfMissing: true });
      db = opened.db;
      name = opened.dialect;
      close = () => opened.db.destroy();
      await migrateToLatest(opened.db, opened.dialect);
    });
    after(async () => {
      await close?.();
      await t?.cleanup();
    });

    it('backfills store_id from message_events for entries queued before the migration', async () => {
      const m = messageQueueStoreMigration();
      await m.down!(db);
      const ids: number[] = [];
      for (const store of [7, 8, 7]) {
        const r = await db
          .insertInto('message_events')
          .values({ topic: 'trade.paid', seller_id: 1, store_id: store, data: '{}', created_at: 1 })
          .returning('id')
          .executeTakeFirstOrThrow();
        ids.push(Number(r.id));
      }
      for (const id of ids)
        await db
          .insertInto('message_queue')
          .values({ app_key: 'old', event_id: id, created_at: 1, visible_at: 1, deliveries: 0 })
          .execute();
      await m.up(db);
      const rows = await db
        .selectFrom('message_queue')
        .select(['event_id', 'store_id'])
        .where('app_key', '=', 'old')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        rows.map((r) => [Number(r.event_id), Number(r.store_id)]),
        [
          [ids[0], 7],
          [ids[1], 8],
          [ids[2], 7],
        ],
      );
      const q = createKyselyMessageQueue(db, name);
      // The backfilled entries are claimed by store: store 7's second entry waits for its first.
      const first = await q.receive('old', 10, 10, 60_000);
      assert.deepEqual(
        first.map((x) => [x.eventId, x.storeId]),
        [
          [String(ids[0]), 7],
          [String(ids[1]), 8],
          [String(ids[2]), 7],
        ],
        'all three in one claim, in order',
      );
      await db.deleteFrom('message_queue').where('app_key', '=', 'old').execute();
    });

    it('queues entries with their store and holds a store back while its earlier entry is in flight', async () => {
      const q = createKyselyMessageQueue(db, name);
      await q.publish([event(1, 1), event(1, 2), event(2, 3), event(1, 4), event(2, 5)]);
      const stored = await db
        .selectFrom('message_queue')
        .select(['store_id'])
        .where('app_key', '=', 'app1')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        stored.map((r) => Number(r.store_id)),
        [1, 1, 2, 1, 2],
      );
      const a = await q.receive('app1', 1, 2_000, 60_000);
      assert.deepEqual(
        a.map((m) => m.data),
        ['{"n":1}'],
      );
      // Store 1's later entries wait for n=1; store 2 flows.
      const b = await q.receive('app1', 10, 2_000, 60_000);
      assert.deepEqual(
        b.map((m) => m.data),
        ['{"n":3}', '{"n":5}'],
      );
      assert.equal(await q.ack('app1', [a[0]!.id], 2_000), 1);
      const c = await q.receive('app1', 10, 2_000, 60_000);
      assert.deepEqual(
        c.map((m) => m.data),
        ['{"n":2}', '{"n":4}'],
      );
      // Not acknowledged: after the visibility timeout n=2 comes again, first.
      const d = await q.receive('app1', 1, 70_000, 60_000);
      assert.deepEqual(
        d.map((m) => [m.data, m.deliveries]),
        [['{"n":2}', 2]],
      );
    });
  });
}
