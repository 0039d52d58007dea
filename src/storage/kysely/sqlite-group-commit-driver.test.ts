import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { SqliteGroupCommitDialect, type SqliteGroupCommitDriver } from './sqlite-group-commit-driver.js';

interface Db {
  items: { id: number; name: string };
}

describe('SQLite group commit driver', () => {
  let dir: string;
  let file: string;
  let dialect: SqliteGroupCommitDialect;
  let db: Kysely<Db>;
  /** A second, independent connection: sees only what is committed. */
  let observer: SQLite.Database;
  const committed = (id: number) =>
    observer.prepare('select count(*) as n from items where id = ?').get(id) as { n: number };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sq-gc-'));
    file = join(dir, 'db.sqlite');
    const raw = new SQLite(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    dialect = new SqliteGroupCommitDialect(raw);
    db = new Kysely<Db>({ dialect });
    await sql`create table items (id integer primary key, name text not null unique)`.execute(db);
    observer = new SQLite(file, { readonly: true });
  });

  afterEach(async () => {
    observer.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits concurrent transactions together and resolves each only after the COMMIT', async () => {
    const before = dialect.driver!.stats.commits;
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db
          .transaction()
          .execute(async (trx) => {
            await trx
              .insertInto('items')
              .values({ id: i, name: `n${i}` })
              .execute();
            await trx
              .updateTable('items')
              .set({ name: `m${i}` })
              .where('id', '=', i)
              .execute();
          })
          .then(() => {
            // The moment a caller learns of success, another connection sees the row.
            seen.push(committed(i).n);
          }),
      ),
    );
    assert.deepEqual(seen, Array(20).fill(1));
    const commits = dialect.driver!.stats.commits - before;
    assert.ok(commits >= 1 && commits < 20, `expected the 20 transactions in fewer COMMITs, got ${commits}`);
    assert.equal((observer.prepare('select count(*) as n from items').get() as { n: number }).n, 20);
  });

  it('rolls back only the failing member of a group', async () => {
    await db.insertInto('items').values({ id: 100, name: 'taken' }).execute();
    const results = await Promise.allSettled([
      db.transaction().execute((trx) => trx.insertInto('items').values({ id: 1, name: 'a' }).execute()),
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ id: 2, name: 'b' }).execute();
        await trx.insertInto('items').values({ id: 3, name: 'taken' }).execute(); // unique violation
      }),
      db.transaction().execute((trx) => trx.insertInto('items').values({ id: 4, name: 'd' }).execute()),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(
      [1, 2, 3, 4].map((id) => committed(id).n),
      [1, 0, 0, 1],
    );
  });

  it('makes a plain write that joins an open group wait for its COMMIT', async () => {
    const tx = db.transaction().execute((trx) => trx.insertInto('items').values({ id: 1, name: 'a' }).execute());
    const plain = db
      .insertInto('items')
      .values({ id: 2, name: 'b' })
      .execute()
      .then(() => committed(2).n);
    await tx;
    assert.equal(await plain, 1);
  });

  it('answers reads without waiting and sees its own writes', async () => {
    await db.insertInto('items').values({ id: 7, name: 'seven' }).execute();
    const row = await db.selectFrom('items').select('name').where('id', '=', 7).executeTakeFirst();
    assert.deepEqual(row, { name: 'seven' });
  });

  it('commits every transaction on its own with groupCommit off', async () => {
    const raw = new SQLite(join(dir, 'plain.sqlite'));
    const plain = new SqliteGroupCommitDialect(raw, { groupCommit: false });
    const pdb = new Kysely<Db>({ dialect: plain });
    await sql`create table items (id integer primary key, name text not null unique)`.execute(pdb);
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        pdb.transaction().execute((trx) =>
          trx
            .insertInto('items')
            .values({ id: i, name: `n${i}` })
            .execute(),
        ),
      ),
    );
    assert.deepEqual(plain.driver!.stats, { transactions: 5, commits: 5, checkpoints: 0, walRestarts: 0 });
    await pdb.destroy();
  });

  describe('direct path (ADR 0058)', () => {
    const insert = (id: number, name: string) =>
      CompiledQuery.raw('insert into items (id, name) values (?, ?)', [id, name]);
    const count = CompiledQuery.raw('select count(*) as n from items', []);

    it('joins direct and Kysely transactions in one group and answers each only after the COMMIT', async () => {
      const driver = dialect.createDriver() as SqliteGroupCommitDriver;
      const before = driver.stats.commits;
      const seen: number[] = [];
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) =>
          driver
            .transaction(async (run) => {
              assert.equal(run(insert(i, `d${i}`)).changes, 1);
            })
            .then(() => seen.push(committed(i).n)),
        ),
        ...Array.from({ length: 10 }, (_, i) =>
          db
            .insertInto('items')
            .values({ id: 100 + i, name: `k${i}` })
            .execute()
            .then(() => seen.push(committed(100 + i).n)),
        ),
      ]);
      assert.deepEqual(seen, Array(20).fill(1));
      const commits = driver.stats.commits - before;
      assert.ok(commits >= 1 && commits < 20, `expected fewer COMMITs than transactions, got ${commits}`);
    });

    it('rolls back only the failing transaction of a group, and rethrows its error', async () => {
      const driver = dialect.createDriver() as SqliteGroupCommitDriver;
      const results = await Promise.allSettled([
        driver.transaction((run) => run(insert(1, 'a'))),
        driver.transaction((run) => {
          run(insert(2, 'b'));
          run(insert(3, 'a')); // unique name: fails, and row 2 must go with it
        }),
        driver.transaction((run) => run(insert(4, 'c'))),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.equal(
        ((results[1] as PromiseRejectedResult).reason as { code?: string }).code,
        'SQLITE_CONSTRAINT_UNIQUE',
      );
      assert.deepEqual(
        [1, 2, 3, 4].map((id) => committed(id).n),
        [1, 0, 0, 1],
      );
    });

    it('reads at once when the connection is free, and not in the middle of a transaction', async () => {
      const driver = dialect.createDriver() as SqliteGroupCommitDriver;
      assert.deepEqual(driver.tryRead(count), [{ n: 0 }]);
      let inside: unknown = 'not run';
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = driver.transaction(async (run) => {
        run(insert(7, 'x'));
        await gate;
      });
      await new Promise((r) => setImmediate(r));
      inside = driver.tryRead(count);
      release();
      await tx;
      assert.equal(inside, undefined);
      assert.deepEqual(driver.tryRead(count), [{ n: 1 }]);
      assert.throws(() => driver.tryRead(insert(8, 'y')), /not a read statement/);
    });
  });
});

describe('SQLite WAL restart under writes that never pause (ADR 0092)', () => {
  it('has the checkpoint thread restart the log while writes wait and reads go on; nothing is lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-restart-'));
    const file = join(dir, 'db.sqlite');
    const raw = new SQLite(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    const dialect = new SqliteGroupCommitDialect(raw, {
      checkpointFile: file,
      checkpointIntervalMs: 5,
      walRestartAtFrames: 40,
    });
    const db = new Kysely<Db>({ dialect });
    // Through Kysely, so that db.destroy() below stops the driver and its checkpoint thread.
    await sql`create table items (id integer primary key, name text not null unique)`.execute(db);
    const driver = dialect.createDriver() as SqliteGroupCommitDriver;
    const insert = (id: number) =>
      CompiledQuery.raw('insert into items (id, name) values (?, ?)', [id, `${id} ${'x'.repeat(400)}`]);
    const count = CompiledQuery.raw('select count(*) as n from items', []);
    try {
      let next = 0;
      let reads = 0;
      let readsWhileHeld = 0;
      let done = false;
      const deadline = Date.now() + 15_000;
      // A reader on its own: while writes wait for the thread, hot reads are still answered.
      const reader = (async () => {
        while (!done) {
          if (driver.heldForRestart && driver.tryRead(count)) readsWhileHeld++;
          await new Promise((r) => setImmediate(r));
        }
      })();
      // 32 writers that never pause, as a saturated token endpoint, until the thread has restarted the log a few times.
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (driver.stats.walRestarts < 3 && Date.now() < deadline) {
            const id = next++;
            await driver.transaction((run) => run(insert(id)));
            const rows = driver.tryRead<{ n: number }>(count);
            if (rows) {
              reads++;
              assert.ok(rows[0]!.n >= 1);
            }
          }
        }),
      );
      done = true;
      await reader;
      assert.ok(
        driver.stats.walRestarts >= 3,
        `expected the thread to restart the WAL, got ${driver.stats.walRestarts} restarts`,
      );
      assert.ok(reads > 0);
      assert.ok(readsWhileHeld > 0, 'no read was answered while writes waited for the restart');
      // Every transaction that was answered is there, once.
      assert.deepEqual(driver.tryRead(count), [{ n: next }]);
    } finally {
      await db.destroy();
    }
    const again = new SQLite(file, { readonly: true });
    try {
      assert.equal(
        (again.prepare('select count(*) as n from items').get() as { n: number }).n,
        (again.prepare('select max(id) + 1 as n from items').get() as { n: number }).n,
      );
    } finally {
      again.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
