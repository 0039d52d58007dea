import type { Kysely, Migration } from 'kysely';

/**
 * The operator admin at scale (issue 14 §3, docs/adr/0162):
 * - `apps.review_note` / `review_note_at`: the reason an operator gave when returning a submitted app
 *   to its developer (shown in the developer console until the app is approved);
 * - `apps_status_key_idx` (status, app_key): the admin's and the management API's app list filtered
 *   by status pages in app_key order from the index instead of sorting the status's rows;
 * - `sellers_username_idx` is not needed (username is unique already); `audit_log` has (event, id) and
 *   (actor, id) since 0015, and its primary key serves the unfiltered newest-first pages.
 */
export function adminReviewMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('apps').addColumn('review_note', 'text').execute();
      await db.schema.alterTable('apps').addColumn('review_note_at', 'bigint').execute();
      await db.schema.createIndex('apps_status_key_idx').on('apps').columns(['status', 'app_key']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('apps_status_key_idx').ifExists().execute();
      for (const c of ['review_note', 'review_note_at']) await db.schema.alterTable('apps').dropColumn(c).execute();
    },
  };
}
