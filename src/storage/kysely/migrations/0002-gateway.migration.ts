import { sql, type Kysely, type Migration } from 'kysely';
import { identityColumn } from './identity-column.js';

/** Open API gateway tables: per-app settings, seller data, quota counters, webhook outbox (docs/gateway.md). */
export function gatewayMigration(dialect: 'sqlite' | 'postgres'): Migration {
  const identity = (name: string) => identityColumn(dialect, name);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('gateway_apps')
        .addColumn('app_key', 'text', (c) => c.primaryKey().references('apps.app_key').onDelete('cascade'))
        .addColumn('sealed_secret', 'text')
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_since', 'bigint')
        .addColumn('permissions', 'text')
        .addColumn('quota_per_day', 'integer')
        .addColumn('quota_per_second', 'integer')
        .execute();

      await db.schema
        .createTable('gateway_store_settings')
        .addColumn('store_id', 'bigint', (c) => c.primaryKey().references('stores.store_id').onDelete('cascade'))
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await identity('product_id')(db.schema.createTable('gateway_products'))
        .addColumn('store_id', 'bigint', (c: any) => c.notNull().references('stores.store_id').onDelete('cascade'))
        .addColumn('title', 'text', (c: any) => c.notNull())
        .addColumn('outer_id', 'text')
        .addColumn('price_cents', 'bigint', (c: any) => c.notNull())
        .addColumn('stock', 'integer', (c: any) => c.notNull())
        .addColumn('status', 'text', (c: any) => c.notNull())
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .addColumn('updated_at', 'bigint', (c: any) => c.notNull())
        .execute();
      await db.schema
        .createIndex('gateway_products_store_updated_idx')
        .on('gateway_products')
        .columns(['store_id', 'updated_at'])
        .execute();

      await identity('order_id')(db.schema.createTable('gateway_orders'))
        .addColumn('store_id', 'bigint', (c: any) => c.notNull().references('stores.store_id').onDelete('cascade'))
        .addColumn('status', 'text', (c: any) => c.notNull())
        .addColumn('buyer_nick', 'text', (c: any) => c.notNull())
        .addColumn('receiver_name', 'text', (c: any) => c.notNull())
        .addColumn('receiver_phone', 'text', (c: any) => c.notNull())
        .addColumn('receiver_address', 'text', (c: any) => c.notNull())
        .addColumn('total_cents', 'bigint', (c: any) => c.notNull())
        .addColumn('lines', 'text', (c: any) => c.notNull())
        .addColumn('logistics_company', 'text')
        .addColumn('tracking_no', 'text')
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .addColumn('updated_at', 'bigint', (c: any) => c.notNull())
        .addColumn('shipped_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('gateway_orders_store_created_idx')
        .on('gateway_orders')
        .columns(['store_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('gateway_orders_store_updated_idx')
        .on('gateway_orders')
        .columns(['store_id', 'updated_at'])
        .execute();

      await db.schema
        .createTable('gateway_quota')
        .addColumn('app_key', 'text', (c) => c.notNull())
        .addColumn('window', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('gateway_quota_pk', ['app_key', 'window'])
        .execute();
      await db.schema.createIndex('gateway_quota_expires_idx').on('gateway_quota').column('expires_at').execute();

      await identity('id')(db.schema.createTable('gateway_webhook_outbox'))
        .addColumn('app_key', 'text', (c: any) => c.notNull().references('apps.app_key').onDelete('cascade'))
        .addColumn('grant_id', 'text', (c: any) => c.notNull())
        .addColumn('event', 'text', (c: any) => c.notNull())
        .addColumn('body', 'text', (c: any) => c.notNull())
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .addColumn('attempts', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c: any) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addColumn('last_error', 'text')
        .execute();
      await db.schema
        .createIndex('gateway_outbox_grant_event_idx')
        .unique()
        .on('gateway_webhook_outbox')
        .columns(['grant_id', 'event'])
        .execute();
      await db.schema
        .createIndex('gateway_outbox_due_idx')
        .on('gateway_webhook_outbox')
        .column('next_attempt_at')
        .where(sql.ref('delivered_at'), 'is', null)
        .execute();
      await db.schema.createIndex('grants_revoked_idx').on('grants').column('revoked_at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('grants_revoked_idx').ifExists().execute();
      for (const t of [
        'gateway_webhook_outbox',
        'gateway_quota',
        'gateway_orders',
        'gateway_products',
        'gateway_store_settings',
        'gateway_apps',
      ]) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  };
}
