import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Service subscriptions (issue 16 §1, docs/adr/0140):
 * - `subscriptions`: a seller's paid subscription to an app, recorded by an operator: until
 *   `expires_at`, unless `cancelled_at`. `expiring_event_for` is the `expires_at` the
 *   `subscription.expiring` event was produced for (a renewal produces a new one for its new end),
 *   `expired_event_at` when `subscription.expired` was produced (cleared by a renewal that revives it).
 * - `apps.require_subscription` (0/1) and `apps.purchase_url`: sellers without an active
 *   subscription cannot authorize such an app, and its tokens never outlive the subscription.
 */
export function subscriptionsMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('subscriptions')
        .addColumn('subscription_id', 'text', (c) => c.primaryKey())
        .addColumn('app_key', 'text', (c) => c.notNull().references('apps.app_key').onDelete('cascade'))
        .addColumn('seller_id', 'bigint', (c) => c.notNull())
        .addColumn('plan', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('cancelled_at', 'bigint')
        .addColumn('expiring_event_for', 'bigint')
        .addColumn('expired_event_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('subscriptions_app_seller_idx')
        .on('subscriptions')
        .columns(['app_key', 'seller_id'])
        .execute();
      await db.schema
        .createIndex('subscriptions_seller_idx')
        .on('subscriptions')
        .columns(['seller_id', 'created_at'])
        .execute();
      // The event sweep (every webhook round) reads only what is still owed: partial indexes that
      // lose a row once its event was produced, so it never rescans the history.
      await db.schema
        .createIndex('subscriptions_owing_expiring_idx')
        .on('subscriptions')
        .column('expires_at')
        .where(sql.ref('expiring_event_for'), 'is', null)
        .execute();
      await db.schema
        .createIndex('subscriptions_owing_expired_idx')
        .on('subscriptions')
        .column('expires_at')
        .where(sql.ref('expired_event_at'), 'is', null)
        .execute();
      await db.schema
        .createIndex('subscriptions_owing_cancelled_idx')
        .on('subscriptions')
        .column('cancelled_at')
        .where(sql.ref('expired_event_at'), 'is', null)
        .execute();
      await db.schema
        .alterTable('apps')
        .addColumn('require_subscription', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('apps').addColumn('purchase_url', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('subscriptions').ifExists().execute();
      await db.schema.alterTable('apps').dropColumn('purchase_url').execute();
      await db.schema.alterTable('apps').dropColumn('require_subscription').execute();
    },
  };
}
