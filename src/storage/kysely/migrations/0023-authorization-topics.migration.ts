import type { Kysely, Migration } from 'kysely';

/**
 * Authorization events for pull apps (issue 16 §2, docs/adr/0171):
 * - `gateway_apps.authorization_since`: when the app's topics last gained an `authorization.*`
 *   topic (null: it subscribed to none). An app without a webhook gets `authorization.revoked` /
 *   `authorization.replaced` through its pull queue for grants revoked at or after it, never for
 *   earlier ones (as `webhook_since` does for webhooks).
 */
export function authorizationTopicsMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('gateway_apps').addColumn('authorization_since', 'bigint').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('gateway_apps').dropColumn('authorization_since').execute();
    },
  };
}
