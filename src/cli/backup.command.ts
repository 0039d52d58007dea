import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { DEFAULT_DATABASE_URL } from '../config.js';
import { parseDatabaseUrl } from '../storage/kysely/database.js';
import { UsageError, databaseUrlOf, parseFlags, type Out } from './cli-kit.js';

export const BACKUP_HELP = `Usage: shouquan backup --database sqlite:PATH --to FILE [--force] [--json]

Take an online, consistent copy of a SQLite database while the server runs, with SQLite's
backup API (one read transaction: the server keeps reading and writing meanwhile). The copy is
written beside FILE first and renamed into place once it passed SQLite's integrity check, and
it is a single self-contained file (no -wal or -shm). Restore: stop the server, replace the
database file with the copy, delete the old file's -wal and -shm, start the server
(docs/operations.md#backups-and-restores). For PostgreSQL use pg_dump (same page).
  --database URL   sqlite:PATH (env SHOUQUAN_DATABASE_URL; default ${DEFAULT_DATABASE_URL})
  --to FILE        where to write the copy (refused if it exists, unless --force)
  --force          replace an existing FILE
  --json           print {"database","to","bytes","pages","integrity","migrations","ms"}`;

/** `shouquan backup`: an online copy of a SQLite database (better-sqlite3's `backup()`, the SQLite backup API). */
export async function backupCommand(args: string[], out: Out): Promise<number> {
  const values = parseFlags(
    args,
    { database: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' } },
    'backup',
  );
  if (values.help) return (out.log(BACKUP_HELP), 0);
  const url = databaseUrlOf(values.database);
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect !== 'sqlite') {
    throw new UsageError(
      'backup copies SQLite databases; for PostgreSQL use pg_dump -Fc (docs/operations.md#postgresql)',
    );
  }
  if (parsed.target === ':memory:') throw new UsageError('an in-memory database cannot be backed up');
  const to = values.to;
  if (typeof to !== 'string' || to === '') throw new UsageError('--to FILE is required');
  const source = resolve(parsed.target);
  const target = resolve(to);
  if (source === target) throw new UsageError('--to must not be the database itself');
  if (!existsSync(source)) throw new Error(`database ${url} does not exist`);
  if (existsSync(target) && !values.force) throw new UsageError(`${to} exists (add --force to replace it)`);
  if (!existsSync(dirname(target))) throw new UsageError(`the folder of ${to} does not exist`);

  const started = Date.now();
  const partial = `${target}.partial-${process.pid}`;
  const db = new SQLite(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // All pages in one step: one read transaction, so the copy is one consistent snapshot and a
    // write by the running server cannot make SQLite restart the copy (WAL: readers never block writers).
    const meta = await db.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 1) });
    const copy = new SQLite(partial, { fileMustExist: true });
    let integrity: string;
    let migrations: number;
    try {
      copy.pragma('journal_mode = DELETE'); // one self-contained file
      integrity = String(copy.pragma('integrity_check', { simple: true }));
      const hasTable = copy
        .prepare("select count(*) as n from sqlite_master where type = 'table' and name = 'kysely_migration'")
        .get() as { n: number };
      migrations = hasTable.n
        ? (copy.prepare('select count(*) as n from kysely_migration').get() as { n: number }).n
        : 0;
    } finally {
      copy.close();
    }
    if (integrity !== 'ok')
      throw new Error(`the copy failed SQLite's integrity check (${integrity}); ${to} was not written`);
    renameSync(partial, target);
    const body = {
      database: url,
      to: target,
      bytes: statSync(target).size,
      pages: meta.totalPages,
      integrity,
      migrations,
      ms: Date.now() - started,
    };
    if (values.json) out.log(JSON.stringify(body));
    else
      out.log(
        `backed up ${url} to ${target}: ${body.bytes} bytes, ${body.pages} pages, integrity ok, ${migrations} migrations (${body.ms} ms)`,
      );
    return 0;
  } finally {
    db.close();
    rmSync(partial, { force: true });
    rmSync(`${partial}-journal`, { force: true });
  }
}
