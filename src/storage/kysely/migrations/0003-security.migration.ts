import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Security and operations schema (docs/adr/0041):
 * - `audit_log`: append-only record of grants, revocations, secret rotations and admin actions.
 *   Triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), so the application role
 *   cannot rewrite history; an operator archives it with a role that may drop the trigger.
 * - `grants_revoked_idx` (also made by 0002_gateway): lets the janitor find revoked grants without scanning.
 */
export function securityMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      let table = db.schema.createTable('audit_log');
      table =
        dialect === 'postgres'
          ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
          : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await table
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('actor', 'text')
        .addColumn('app_key', 'text')
        .addColumn('seller_id', 'bigint')
        .addColumn('subject', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
      await db.schema.createIndex('audit_log_app_idx').on('audit_log').columns(['app_key', 'at']).execute();
      // 0002_gateway made the same index; keep one (a database may have either history).
      await db.schema.createIndex('grants_revoked_idx').ifNotExists().on('grants').column('revoked_at').execute();

      if (dialect === 'postgres') {
        await sql`create or replace function audit_log_append_only() returns trigger language plpgsql as $$
          begin raise exception 'audit_log is append-only'; end $$`.execute(db);
        await sql`create trigger audit_log_no_change before update or delete on audit_log for each row execute function audit_log_append_only()`.execute(
          db,
        );
        await sql`create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only()`.execute(
          db,
        );
      } else {
        await sql`create trigger audit_log_no_update before update on audit_log begin select raise(abort, 'audit_log is append-only'); end`.execute(
          db,
        );
        await sql`create trigger audit_log_no_delete before delete on audit_log begin select raise(abort, 'audit_log is append-only'); end`.execute(
          db,
        );
      }
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('audit_log').ifExists().execute();
      if (dialect === 'postgres') await sql`drop function if exists audit_log_append_only()`.execute(db);
    },
  };
}
