import { sql, type Kysely, type Migration } from 'kysely';
import { identityColumn } from './identity-column.js';

/**
 * Issue 16 §2, the message service (docs/adr/0145):
 * - `gateway_apps.topics`: the topics an app subscribed to, space-separated (null: none);
 * - `message_events`: one row per published event (the body kept once);
 * - `message_queue`: one row per app × event, written in the publisher's transaction. A row is
 *   handed out when `visible_at <= now` and not acknowledged; a delivery pushes `visible_at` one
 *   visibility timeout ahead, so an unacknowledged message comes back (at least once).
 * Routing reads a seller's live grants at publish time through 0001's `grants_seller_idx`.
 */
export function messagesMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('gateway_apps').addColumn('topics', 'text').execute();
      await identityColumn(
        dialect,
        'id',
      )(db.schema.createTable('message_events'))
        .addColumn('topic', 'text', (c: any) => c.notNull())
        .addColumn('seller_id', 'bigint', (c: any) => c.notNull())
        .addColumn('store_id', 'bigint', (c: any) => c.notNull())
        .addColumn('data', 'text', (c: any) => c.notNull())
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .execute();
      await db.schema.createIndex('message_events_created_idx').on('message_events').column('created_at').execute();
      await identityColumn(
        dialect,
        'id',
      )(db.schema.createTable('message_queue'))
        .addColumn('app_key', 'text', (c: any) => c.notNull())
        .addColumn('event_id', 'bigint', (c: any) => c.notNull())
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .addColumn('visible_at', 'bigint', (c: any) => c.notNull())
        .addColumn('deliveries', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('delivered_at', 'bigint')
        .addColumn('acked_at', 'bigint')
        .execute();
      // The claim walks an app's unacknowledged rows in publish order.
      await sql`create index message_queue_pending_idx on message_queue (app_key, id) where acked_at is null`.execute(
        db,
      );
      await db.schema.createIndex('message_queue_created_idx').on('message_queue').column('created_at').execute();
      await db.schema
        .createIndex('message_queue_app_delivered_idx')
        .on('message_queue')
        .columns(['app_key', 'delivered_at'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('message_queue').ifExists().execute();
      await db.schema.dropTable('message_events').ifExists().execute();
      await db.schema.alterTable('gateway_apps').dropColumn('topics').execute();
    },
  };
}
