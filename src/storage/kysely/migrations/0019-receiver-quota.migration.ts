import type { Kysely, Migration } from 'kysely';

/**
 * `gateway_apps.receiver_quota_per_day`: how many order receivers an app may decrypt per GMT+8
 * day (`orders.receiver.get`, docs/adr/0137); null: the server's default (gateway option
 * `receiverQuotaPerDay`). The count itself lives in the shared limit store (database or Redis,
 * docs/adr/0110), no longer in `gateway_quota`.
 */
export function receiverQuotaMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('gateway_apps').addColumn('receiver_quota_per_day', 'integer').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('gateway_apps').dropColumn('receiver_quota_per_day').execute();
    },
  };
}
