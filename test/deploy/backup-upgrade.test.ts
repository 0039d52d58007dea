// Issue 17: backups and upgrades. `backup` while the server runs and a restore from it,
// `migrate --dry-run`, a database newer than this version, `doctor`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { runCli as run } from '../helpers/cli.js';
import { runDoctor } from '../../src/cli/doctor.command.js';
import { createSeller } from '../../src/admin.js';
import { openStorage } from '../../src/runtime.js';
import { knownMigrations, openDatabase } from '../../src/storage/kysely/database.js';
import { postForm } from '../helpers/browserless.js';
import { spawnServer } from '../helpers/processes.js';
import { PG_SKIP, PG_URL, freshPostgres, postgresAvailable } from '../helpers/databases.js';
import { spawnSync } from 'node:child_process';
import pg from 'pg';

const pgDumpSkip =
  spawnSync('pg_dump', ['--version']).status === 0
    ? false
    : 'pg_dump/pg_restore not installed (apt-get install postgresql-client): the PostgreSQL restore test skipped';

const ALL = await knownMigrations('sqlite');

async function addFutureMigration(url: string, name: string) {
  const { db } = openDatabase(url);
  try {
    await sql`insert into kysely_migration (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(db);
  } finally {
    await db.destroy();
  }
}

describe('backups and upgrades', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'shouquan-backup-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate --dry-run lists the pending migrations and creates nothing', async () => {
    const file = join(dir, 'dry.db');
    const url = `sqlite:${file}`;
    const r = await run('migrate', '--dry-run', '--database', url, '--json');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { database: url, exists: false, pending: ALL, applied: [], unknown: [] });
    assert.equal(existsSync(file), false, 'a dry run creates no file');
    const text = await run('migrate', '--dry-run', '--database', url);
    assert.match(
      text.out,
      new RegExp(
        `does not exist yet; "migrate" creates it\\. pending on ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 0001_initial, `,
      ),
    );
    assert.equal((await run('migrate', '--database', url)).code, 0);
    const after = await run('migrate', '--dry-run', '--database', url, '--json');
    assert.deepEqual(JSON.parse(after.out).pending, []);
    assert.match(
      (await run('migrate', '--dry-run', '--database', url)).out,
      /is up to date \(\d+ migrations applied\)$/,
    );
  });

  it('serve, migrate and the other commands refuse a database a newer version upgraded (exit 2, a clear message)', async () => {
    const url = `sqlite:${join(dir, 'newer.db')}`;
    assert.equal((await run('migrate', '--database', url)).code, 0);
    await addFutureMigration(url, '0099_from_the_future');
    const want =
      /^shouquan: the database has migrations this version of shouquan does not know \(0099_from_the_future\): a newer version upgraded it\. Run that version \(or newer\), or restore the backup taken before the upgrade/;
    for (const argv of [
      ['migrate'],
      ['migrate', '--dry-run'],
      ['app', 'create', '--name', 'X', '--callback', 'https://a.example.com/cb'],
    ]) {
      const r = await run(...argv, '--database', url);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, want);
    }
    const server = await spawnServer(url).catch((e: Error) => e);
    assert.ok(server instanceof Error, 'serve did not start');
    assert.match(
      server.message,
      /server exited \(2\) before the line appeared: shouquan: the database has migrations this version of shouquan does not know \(0099_from_the_future\)/,
    );
  });

  it('backup copies a SQLite database while the server runs and writes go on; the restored copy serves the same apps', async () => {
    const file = join(dir, 'live.db');
    const url = `sqlite:${file}`;
    const server = await spawnServer(url);
    const copy = join(dir, 'copy.db');
    const restored = join(dir, 'restored.db');
    let app: { app_key: string; app_secret: string };
    try {
      const created = await run(
        'app',
        'create',
        '--name',
        'Backed Up',
        '--callback',
        'https://isv.example.com/cb',
        '--database',
        url,
        '--json',
      );
      assert.equal(created.code, 0, created.err);
      app = JSON.parse(created.out);
      // Another process keeps writing (sellers with one store each, one transaction per seller).
      const writer = await openStorage(url);
      let writing = true;
      let written = 0;
      const writes = (async () => {
        while (writing) {
          await createSeller(writer, {
            username: `seller${written}`,
            password: 'long password',
            stores: [`Store ${written}`],
          });
          written++;
        }
      })();
      while (written < 3) await new Promise((r) => setImmediate(r));
      const r = await run('backup', '--database', url, '--to', copy, '--json');
      writing = false;
      await writes;
      await writer.close();
      assert.equal(r.code, 0, r.err);
      const body = JSON.parse(r.out);
      assert.deepEqual(Object.keys(body), ['database', 'to', 'bytes', 'pages', 'integrity', 'migrations', 'ms']);
      assert.equal(body.integrity, 'ok');
      assert.equal(body.migrations, ALL.length);
      assert.equal(existsSync(`${copy}-wal`), false, 'the copy is one file');
      // The server still answers after the backup.
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    } finally {
      await server.stop();
    }
    // Consistent: every seller in the copy has its store (each was one transaction).
    const { db } = openDatabase(`sqlite:${copy}`);
    try {
      const sellers = Number((await sql<{ n: number }>`select count(*) as n from sellers`.execute(db)).rows[0]!.n);
      const stores = Number((await sql<{ n: number }>`select count(*) as n from stores`.execute(db)).rows[0]!.n);
      assert.ok(sellers >= 3);
      assert.equal(stores, sellers);
    } finally {
      await db.destroy();
    }
    // Restore: the copy put in place of a database, and a server started on it.
    copyFileSync(copy, restored);
    const again = await spawnServer(`sqlite:${restored}`);
    try {
      const t = await postForm(`${again.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: 'nope',
        client_id: app.app_key,
        client_secret: app.app_secret,
      });
      assert.equal(t.json.error, 'invalid_grant', 'the restored database knows the app and its secret');
    } finally {
      await again.stop();
    }
  });

  it('backup: usage errors exit 2 (PostgreSQL, no --to, an existing file, the database itself)', async () => {
    const url = `sqlite:${join(dir, 'u.db')}`;
    assert.equal((await run('migrate', '--database', url)).code, 0);
    const existing = join(dir, 'exists.db');
    writeFileSync(existing, 'x');
    const cases: Array<[string[], RegExp]> = [
      [['--database', 'postgres://u@127.0.0.1/db', '--to', join(dir, 'pg.db')], /for PostgreSQL use pg_dump/],
      [['--database', url], /--to FILE is required/],
      [['--database', url, '--to', existing], /exists \(add --force to replace it\)/],
      [['--database', url, '--to', join(dir, 'u.db')], /--to must not be the database itself/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run('backup', ...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, msg);
    }
    assert.equal((await run('backup', '--database', url, '--to', existing, '--force')).code, 0);
    assert.match((await run('backup', '--help')).out, /^Usage: shouquan backup --database sqlite:PATH --to FILE/);
  });

  it('doctor says what is fine and what to fix, and exits 1 when a check fails', async () => {
    const url = `sqlite:${join(dir, 'doc.db')}`;
    const missing = await run('doctor', '--database', url, '--json');
    assert.equal(missing.code, 1);
    const m = JSON.parse(missing.out);
    assert.equal(m.ok, false);
    assert.deepEqual(
      m.checks.find((c: { name: string }) => c.name === 'database'),
      {
        name: 'database',
        status: 'fail',
        detail: `${url} does not exist`,
        fix: `run "shouquan migrate --database ${url}" (or start "shouquan serve", which creates it)`,
      },
    );

    assert.equal((await run('migrate', '--database', url)).code, 0);
    assert.equal(
      (await run('app', 'create', '--name', 'A', '--callback', 'https://a.example.com/cb', '--database', url)).code,
      0,
    );
    const good = await run('doctor', '--database', url);
    assert.equal(good.code, 0, good.out + good.err);
    assert.match(good.out, /^ok {4}settings {4}profile standard/m);
    assert.match(good.out, new RegExp(`^ok {4}migrations {2}all ${ALL.length} applied$`, 'm'));
    assert.match(good.out, /^ok {4}secret key {2}present/m);
    assert.match(good.out, /no problems found$/);

    // A clock an hour behind the data: the fix names NTP.
    const behind = await runDoctor({ database: url }, {}, () => Date.now() - 3600_000);
    const clock = behind.find((c) => c.name === 'clock')!;
    assert.equal(clock.status, 'fail');
    assert.match(clock.fix!, /NTP/);

    // A bad setting, and a database from a newer version.
    const bad = await runDoctor({ database: url }, { SHOUQUAN_CODE_TTL: '9999' });
    assert.deepEqual(bad[0], {
      name: 'settings',
      status: 'fail',
      detail: '--code-ttl must be at most 600',
      fix: 'correct the flag, its SHOUQUAN_* variable or the config file line named above ("shouquan serve --help" lists them; "shouquan config print" shows where each came from)',
    });
    await addFutureMigration(url, '0099_later');
    const newer = await runDoctor({ database: url }, {});
    assert.equal(newer.find((c) => c.name === 'migrations')!.status, 'fail');
  });

  it(
    'PostgreSQL: pg_dump of the schema while the server runs, the schema dropped, pg_restore, and the server serves the same apps',
    { skip: pgDumpSkip },
    async (t) => {
      if (!(await postgresAvailable())) return t.skip(PG_SKIP);
      const db = await freshPostgres();
      const schema = /search_path=([a-z0-9_]+)/.exec(decodeURIComponent(db.url))![1]!;
      const dump = join(dir, 'pg.dump');
      try {
        const server = await spawnServer(db.url);
        let app: { app_key: string; app_secret: string };
        try {
          const created = await run(
            'app',
            'create',
            '--name',
            'PG Backed Up',
            '--callback',
            'https://isv.example.com/cb',
            '--database',
            db.url,
            '--json',
          );
          assert.equal(created.code, 0, created.err);
          app = JSON.parse(created.out);
          // As docs/operations.md#postgresql says (one schema here, since the tests share a database).
          const r = spawnSync('pg_dump', ['-Fc', '-n', schema, '-f', dump, PG_URL], { encoding: 'utf8' });
          assert.equal(r.status, 0, r.stderr);
        } finally {
          await server.stop();
        }
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop schema ${schema} cascade`);
        await c.end();
        const restore = spawnSync('pg_restore', ['--no-owner', '-d', PG_URL, dump], { encoding: 'utf8' });
        assert.equal(restore.status, 0, restore.stderr);
        const again = await spawnServer(db.url);
        try {
          const tok = await postForm(`${again.url}/oauth/token`, {
            grant_type: 'refresh_token',
            refresh_token: 'nope',
            client_id: app.app_key,
            client_secret: app.app_secret,
          });
          assert.equal(tok.json.error, 'invalid_grant', 'the restored schema knows the app and its secret');
          assert.deepEqual(
            JSON.parse((await run('migrate', '--dry-run', '--database', db.url, '--json')).out).pending,
            [],
          );
        } finally {
          await again.stop();
        }
      } finally {
        await db.cleanup();
      }
    },
  );
});
