import { sql, type Kysely, type Migration } from 'kysely';

/**
 * An index on when webhook pushes were delivered, over delivered rows only, so the janitor finds those past the
 * retention (`purgeExpired('deliveries')`) by a range read instead of a scan of the whole outbox each run. The
 * outbox kept every delivered push for ever before: one row per event pushed (issue 16's message service pushes
 * hundreds a second), so it grew without bound.
 */
export function outboxDeliveredIndexMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createIndex('gateway_outbox_delivered_idx')
        .ifNotExists()
        .on('gateway_webhook_outbox')
        .column('delivered_at')
        .where(sql.ref('delivered_at'), 'is not', null)
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('gateway_outbox_delivered_idx').ifExists().execute();
    },
  };
}
