import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { FALLBACK_AUTOCHECKPOINT_PAGES, SqliteCheckpointer } from './sqlite-checkpointer.js';

function walDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'sq-ckpt-'));
  const file = join(dir, 'db.sqlite');
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('create table t (id integer primary key, v text not null)');
  return { dir, file, db, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SQLite WAL checkpointer thread (ADR 0056)', () => {
  it('moves committed WAL frames into the database file off the main thread, and the data is intact', async () => {
    const { file, db, cleanup } = walDatabase();
    const ckpt = new SqliteCheckpointer(db, file, 10);
    try {
      assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), FALLBACK_AUTOCHECKPOINT_PAGES);
      const insert = db.prepare('insert into t (v) values (?)');
      db.transaction(() => {
        for (let i = 0; i < 2000; i++) insert.run(`row ${i} ${'x'.repeat(200)}`);
      })();
      await until(() => ckpt.stats.framesCheckpointed > 0);
      // Everything in the WAL has been copied back: a checkpoint from here has nothing left to do.
      await until(() => {
        const r = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
        return r[0]!.log === r[0]!.checkpointed;
      });
      assert.equal(ckpt.stats.running, true);
      assert.equal(ckpt.stats.errors, 0);
    } finally {
      await ckpt.stop();
    }
    assert.equal(ckpt.stats.running, false);
    assert.equal(
      db.pragma('wal_autocheckpoint', { simple: true }),
      1000,
      'SQLite checkpoints on its own again once the thread stopped',
    );
    db.close();
    const again = new SQLite(file, { readonly: true });
    assert.equal(again.prepare('select count(*) from t').pluck().get(), 2000);
    again.close();
    cleanup();
  });

  it('falls back to SQLite’s own checkpoints when the thread cannot open the database', async () => {
    const { db, dir, cleanup } = walDatabase();
    const ckpt = new SqliteCheckpointer(db, join(dir, 'missing.sqlite'), 10);
    await until(() => !ckpt.stats.running);
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
    await ckpt.stop();
    db.close();
    cleanup();
  });

  it('restart() copies the frames committed since the last checkpoint, so the next write starts the log over (ADR 0092)', async () => {
    const { file, db, cleanup } = walDatabase();
    // A long interval: one PASSIVE checkpoint, then none before restart() is called.
    const ckpt = new SqliteCheckpointer(db, file, 300, 50);
    const insert = db.prepare('insert into t (v) values (?)');
    const rows = (n: number) =>
      db.transaction(() => {
        for (let i = 0; i < n; i++) insert.run('x'.repeat(500));
      })();
    const walFrames = () => (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!.log;
    try {
      rows(400);
      await until(() => ckpt.stats.checkpoints > 0);
      rows(400); // committed after that checkpoint: not copied yet
      await ckpt.restart();
      assert.equal(ckpt.stats.restarts, 1);
      assert.equal(ckpt.wantsRestart(), false, 'a restart answers the report that asked for it');
      rows(1);
      // Everything was copied and no reader was left in the log: this write started it over.
      const frames = walFrames();
      assert.ok(frames <= 3, `the log has ${frames} frames: it did not start over`);
    } finally {
      await ckpt.stop();
      db.close();
    }
    const again = new SQLite(file, { readonly: true });
    assert.equal(again.prepare('select count(*) from t').pluck().get(), 801);
    again.close();
    cleanup();
  });
});
