import type { Kysely, Migration } from 'kysely';
import { identityColumn } from './identity-column.js';

/**
 * The management API (issue 14, docs/adr/0131):
 * - `operator_tokens`: API tokens for `/admin/api/v1/`, stored as SHA-256 (the token is shown once);
 *   a read-only flag; revoked, never deleted (the audit log names them).
 * - `sellers.disabled_at`: an operator disabled the seller (no sign-in while set).
 * - audit log indexes for the API's filters (action, actor) in id order.
 */
export function managementApiMigration(dialect: 'sqlite' | 'postgres'): Migration {
  const identity = (name: string) => identityColumn(dialect, name);
  return {
    async up(db: Kysely<any>) {
      await identity('token_id')(db.schema.createTable('operator_tokens'))
        .addColumn('name', 'text', (c: any) => c.notNull())
        .addColumn('token_hash', 'text', (c: any) => c.notNull().unique())
        .addColumn('read_only', 'integer', (c: any) => c.notNull())
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.alterTable('sellers').addColumn('disabled_at', 'bigint').execute();
      await db.schema.createIndex('audit_log_event_idx').on('audit_log').columns(['event', 'id']).execute();
      await db.schema.createIndex('audit_log_actor_idx').on('audit_log').columns(['actor', 'id']).execute();
      await db.schema
        .createIndex('grants_seller_created_idx')
        .on('grants')
        .columns(['seller_id', 'created_at'])
        .execute();
      await db.schema.createIndex('grants_app_created_idx').on('grants').columns(['app_key', 'created_at']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('operator_tokens').ifExists().execute();
      for (const i of [
        'audit_log_event_idx',
        'audit_log_actor_idx',
        'grants_seller_created_idx',
        'grants_app_created_idx',
      ])
        await db.schema.dropIndex(i).ifExists().execute();
      await db.schema.alterTable('sellers').dropColumn('disabled_at').execute();
    },
  };
}
