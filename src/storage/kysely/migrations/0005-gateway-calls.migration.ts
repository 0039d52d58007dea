import type { Kysely, Migration } from 'kysely';
import { identityColumn } from './identity-column.js';

/**
 * Gateway call records for the developer console's "recent calls and errors" card, written in
 * batches by `CallLogWriter` (src/gateway/call-log.ts, docs/adr/0062) and purged by the janitor
 * after the retention period; and the previous sealed AppSecret kept through a rotation's
 * overlap window, so signed `/router/rest` calls honour it like the token endpoint does
 * (docs/adr/0060).
 */
export function gatewayCallsMigration(dialect: 'sqlite' | 'postgres'): Migration {
  const identity = (name: string) => identityColumn(dialect, name);
  return {
    async up(db: Kysely<any>) {
      // No foreign key to apps: telemetry rows must not cost a lookup per insert, and apps are never deleted.
      await identity('id')(db.schema.createTable('gateway_calls'))
        .addColumn('app_key', 'text', (c: any) => c.notNull())
        .addColumn('method', 'text', (c: any) => c.notNull())
        .addColumn('face', 'text', (c: any) => c.notNull())
        .addColumn('store_id', 'bigint')
        .addColumn('seller_id', 'bigint')
        .addColumn('code', 'integer')
        .addColumn('sub_code', 'text')
        .addColumn('http_status', 'integer', (c: any) => c.notNull())
        .addColumn('duration_ms', 'integer', (c: any) => c.notNull())
        .addColumn('at', 'bigint', (c: any) => c.notNull())
        .execute();
      // "The latest calls of one app" and its 24-hour summary; the janitor's retention purge uses `at` alone.
      await db.schema.createIndex('gateway_calls_app_at_idx').on('gateway_calls').columns(['app_key', 'at']).execute();
      await db.schema.createIndex('gateway_calls_at_idx').on('gateway_calls').column('at').execute();

      await db.schema.alterTable('gateway_apps').addColumn('previous_sealed_secret', 'text').execute();
      await db.schema.alterTable('gateway_apps').addColumn('previous_secret_expires_at', 'bigint').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('gateway_calls').ifExists().execute();
      for (const c of ['previous_sealed_secret', 'previous_secret_expires_at'])
        await db.schema.alterTable('gateway_apps').dropColumn(c).execute();
    },
  };
}
