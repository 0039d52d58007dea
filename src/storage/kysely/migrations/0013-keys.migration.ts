import type { Kysely, Migration } from 'kysely';

/**
 * Per-app settings of the legacy client-side flow (docs/adr/0116, issue 15 finding 8):
 * - `gateway_apps.fragment_redirect`: where the app's tokens may be sent in a URL fragment:
 *   `exact-callback` (only a registered callback's exact origin and path), `redirect-rule` (the
 *   profile's redirect rule, e.g. the documents' domain rule), or NULL: the profile's setting.
 * - `gateway_apps.client_side_flow_at`: when the app last received a token through the
 *   client-side flow (`response_type=token`), so the developer console can warn it.
 */
export function keysMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('gateway_apps').addColumn('fragment_redirect', 'text').execute();
      await db.schema.alterTable('gateway_apps').addColumn('client_side_flow_at', 'bigint').execute();
    },
    async down(db: Kysely<any>) {
      for (const c of ['fragment_redirect', 'client_side_flow_at'])
        await db.schema.alterTable('gateway_apps').dropColumn(c).execute();
    },
  };
}
