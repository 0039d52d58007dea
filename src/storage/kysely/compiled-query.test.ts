import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { precompile, precompileInsert } from './compiled-query.js';
import { SqliteGroupCommitDialect } from './sqlite-group-commit-driver.js';

interface Db {
  items: { id: number; name: string; seen: number | null };
}

describe('precompile', () => {
  const open = async () => {
    const db = new Kysely<Db>({ dialect: new SqliteGroupCommitDialect(new SQLite(':memory:')) });
    await sql`create table items (id integer primary key, name text not null, seen integer)`.execute(db);
    await db
      .insertInto('items')
      .values([
        { id: 1, name: 'one', seen: null },
        { id: 2, name: 'two', seen: null },
      ])
      .execute();
    return db;
  };

  it('runs the same SQL as the builder with each call’s values', async () => {
    const db = await open();
    const byName = precompile(db, ['name'], (p) =>
      db.selectFrom('items').select(['id', 'name']).where('name', '=', p.name),
    );
    assert.deepEqual((await byName({ name: 'two' })).rows, [{ id: 2, name: 'two' }]);
    assert.deepEqual((await byName({ name: 'one' })).rows, [{ id: 1, name: 'one' }]);
    assert.deepEqual((await byName({ name: 'none' })).rows, []);
    await db.destroy();
  });

  it('reports affected rows and runs inside a transaction when given one', async () => {
    const db = await open();
    const mark = precompile(db, ['seen', 'id'], (p) =>
      db
        .updateTable('items')
        .set({ seen: p.seen as unknown as number })
        .where('id', '=', p.id as unknown as number)
        .where('seen', 'is', null),
    );
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        assert.equal((await mark({ seen: 5, id: 1 }, trx)).numAffectedRows, 1n);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.equal(
      (await db.selectFrom('items').select('seen').where('id', '=', 1).executeTakeFirstOrThrow()).seen,
      null,
    );
    assert.equal((await mark({ seen: 5, id: 1 })).numAffectedRows, 1n);
    assert.equal((await mark({ seen: 6, id: 1 })).numAffectedRows, 0n);
    await db.destroy();
  });

  it('refuses a placeholder that is not used exactly once', async () => {
    const db = await open();
    assert.throws(
      () => precompile(db, ['a', 'b'], (p) => db.selectFrom('items').selectAll().where('name', '=', p.a)),
      /placeholder b/,
    );
    await db.destroy();
  });
});

describe('precompileInsert', () => {
  it('splits a long list into the compiled sizes, largest first, and writes every row in order', async () => {
    const inserts: number[] = [];
    const db = new Kysely<Db>({
      dialect: new SqliteGroupCommitDialect(new SQLite(':memory:')),
      log: (e) => {
        if (e.query.sql.startsWith('insert')) inserts.push(e.query.parameters.length / 3);
      },
    });
    await sql`create table items (id integer primary key, name text not null, seen integer)`.execute(db);
    const insert = precompileInsert<Db['items']>(db, 'items', ['id', 'name', 'seen'], 50, [1, 10, 50]);
    const rows = Array.from({ length: 63 }, (_, i) => ({ id: i + 1, name: `n${i + 1}`, seen: i % 2 ? null : i }));
    await insert(rows);
    assert.deepEqual(inserts, [50, 10, 1, 1, 1], 'rows per statement');
    assert.deepEqual(await db.selectFrom('items').selectAll().orderBy('id').execute(), rows);
    await db.destroy();
  });

  it('binds rows for a direct run: one statement per chunk, columns in place, missing values as NULL', () => {
    const db = new Kysely<Db>({ dialect: new SqliteGroupCommitDialect(new SQLite(':memory:')) });
    const insert = precompileInsert<Db['items']>(db, 'items', ['id', 'name', 'seen'], 500, [1, 10, 100, 500]);
    const rows = Array.from(
      { length: 612 },
      (_, i) => ({ id: i + 1, name: `n${i + 1}`, ...(i % 3 ? { seen: i } : {}) }) as Db['items'],
    );
    const statements = insert.bind(rows);
    assert.deepEqual(
      statements.map((q) => q.parameters.length / 3),
      [500, 100, 10, 1, 1],
    );
    // Row 0 opens the first statement, row 611 is the last statement's only row.
    assert.deepEqual(statements[0]!.parameters.slice(0, 6), [1, 'n1', null, 2, 'n2', 1]);
    assert.deepEqual(statements[4]!.parameters, [612, 'n612', 611]);
  });

  it('refuses sizes without 1 (a remainder could not be written)', () => {
    const db = new Kysely<Db>({ dialect: new SqliteGroupCommitDialect(new SQLite(':memory:')) });
    assert.throws(
      () => precompileInsert<Db['items']>(db, 'items', ['id', 'name', 'seen'], 10, [10]),
      /sizes must include 1/,
    );
  });
});
