import type { Kysely, Migration } from 'kysely';

/**
 * Seller sessions started at the platform's OpenID Connect IdP know it (docs/adr/0176):
 * - `seller_sessions.idp_sub`, `idp_sid`: the ID token's `sub` and `sid`, so a back-channel logout
 *   token (OpenID Connect Back-Channel Logout 1.0) finds the sessions it ends; indexed for that;
 * - `seller_sessions.idp_id_token`: the ID token, sealed with the server key, for `id_token_hint`
 *   when the seller signs out (RP-Initiated Logout 1.0);
 * - `seller_oidc_logout_jtis`: the `jti` of each logout token received (SHA-256), until it could no
 *   longer be accepted anyway, so a replayed token is refused.
 */
export function sellerIdpSessionsMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      for (const c of ['idp_sub', 'idp_sid', 'idp_id_token'])
        await db.schema.alterTable('seller_sessions').addColumn(c, 'text').execute();
      await db.schema.createIndex('seller_sessions_idp_sub_idx').on('seller_sessions').column('idp_sub').execute();
      await db.schema.createIndex('seller_sessions_idp_sid_idx').on('seller_sessions').column('idp_sid').execute();
      await db.schema
        .createTable('seller_oidc_logout_jtis')
        .addColumn('jti_hash', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('seller_oidc_logout_jtis_expires_idx')
        .on('seller_oidc_logout_jtis')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('seller_oidc_logout_jtis').ifExists().execute();
      await db.schema.dropIndex('seller_sessions_idp_sid_idx').ifExists().execute();
      await db.schema.dropIndex('seller_sessions_idp_sub_idx').ifExists().execute();
      for (const c of ['idp_sub', 'idp_sid', 'idp_id_token'])
        await db.schema.alterTable('seller_sessions').dropColumn(c).execute();
    },
  };
}
