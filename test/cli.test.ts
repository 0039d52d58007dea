import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { runCli as run } from './helpers/cli.js';
import { hashAppSecret } from '../src/core/client-auth.js';
import { verifyPassword } from '../src/crypto/password.js';
import { loadSecretKey, openStorage } from '../src/runtime.js';
import { knownMigrationNames, openDatabase } from '../src/storage/kysely/database.js';

/** How many rows a table has (to prove a failed command wrote nothing). */
async function countRows(url: string, table: 'apps' | 'sellers' | 'stores'): Promise<number> {
  const { db } = openDatabase(url);
  try {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await db.destroy();
  }
}

describe('shouquan CLI', () => {
  let dir: string;
  let url: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shouquan-cli-'));
    url = `sqlite:${join(dir, 'cli.db')}`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('help', () => {
    it('prints the command list for --help, -h and help (no arguments: on stderr, exit 2, test/deploy/small-fixes.test.ts)', async () => {
      for (const argv of [['--help'], ['-h'], ['help']]) {
        const r = await run(...argv);
        assert.equal(r.code, 0, argv.join(' '));
        assert.equal(r.err, '');
        assert.match(
          r.out,
          /^shouquan: OAuth 2\.0 authorization server for e-commerce open platforms\n\nUsage: shouquan <command> \[flags\]\n/,
        );
        for (const cmd of ['serve', 'migrate', 'app create', 'seller create', 'help [command]'])
          assert.match(r.out, new RegExp(`\\n  ${cmd.replace(/[[\]]/g, '\\$&')} +\\S`));
      }
    });

    it('prints each command’s usage for --help and help COMMAND', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['serve', '--help'], /^Usage: shouquan serve \[flags\]\n/],
        [['migrate', '--help'], /^Usage: shouquan migrate \[--database URL\] \[--dry-run\] \[--json\]\n/],
        [['app', 'create', '--help'], /^Usage: shouquan app create --name NAME --callback URL/],
        [['seller', 'create', '--help'], /^Usage: shouquan seller create --username U --password P --store NAME/],
      ];
      for (const [argv, usage] of cases) {
        const viaFlag = await run(...argv);
        assert.equal(viaFlag.code, 0, argv.join(' '));
        assert.match(viaFlag.out, usage);
        const topic = argv.filter((a) => a !== '--help');
        const viaHelp = await run('help', ...topic);
        assert.equal(viaHelp.out, viaFlag.out, `help ${topic.join(' ')}`);
      }
      const seller = (await run('help', 'seller')).out;
      assert.ok(
        seller.startsWith((await run('seller', 'create', '--help')).out),
        'help seller starts with seller create',
      );
      assert.ok(seller.endsWith((await run('seller', 'update', '--help')).out), 'and lists seller list|show|update');
      const app = (await run('app', '--help')).out;
      assert.ok(app.startsWith((await run('app', 'create', '--help')).out), 'app --help starts with app create');
      assert.ok(app.endsWith((await run('app', 'gateway', '--help')).out), 'and lists app gateway');
      assert.equal((await run('help', 'app')).out, app);
    });

    it('documents every serve flag with its environment variable', async () => {
      const { out } = await run('serve', '--help');
      for (const [flag, env] of [
        ['port', 'SHOUQUAN_PORT'],
        ['database', 'SHOUQUAN_DATABASE_URL'],
        ['issuer', 'SHOUQUAN_ISSUER'],
        ['sandbox', 'SHOUQUAN_SANDBOX'],
      ]) {
        assert.match(out, new RegExp(`\\n  --${flag} .*\\(env ${env};`));
      }
    });

    it('answers a bare group with its usage and exit code 2', async () => {
      const r = await run('seller');
      assert.equal(r.code, 2);
      assert.match(r.out, /^Usage: shouquan seller create/);
    });
  });

  describe('usage errors (exit 2, one line, nothing written)', () => {
    it('refuses an unknown command', async () => {
      assert.deepEqual(await run('app', 'delete'), {
        code: 2,
        out: '',
        err: 'shouquan: unknown command "app delete" (try "shouquan --help")',
      });
    });

    it('refuses an unknown flag and points at the help', async () => {
      const r = await run('app', 'create', '--name', 'X', '--callbak', 'https://isv.example.com/cb', '--database', url);
      assert.deepEqual(r, {
        code: 2,
        out: '',
        err: `shouquan: Unknown option '--callbak' (see "shouquan app create --help")`,
      });
      assert.equal(existsSync(join(dir, 'cli.db')), false, 'no database was created');
    });

    it('refuses a stray positional argument', async () => {
      const r = await run('seller', 'create', 'bob', '--database', url);
      assert.deepEqual(r, {
        code: 2,
        out: '',
        err: `shouquan: Unexpected argument 'bob'. This command does not take positional arguments (see "shouquan seller create --help")`,
      });
    });

    it('names the missing required flag', async () => {
      assert.deepEqual(await run('app', 'create', '--name', 'X', '--database', url), {
        code: 2,
        out: '',
        err: 'shouquan: --callback is required',
      });
      assert.deepEqual(
        await run(
          'app',
          'create',
          '--name',
          'X',
          '--callback',
          'https://a.example/cb',
          '--scope',
          'bad scope!',
          '--database',
          url,
        ),
        {
          code: 2,
          out: '',
          err: 'shouquan: --scope "bad scope!" is not a scope token (RFC 6749 §3.3: printable ASCII, no spaces, quotes or backslashes)',
        },
      );
      assert.deepEqual(
        await run('seller', 'create', '--username', 'bob', '--password', 'long enough', '--database', url),
        { code: 2, out: '', err: 'shouquan: --store is required' },
      );
    });
  });

  describe('migrate', () => {
    it('creates the schema, then reports it up to date', async () => {
      assert.deepEqual(await run('migrate', '--database', url, '--json'), {
        code: 0,
        out: JSON.stringify({ database: url, applied: await knownMigrationNames() }),
        err: '',
      });
      assert.deepEqual(await run('migrate', '--database', url), { code: 0, out: `${url} is up to date`, err: '' });
    });

    it('applies a migration numbered before one the database already has (numbers land out of order)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'shouquan-unordered-'));
      const file = `sqlite:${join(dir, 'db.sqlite')}`;
      try {
        await run('migrate', '--database', file);
        // A database migrated before 0012_shared_limits existed, but after 0016_grant_stores_scopes.
        const { db } = openDatabase(file);
        try {
          await db.schema.dropTable('shared_limits').execute();
          await sql`delete from kysely_migration where name = ${'0012_shared_limits'}`.execute(db);
        } finally {
          await db.destroy();
        }
        assert.deepEqual(await run('migrate', '--database', file, '--json'), {
          code: 0,
          out: JSON.stringify({ database: file, applied: ['0012_shared_limits'] }),
          err: '',
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('app rotate-secret', () => {
    it('prints a new secret; the old one works for the overlap window, or stops at once with 0', async () => {
      await run('migrate', '--database', url);
      const created = JSON.parse(
        (
          await run(
            'app',
            'create',
            '--name',
            'Rotor',
            '--callback',
            'https://r.example/cb',
            '--database',
            url,
            '--json',
          )
        ).out,
      );
      const before = Date.now();
      const r = await run('app', 'rotate-secret', '--app-key', created.app_key, '--database', url, '--json');
      assert.equal(r.code, 0, r.err);
      const body = JSON.parse(r.out);
      assert.deepEqual(Object.keys(body), ['app_key', 'app_secret', 'client_secret', 'previous_secret_expires_at']);
      assert.match(body.app_secret, /^[0-9a-f]{32}$/);
      assert.notEqual(body.app_secret, created.app_secret);
      const storage = await openStorage(url);
      try {
        const key = await loadSecretKey(storage);
        let app = await storage.apps.find(created.app_key);
        assert.equal(app?.secretHash, hashAppSecret({ secretKey: key }, body.app_secret));
        assert.equal(app?.previousSecretHash, hashAppSecret({ secretKey: key }, created.app_secret));
        const until = Date.parse(body.previous_secret_expires_at);
        assert.ok(until >= before + 24 * 3600_000 && until <= Date.now() + 24 * 3600_000);

        const leaked = JSON.parse(
          (
            await run(
              'app',
              'rotate-secret',
              '--app-key',
              created.app_key,
              '--overlap-hours',
              '0',
              '--database',
              url,
              '--json',
            )
          ).out,
        );
        assert.equal(leaked.previous_secret_expires_at, null);
        // Another process changed the app: this storage's app cache (1 s, docs/adr/0051) is dropped to read it now.
        (storage.apps as { invalidate?: () => void }).invalidate?.();
        app = await storage.apps.find(created.app_key);
        assert.equal(app?.secretHash, hashAppSecret({ secretKey: key }, leaked.app_secret));
        assert.equal(app?.previousSecretHash ?? null, null);
      } finally {
        await storage.close();
      }
      assert.deepEqual(await run('app', 'rotate-secret', '--app-key', '99999999', '--database', url), {
        code: 1,
        out: '',
        err: 'shouquan: no app with app_key 99999999',
      });
      assert.equal(
        (await run('app', 'rotate-secret', '--app-key', created.app_key, '--overlap-hours', '500', '--database', url))
          .code,
        2,
      );
    });
  });

  describe('app create', () => {
    before(async () => {
      await run('migrate', '--database', url);
    });

    it('prints the --json shape and stores a working secret', async () => {
      const r = await run(
        'app',
        'create',
        '--name',
        ' 掌柜助手 ERP ',
        '--callback',
        'https://isv.example.com/cb',
        '--callback',
        'http://127.0.0.1:8080/cb',
        '--database',
        url,
        '--json',
      );
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '');
      const body = JSON.parse(r.out);
      assert.deepEqual(Object.keys(body), ['app_key', 'app_secret', 'client_id', 'client_secret', 'name', 'callbacks']);
      assert.match(body.app_key, /^\d{8}$/);
      assert.match(body.app_secret, /^[0-9a-f]{32}$/);
      assert.equal(body.client_id, body.app_key);
      assert.equal(body.client_secret, body.app_secret);
      assert.equal(body.name, '掌柜助手 ERP');
      assert.deepEqual(body.callbacks, ['https://isv.example.com/cb', 'http://127.0.0.1:8080/cb']);

      const storage = await openStorage(url);
      try {
        const app = await storage.apps.find(body.app_key);
        assert.ok(app);
        assert.equal(app.name, '掌柜助手 ERP');
        assert.deepEqual(app.callbackUrls, body.callbacks);
        assert.deepEqual(app.scopes, ['seller']);
        assert.equal(
          app.secretHash,
          hashAppSecret({ secretKey: await loadSecretKey(storage) }, body.app_secret),
          'the printed secret is the stored one',
        );
        assert.notEqual(app.secretHash, body.app_secret, 'stored hashed');
      } finally {
        await storage.close();
      }
    });

    it('prints app_key and app_secret as text without --json', async () => {
      const r = await run(
        'app',
        'create',
        '--name',
        'Text App',
        '--callback',
        'https://isv.example.com/cb',
        '--database',
        url,
      );
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        /^app_key: {4}\d{8}\napp_secret: [0-9a-f]{32}\n\(client_id and client_secret are the same values\. The secret is shown only now: keep it safe\.\)$/,
      );
    });

    it('refuses bad callback URLs with one line each and writes no app', async () => {
      const before = await countRows(url, 'apps');
      const cases: Array<[string, string]> = [
        ['isv.example.com/cb', 'callback "isv.example.com/cb" is not an absolute URL'],
        ['ftp://isv.example.com/cb', 'callback "ftp://isv.example.com/cb" must use http or https'],
        [
          'https://isv.example.com/cb#frag',
          'callback "https://isv.example.com/cb#frag" may not contain a fragment (RFC 6749 §3.1.2)',
        ],
        [
          'https://user:pw@isv.example.com/cb',
          'callback "https://user:pw@isv.example.com/cb" may not contain user info',
        ],
      ];
      for (const [callback, message] of cases) {
        // The good callback first: nothing may be half-written when a later one is bad.
        const r = await run(
          'app',
          'create',
          '--name',
          'Bad',
          '--callback',
          'https://isv.example.com/ok',
          '--callback',
          callback,
          '--database',
          url,
          '--json',
        );
        assert.deepEqual(r, { code: 2, out: '', err: `shouquan: ${message}` });
      }
      assert.equal(await countRows(url, 'apps'), before);
    });

    it('says so when the database file does not exist, and does not create it', async () => {
      const missing = join(dir, 'missing', 'nope.db');
      const r = await run(
        'app',
        'create',
        '--name',
        'X',
        '--callback',
        'https://isv.example.com/cb',
        '--database',
        `sqlite:${missing}`,
      );
      assert.deepEqual(r, {
        code: 1,
        out: '',
        err: `shouquan: database sqlite:${missing} does not exist (run "shouquan migrate --database sqlite:${missing}" or "shouquan serve" first)`,
      });
      assert.equal(existsSync(missing), false);
    });
  });

  describe('seller create', () => {
    before(async () => {
      await run('migrate', '--database', url);
    });

    it('prints the --json shape and stores a working password', async () => {
      const r = await run(
        'seller',
        'create',
        '--username',
        'hangzhou-tea',
        '--password',
        'correct horse',
        '--store',
        '西湖龙井旗舰店',
        '--store',
        ' Outlet ',
        '--database',
        url,
        '--json',
      );
      assert.equal(r.code, 0, r.err);
      const body = JSON.parse(r.out);
      assert.deepEqual(Object.keys(body), ['seller_id', 'stores']);
      assert.equal(typeof body.seller_id, 'number');
      assert.deepEqual(
        body.stores.map((s: { name: string }) => s.name),
        ['西湖龙井旗舰店', 'Outlet'],
      );
      for (const s of body.stores) {
        assert.deepEqual(Object.keys(s), ['store_id', 'name']);
        assert.equal(typeof s.store_id, 'number');
      }
      const storage = await openStorage(url);
      try {
        const seller = await storage.sellers.findByUsername('hangzhou-tea');
        assert.equal(seller?.sellerId, body.seller_id);
        assert.equal(await verifyPassword(seller?.passwordHash, 'correct horse'), true);
        assert.deepEqual(
          (await storage.sellers.stores(body.seller_id)).map((s) => ({ store_id: s.storeId, name: s.name })),
          body.stores,
        );
      } finally {
        await storage.close();
      }
    });

    it('refuses a duplicate username with one line, exit 1, and writes nothing', async () => {
      const [sellers, stores] = [await countRows(url, 'sellers'), await countRows(url, 'stores')];
      const r = await run(
        'seller',
        'create',
        '--username',
        'hangzhou-tea',
        '--password',
        'another password',
        '--store',
        'New Store',
        '--database',
        url,
        '--json',
      );
      assert.deepEqual(r, { code: 1, out: '', err: 'shouquan: username "hangzhou-tea" is already taken' });
      assert.equal(await countRows(url, 'sellers'), sellers);
      assert.equal(await countRows(url, 'stores'), stores, 'no orphan store rows');
    });

    it('refuses a bad username, short password or empty store before touching the database', async () => {
      const cases: Array<[string[], string]> = [
        [
          ['--username', 'ab', '--password', 'long enough', '--store', 'S'],
          '--username must be 3 to 64 letters, digits or _ . @ -',
        ],
        [
          ['--username', 'has space', '--password', 'long enough', '--store', 'S'],
          '--username must be 3 to 64 letters, digits or _ . @ -',
        ],
        [
          ['--username', 'newseller', '--password', 'short', '--store', 'S'],
          '--password must be at least 8 characters',
        ],
        [
          ['--username', 'newseller', '--password', 'long enough', '--store', 'S', '--store', '  '],
          '--store may not be empty',
        ],
      ];
      const missing = join(dir, 'never', 'made.db');
      for (const [flags, message] of cases) {
        assert.deepEqual(await run('seller', 'create', ...flags, '--database', `sqlite:${missing}`), {
          code: 2,
          out: '',
          err: `shouquan: ${message}`,
        });
      }
      assert.equal(existsSync(missing), false);
    });
  });
});

describe('shouquan serve (spawned)', { timeout: 60_000 }, () => {
  it('starts on --port 0, answers /healthz, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shouquan-serve-'));
    const dbFile = join(dir, 'serve.db');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/helpers/cli-entry.ts',
        'serve',
        '--port',
        '0',
        '--database',
        `sqlite:${dbFile}`,
        '--json',
      ],
      {
        cwd: join(import.meta.dirname, '..'),
        env: { ...process.env, SHOUQUAN_ISSUER: '', SHOUQUAN_SANDBOX: '', SHOUQUAN_PROFILE: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      // stdout carries pino's JSON log lines too; the summary is the line with the URL and issuer.
      let summary: { url: string; issuer: string; profile: string; database: string } | undefined;
      for await (const line of createInterface({ input: child.stdout })) {
        const parsed = JSON.parse(line);
        if ('url' in parsed && 'issuer' in parsed) {
          summary = parsed;
          break;
        }
      }
      assert.ok(summary, `no start-up summary; stderr: ${stderr}`);
      assert.match(summary.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(summary.url, 'http://127.0.0.1:0');
      assert.deepEqual(summary, {
        url: summary.url,
        issuer: summary.url,
        profile: 'standard',
        database: `sqlite:${dbFile}`,
      });

      const health = await fetch(`${summary.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      // The issuer follows the port that was really bound (RFC 8414 §3.3: metadata issuer = the URL used).
      const meta = await (await fetch(`${summary.url}/.well-known/oauth-authorization-server`)).json();
      assert.equal(meta.issuer, summary.url);

      child.kill('SIGTERM');
      assert.deepEqual(await exited, { code: 0, signal: null });
      assert.ok(existsSync(dbFile), 'serve created the SQLite file');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 with a clear message, and does not hang, when the port is taken', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'shouquan-serve-'));
    try {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'test/helpers/cli-entry.ts',
          'serve',
          '--port',
          String(port),
          '--database',
          `sqlite:${join(dir, 'x.db')}`,
          '--janitor-interval',
          '0',
        ],
        {
          cwd: join(import.meta.dirname, '..'),
          env: { ...process.env, SHOUQUAN_ISSUER: '', SHOUQUAN_SANDBOX: '', SHOUQUAN_PROFILE: '' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`shouquan: port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
