import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * `shared_limits.count` and `taken` as 64-bit integers on PostgreSQL (docs/adr/0185). They were
 * `integer` (32-bit) there since 0012_shared_limits, so a call quota above 2,147,483,647 a day (an
 * operator's "unlimited", e.g. 10^12) made PostgreSQL refuse the quota statement's parameter and every
 * signed call answer code 15. SQLite's INTEGER is 64-bit already: nothing to do there.
 */
export function sharedLimitsBigintMigration(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`alter table shared_limits alter column count type bigint, alter column taken type bigint`.execute(db);
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`alter table shared_limits alter column count type integer, alter column taken type integer`.execute(db);
    },
  };
}
