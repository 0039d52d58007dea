import { sql, type Kysely, type Migration } from 'kysely';
import { identityColumn } from './identity-column.js';

/** Initial schema. `serial` is the only dialect difference (identity columns). */
export function initialMigration(dialect: 'sqlite' | 'postgres'): Migration {
  const identity = (name: string) => identityColumn(dialect, name);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('apps')
        .addColumn('app_key', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('callback_urls', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await identity('seller_id')(db.schema.createTable('sellers'))
        .addColumn('username', 'text', (c: any) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c: any) => c.notNull())
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .execute();

      await identity('store_id')(db.schema.createTable('stores'))
        .addColumn('seller_id', 'bigint', (c: any) => c.notNull().references('sellers.seller_id').onDelete('cascade'))
        .addColumn('name', 'text', (c: any) => c.notNull())
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .execute();
      await db.schema.createIndex('stores_seller_idx').on('stores').column('seller_id').execute();

      await db.schema
        .createTable('interactions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('browser_hash', 'text', (c) => c.notNull())
        .addColumn('request', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('consumed_at', 'bigint')
        .execute();
      await db.schema.createIndex('interactions_expires_idx').on('interactions').column('expires_at').execute();

      await db.schema
        .createTable('seller_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('seller_id', 'bigint', (c) => c.notNull().references('sellers.seller_id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('seller_sessions_seller_idx').on('seller_sessions').column('seller_id').execute();
      await db.schema.createIndex('seller_sessions_expires_idx').on('seller_sessions').column('expires_at').execute();

      await db.schema
        .createTable('auth_codes')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('app_key', 'text', (c) => c.notNull().references('apps.app_key').onDelete('cascade'))
        .addColumn('seller_id', 'bigint', (c) => c.notNull())
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('redirect_uri_sent', 'integer', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('code_challenge', 'text')
        .addColumn('code_challenge_method', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('consumed_at', 'bigint')
        .addColumn('grant_id', 'text')
        .execute();
      await db.schema.createIndex('auth_codes_expires_idx').on('auth_codes').column('expires_at').execute();

      await db.schema
        .createTable('grants')
        .addColumn('grant_id', 'text', (c) => c.primaryKey())
        .addColumn('app_key', 'text', (c) => c.notNull().references('apps.app_key').onDelete('cascade'))
        .addColumn('seller_id', 'bigint', (c) => c.notNull())
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('revoked_reason', 'text')
        .execute();
      await db.schema
        .createIndex('grants_live_idx')
        .unique()
        .on('grants')
        .columns(['app_key', 'seller_id'])
        .where(sql.ref('revoked_at'), 'is', null)
        .execute();
      await db.schema.createIndex('grants_seller_idx').on('grants').column('seller_id').execute();

      await db.schema
        .createTable('tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text', (c) => c.notNull().references('grants.grant_id').onDelete('cascade'))
        .addColumn('app_key', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('rotated_at', 'bigint')
        .execute();
      await db.schema.createIndex('tokens_grant_idx').on('tokens').column('grant_id').execute();
      await db.schema.createIndex('tokens_expires_idx').on('tokens').column('expires_at').execute();
    },
    async down(db: Kysely<any>) {
      for (const t of [
        'tokens',
        'grants',
        'auth_codes',
        'seller_sessions',
        'interactions',
        'stores',
        'sellers',
        'apps',
        'settings',
      ]) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  };
}
