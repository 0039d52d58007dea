import type { Kysely, Migration } from 'kysely';
import { identityColumn } from './identity-column.js';

/**
 * Web accounts for the developer console and the operator admin, app details the console
 * edits, the secret-rotation overlap (docs/adr/0060) and sandbox sellers. The audit log is
 * 0003_security's `audit_log`.
 */
export function consoleMigration(dialect: 'sqlite' | 'postgres'): Migration {
  const identity = (name: string) => identityColumn(dialect, name);
  return {
    async up(db: Kysely<any>) {
      // Developer and operator accounts live apart from sellers (and from each other).
      await identity('account_id')(db.schema.createTable('web_accounts'))
        .addColumn('realm', 'text', (c: any) => c.notNull())
        .addColumn('username', 'text', (c: any) => c.notNull())
        .addColumn('password_hash', 'text', (c: any) => c.notNull())
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .execute();
      await db.schema
        .createIndex('web_accounts_realm_username_idx')
        .unique()
        .on('web_accounts')
        .columns(['realm', 'username'])
        .execute();

      await db.schema
        .createTable('web_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('realm', 'text', (c) => c.notNull())
        .addColumn('account_id', 'bigint', (c) => c.notNull().references('web_accounts.account_id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('web_sessions_account_idx').on('web_sessions').column('account_id').execute();

      await db.schema.alterTable('apps').addColumn('developer_id', 'bigint').execute();
      await db.schema.alterTable('apps').addColumn('description', 'text').execute();
      await db.schema.alterTable('apps').addColumn('logo_url', 'text').execute();
      await db.schema.alterTable('apps').addColumn('previous_secret_hash', 'text').execute();
      await db.schema.alterTable('apps').addColumn('previous_secret_expires_at', 'bigint').execute();
      await db.schema.createIndex('apps_developer_idx').on('apps').column('developer_id').execute();

      // Sellers a developer made for testing their own apps while the app is `testing`.
      await db.schema
        .createTable('sandbox_sellers')
        .addColumn('seller_id', 'bigint', (c) => c.primaryKey().references('sellers.seller_id').onDelete('cascade'))
        .addColumn('developer_id', 'bigint', (c) =>
          c.notNull().references('web_accounts.account_id').onDelete('cascade'),
        )
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['sandbox_sellers', 'web_sessions', 'web_accounts'])
        await db.schema.dropTable(t).ifExists().execute();
      await db.schema.dropIndex('apps_developer_idx').ifExists().execute();
      for (const c of [
        'developer_id',
        'description',
        'logo_url',
        'previous_secret_hash',
        'previous_secret_expires_at',
      ]) {
        await db.schema.alterTable('apps').dropColumn(c).execute();
      }
    },
  };
}
