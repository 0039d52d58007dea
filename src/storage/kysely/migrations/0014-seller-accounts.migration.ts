import type { Kysely, Migration } from 'kysely';

/**
 * Sellers and stores from the platform's own account system (docs/adr/0125), seller password
 * resets (docs/adr/0126), and the columns and table for operator TOTP (issue 14 §3; not used by
 * any code yet).
 *
 * - `sellers.source` says where a seller signs in: `builtin` (Shouquan's own password), `directory`
 *   (the platform's HTTP seller directory) or `oidc` (the platform's OpenID Connect IdP);
 *   `external_id` is the platform's own seller id, `nick` its display name.
 * - `stores.external_id` is the platform's own store id, the `store_id` an ISV sees for that store;
 *   `detached_at` is set when the platform no longer lists the store under its seller.
 * - `seller_password_resets`: one-time reset links, stored as SHA-256 of the token.
 * - `web_accounts.totp_secret` (sealed with the server key), `totp_enabled_at` (null while enrolment
 *   is pending) and `totp_last_step` (replay protection); `web_recovery_codes` (SHA-256, single use).
 */
export function sellerAccountsMigration(_dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('sellers')
        .addColumn('source', 'text', (c) => c.notNull().defaultTo('builtin'))
        .execute();
      await db.schema.alterTable('sellers').addColumn('external_id', 'text').execute();
      await db.schema.alterTable('sellers').addColumn('nick', 'text').execute();
      await db.schema
        .createIndex('sellers_source_external_idx')
        .unique()
        .on('sellers')
        .columns(['source', 'external_id'])
        .execute();

      await db.schema.alterTable('stores').addColumn('external_id', 'text').execute();
      await db.schema.alterTable('stores').addColumn('detached_at', 'bigint').execute();
      await db.schema.createIndex('stores_external_idx').unique().on('stores').column('external_id').execute();

      await db.schema
        .createTable('seller_password_resets')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('seller_id', 'bigint', (c) => c.notNull().references('sellers.seller_id').onDelete('cascade'))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('seller_password_resets_seller_idx')
        .on('seller_password_resets')
        .column('seller_id')
        .execute();

      await db.schema.alterTable('web_accounts').addColumn('totp_secret', 'text').execute();
      await db.schema.alterTable('web_accounts').addColumn('totp_enabled_at', 'bigint').execute();
      // RFC 6238 §5.2: a code is accepted once; the last accepted time step is remembered.
      await db.schema.alterTable('web_accounts').addColumn('totp_last_step', 'bigint').execute();
      await db.schema
        .createTable('web_recovery_codes')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'bigint', (c) => c.notNull().references('web_accounts.account_id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('web_recovery_codes_account_idx')
        .on('web_recovery_codes')
        .column('account_id')
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['web_recovery_codes', 'seller_password_resets'])
        await db.schema.dropTable(t).ifExists().execute();
      for (const i of ['stores_external_idx', 'sellers_source_external_idx'])
        await db.schema.dropIndex(i).ifExists().execute();
      for (const c of ['totp_secret', 'totp_enabled_at', 'totp_last_step'])
        await db.schema.alterTable('web_accounts').dropColumn(c).execute();
      for (const c of ['external_id', 'detached_at']) await db.schema.alterTable('stores').dropColumn(c).execute();
      for (const c of ['source', 'external_id', 'nick']) await db.schema.alterTable('sellers').dropColumn(c).execute();
    },
  };
}
