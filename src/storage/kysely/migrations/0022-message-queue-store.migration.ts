import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The database queue's claim without a join (issue 16 §2, docs/adr/0145 "Order per store"):
 * - `message_queue.store_id`: the event's store, copied into each entry when it is queued and
 *   backfilled here from `message_events`, so the claim's "no earlier unacknowledged entry of the
 *   same store" test reads the queue alone;
 * - `message_queue_store_pending_idx` (app_key, store_id, id) where acked_at is null: that test is
 *   one index probe per candidate.
 */
export function messageQueueStoreMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('message_queue').addColumn('store_id', 'bigint').execute();
      await sql`update message_queue set store_id = (
        select e.store_id from message_events e where e.id = message_queue.event_id)`.execute(db);
      await sql`create index message_queue_store_pending_idx on message_queue (app_key, store_id, id)
        where acked_at is null`.execute(db);
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('message_queue_store_pending_idx').ifExists().execute();
      await db.schema.alterTable('message_queue').dropColumn('store_id').execute();
    },
  };
}
