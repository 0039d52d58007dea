import type { Kysely, Migration } from 'kysely';

/**
 * Counters every node shares (docs/adr/0110): failure budgets and lockouts of seller, developer
 * and operator sign-ins and of client authentication, and the gateway's quota windows. One row per
 * counter, changed only by single atomic statements (`INSERT … ON CONFLICT … DO UPDATE …
 * RETURNING`); `taken` is what the last `take` granted, returned by the same statement. Expired
 * rows are dead at once and purged by the janitor (`expires_at` index).
 *
 * The call quotas' windows used to live in `gateway_quota`; the gateway now counts them through
 * `shared_limits` (docs/adr/0111). `gateway_quota` stays for the receiver-decryption quota
 * (docs/adr/0137).
 */
export function sharedLimitsMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('shared_limits')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('taken', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('shared_limits_expires_idx').on('shared_limits').column('expires_at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('shared_limits').ifExists().execute();
    },
  };
}
