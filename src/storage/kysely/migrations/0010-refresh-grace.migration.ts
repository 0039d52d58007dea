import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Idempotent refresh within a grace window (docs/adr/0100): a rotated refresh token keeps its
 * successor's answer, sealed with the server key (`successor`), until `grace_until`. The partial
 * index holds only the rows inside a window, so the janitor finds the ones to clear without a
 * scan and token inserts (every code exchange, every refresh) do not write to it.
 */
export function refreshGraceMigration(_dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('tokens').addColumn('successor', 'text').execute();
      await db.schema.alterTable('tokens').addColumn('grace_until', 'bigint').execute();
      await db.schema
        .createIndex('tokens_grace_until_idx')
        .on('tokens')
        .column('grace_until')
        .where(sql.ref('grace_until'), 'is not', null)
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('tokens_grace_until_idx').ifExists().execute();
      for (const c of ['successor', 'grace_until']) await db.schema.alterTable('tokens').dropColumn(c).execute();
    },
  };
}
