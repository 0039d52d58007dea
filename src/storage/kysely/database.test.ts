import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { openStorage } from '../../runtime.js';

describe('SQLite planner statistics (ADR 0057)', () => {
  it('empties sqlite_stat4 left by an ANALYZE when it opens the database, and keeps sqlite_stat1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stat4-'));
    const file = join(dir, 'db.sqlite');
    try {
      const made = await openStorage(`sqlite:${file}`, { createIfMissing: true });
      await made.close();
      // An operator's ANALYZE over a table with rows writes per-value samples into sqlite_stat4.
      const raw = new SQLite(file);
      raw.pragma('foreign_keys = OFF');
      raw.exec(
        `insert into grants (grant_id, app_key, seller_id, store_id, scope, created_at) values ('g1', 'a', 1, 1, 's', 1)`,
      );
      raw.exec(
        `insert into tokens (token_hash, kind, grant_id, app_key, scope, created_at, expires_at) values ('h1', 'access', 'g1', 'a', 's', 1, 2)`,
      );
      raw.exec('ANALYZE');
      const count = (table: string) => (raw.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
      assert.ok(count('sqlite_stat4') > 0, 'this SQLite build keeps STAT4 samples');
      const stat1 = count('sqlite_stat1');
      assert.ok(stat1 > 0);
      raw.close();

      const storage = await openStorage(`sqlite:${file}`);
      await storage.close();
      const after = new SQLite(file, { readonly: true });
      assert.equal((after.prepare('select count(*) as n from sqlite_stat4').get() as { n: number }).n, 0);
      assert.equal((after.prepare('select count(*) as n from sqlite_stat1').get() as { n: number }).n, stat1);
      // The data itself is untouched.
      assert.equal(
        (after.prepare("select count(*) as n from tokens where token_hash = 'h1'").get() as { n: number }).n,
        1,
      );
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migrations merged out of order', () => {
  it('applies a migration whose name sorts before one already applied (branches merged in another order)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unordered-'));
    const file = join(dir, 'db.sqlite');
    try {
      (await openStorage(`sqlite:${file}`, { createIfMissing: true })).close();
      // A database migrated before 0010_refresh_grace was merged, but after 0016_grant_stores_scopes.
      const raw = new SQLite(file);
      raw.exec(
        'drop index tokens_grace_until_idx; alter table tokens drop column successor; alter table tokens drop column grace_until',
      );
      raw.exec("delete from kysely_migration where name = '0010_refresh_grace'");
      assert.equal(
        (
          raw.prepare("select count(*) as n from kysely_migration where name = '0016_grant_stores_scopes'").get() as {
            n: number;
          }
        ).n,
        1,
      );
      raw.close();
      const storage = await openStorage(`sqlite:${file}`);
      await storage.close();
      const after = new SQLite(file, { readonly: true });
      assert.ok(
        (after.prepare("select * from pragma_table_info('tokens')").all() as { name: string }[]).some(
          (c) => c.name === 'successor',
        ),
      );
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
