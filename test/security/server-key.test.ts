// Issue 15 finding 6: the server key that seals AppSecrets comes from a file outside the database
// (serve --secret-key-file, SHOUQUAN_SECRET_KEY_FILE; docs/adr/0115), so a dump alone gives back no secret.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createApp } from '../../src/admin.js';
import { runCli as run } from '../helpers/cli.js';
import { hashAppSecret } from '../../src/core/client-auth.js';
import { openSecret } from '../../src/gateway/secret-seal.js';
import { getProfile } from '../../src/profiles/registry.js';
import { createCoreContext, openStorage } from '../../src/runtime.js';
import { openDatabase } from '../../src/storage/kysely/database.js';
import { postForm } from '../helpers/browserless.js';
import { testDialects, type TestDatabase } from '../helpers/databases.js';
import { token, tokensFor } from '../helpers/oauth.js';
import { startTestServer } from '../helpers/server.js';

/** Every value of every table, as an attacker with a dump (and nothing else) sees it. */
async function dump(url: string): Promise<string[]> {
  const { db } = openDatabase(url);
  try {
    const values: string[] = [];
    // PostgreSQL: only this test's schema (others run in parallel in the same database).
    const schema = url.startsWith('postgres')
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
      : undefined;
    for (const t of (await db.introspection.getTables()).filter((x) => schema === undefined || x.schema === schema)) {
      const rows = (
        await sql<Record<string, unknown>>`select * from ${sql.table(schema ? `${schema}.${t.name}` : t.name)}`.execute(
          db,
        )
      ).rows;
      for (const row of rows)
        for (const v of Object.values(row)) if (v !== null && v !== undefined) values.push(String(v));
    }
    return values;
  } finally {
    await db.destroy();
  }
}

/** What the dump gives back: every AppSecret that some 32-byte value found in it opens. */
function secretsFromDump(values: string[]): string[] {
  const candidates = new Set<string>();
  for (const v of values) for (const m of v.matchAll(/[0-9a-f]{64}/gi)) candidates.add(m[0].toLowerCase());
  const sealed = values.filter((v) => /^v1\.[\w-]+\.[\w-]*\.[\w-]+$/.test(v));
  const appKeys = new Set(values.filter((v) => /^\d{8}$/.test(v)));
  const found = new Set<string>();
  for (const hex of candidates) {
    const key = Buffer.from(hex, 'hex');
    for (const s of sealed)
      for (const appKey of appKeys) {
        const secret = openSecret(key, appKey, s);
        if (secret !== undefined) found.add(secret);
      }
  }
  return [...found];
}

const profile = getProfile('standard');

for (const d of await testDialects()) {
  describe(`server key outside the database (${d.name})`, { skip: d.skip }, () => {
    let dir: string;
    let keyFile: string;
    let otherKeyFile: string;
    let db: TestDatabase;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'shouquan-key-'));
      keyFile = join(dir, 'secret.key');
      otherKeyFile = join(dir, 'other.key');
      writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
      writeFileSync(otherKeyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('with the embedded default (key in the database) a dump alone opens every sealed secret: the risk the key file removes', async () => {
      db = await d.fresh();
      try {
        const storage = await openStorage(db.url, { createIfMissing: true });
        const core = await createCoreContext({ storage, profile, issuer: 'http://127.0.0.1' });
        const app = await createApp(storage, core.secretKey, {
          name: 'Leaky',
          callbacks: ['https://isv.example.com/cb'],
        });
        await storage.close();
        assert.deepEqual(secretsFromDump(await dump(db.url)), [app.appSecret]);
      } finally {
        await db.cleanup();
      }
    });

    it('with a key file, a dump alone gives back no AppSecret, and the server still signs with it', async () => {
      db = await d.fresh();
      try {
        const storage = await openStorage(db.url, { createIfMissing: true });
        const core = await createCoreContext({ storage, profile, issuer: 'http://127.0.0.1', secretKeyFile: keyFile });
        const app = await createApp(storage, core.secretKey, {
          name: 'Sealed',
          callbacks: ['https://isv.example.com/cb'],
        });
        const gw = await storage.gateway?.apps.find(app.appKey);
        assert.equal(
          openSecret(core.secretKey, app.appKey, gw?.sealedSecret ?? ''),
          app.appSecret,
          'the key from the file opens it',
        );
        await storage.close();
        const values = await dump(db.url);
        assert.deepEqual(secretsFromDump(values), []);
        assert.equal(
          values.some((v) => v.includes(core.secretKey.toString('hex'))),
          false,
          'the key itself is not in the database',
        );
      } finally {
        await db.cleanup();
      }
    });

    it('a key file that does not match what sealed the data is a clear error at start, not garbage', async () => {
      db = await d.fresh();
      try {
        const storage = await openStorage(db.url, { createIfMissing: true });
        const core = await createCoreContext({ storage, profile, issuer: 'http://127.0.0.1', secretKeyFile: keyFile });
        await createApp(storage, core.secretKey, { name: 'A', callbacks: ['https://isv.example.com/cb'] });
        await assert.rejects(
          createCoreContext({ storage, profile, issuer: 'http://127.0.0.1', secretKeyFile: otherKeyFile }),
          /the server key in .*other\.key does not match the key this database's secrets are sealed with/,
        );
        await assert.rejects(
          createCoreContext({ storage, profile, issuer: 'http://127.0.0.1' }),
          /sealed with a server key kept outside the database: pass --secret-key-file PATH/,
        );
        await storage.close();
        // serve refuses to start, naming the problem (exit 1), before it listens.
        const r = await run(
          'serve',
          '--database',
          db.url,
          '--port',
          '0',
          '--secret-key-file',
          otherKeyFile,
          '--log-level',
          'silent',
        );
        assert.equal(r.code, 1);
        assert.match(
          r.err,
          /^shouquan: the server key in .*other\.key does not match the key this database's secrets are sealed with \(fingerprint [0-9a-f]{16}, the database expects [0-9a-f]{16}\)/,
        );
      } finally {
        await db.cleanup();
      }
    });

    it('key file problems are named: missing file, wrong format', async () => {
      const bad = join(dir, 'bad.key');
      writeFileSync(bad, 'not a key\n', { mode: 0o600 });
      const r1 = await run(
        'serve',
        '--database',
        'sqlite::memory:',
        '--port',
        '0',
        '--secret-key-file',
        join(dir, 'missing.key'),
      );
      assert.equal(r1.code, 1);
      assert.match(r1.err, /^shouquan: cannot read the server key file .*missing\.key: ENOENT/);
      const r2 = await run('serve', '--database', 'sqlite::memory:', '--port', '0', '--secret-key-file', bad);
      assert.equal(r2.code, 1);
      assert.match(
        r2.err,
        /^shouquan: the server key file .*bad\.key must hold 64 hex characters \(32 random bytes, e\.g\. from "openssl rand -hex 32"\)/,
      );
    });

    it('key rotate re-seals and re-hashes every secret in one go; the old key stops opening anything', async () => {
      db = await d.fresh();
      try {
        let storage = await openStorage(db.url, { createIfMissing: true });
        let core = await createCoreContext({ storage, profile, issuer: 'http://127.0.0.1', secretKeyFile: keyFile });
        const a = await createApp(storage, core.secretKey, { name: 'A', callbacks: ['https://isv.example.com/cb'] });
        const b = await createApp(storage, core.secretKey, { name: 'B', callbacks: ['https://isv.example.com/cb'] });
        await storage.close();
        // b rotates its secret with an overlap: its previous secret must survive the key rotation too.
        const rs = await run(
          'app',
          'rotate-secret',
          '--app-key',
          b.appKey,
          '--database',
          db.url,
          '--secret-key-file',
          keyFile,
          '--json',
        );
        assert.equal(rs.code, 0, rs.err);
        const bNew = (JSON.parse(rs.out) as { app_secret: string }).app_secret;

        const wrongOld = await run(
          'key',
          'rotate',
          '--old-key-file',
          otherKeyFile,
          '--new-key-file',
          otherKeyFile,
          '--database',
          db.url,
        );
        assert.equal(wrongOld.code, 1);
        assert.match(
          wrongOld.err,
          /the old key file .*other\.key does not match the key this database's secrets are sealed with/,
        );

        const newKeyFile = join(dir, `new-${d.name}.key`);
        writeFileSync(newKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
        const r = await run(
          'key',
          'rotate',
          '--old-key-file',
          keyFile,
          '--new-key-file',
          newKeyFile,
          '--database',
          db.url,
          '--json',
        );
        assert.equal(r.code, 0, r.err);
        const body = JSON.parse(r.out) as Record<string, unknown>;
        assert.deepEqual(Object.keys(body).sort(), [
          'apps',
          'database_key_removed',
          'fingerprint',
          'previous_fingerprint',
          'refresh_successors',
          'sealed_secrets',
        ]);
        assert.equal(body.apps, 2);
        assert.equal(body.sealed_secrets, 3, "a, b and b's previous secret");
        assert.equal(body.database_key_removed, false);

        await assert.rejects(
          openStorage(db.url).then((s) =>
            createCoreContext({ storage: s, profile, issuer: 'x', secretKeyFile: keyFile }).finally(() => s.close()),
          ),
          /does not match/,
        );
        storage = await openStorage(db.url);
        core = await createCoreContext({ storage, profile, issuer: 'http://127.0.0.1', secretKeyFile: newKeyFile });
        for (const [appKey, secret, prev] of [
          [a.appKey, a.appSecret, undefined],
          [b.appKey, bNew, b.appSecret],
        ] as const) {
          const rec = await storage.apps.find(appKey);
          const gw = await storage.gateway?.apps.find(appKey);
          assert.equal(rec?.secretHash, hashAppSecret(core, secret), 'the token endpoint hash is under the new key');
          assert.equal(
            openSecret(core.secretKey, appKey, gw?.sealedSecret ?? ''),
            secret,
            'the sealed copy opens with the new key',
          );
          if (prev) {
            assert.equal(rec?.previousSecretHash, hashAppSecret(core, prev));
            assert.equal(openSecret(core.secretKey, appKey, gw?.previousSealedSecret ?? ''), prev);
          }
        }
        await storage.close();
      } finally {
        await db.cleanup();
      }
    });

    it("key rotate re-seals the refresh grace window's successors: a retry after the rotation gets the same successor", async () => {
      db = await d.fresh();
      // The test server's close() must not drop the database: the rotation and the next server use it.
      const kept = { ...db, cleanup: async () => {} };
      const first = await startTestServer({ db: kept });
      let client: { appKey: string; appSecret: string; callback: string };
      let t0: { refresh_token: string };
      let t1: Record<string, unknown>;
      try {
        client = first.client;
        t0 = await tokensFor(first);
        const r1 = await token(first, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
        assert.equal(r1.status, 200, r1.text);
        t1 = r1.json;
      } finally {
        await first.close();
      }
      try {
        const newKeyFile = join(dir, `grace-${d.name}.key`);
        writeFileSync(newKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
        const r = await run('key', 'rotate', '--new-key-file', newKeyFile, '--database', db.url, '--json');
        assert.equal(r.code, 0, r.err);
        assert.equal((JSON.parse(r.out) as { refresh_successors: number }).refresh_successors, 1);
        const { buildServer } = await import('../../src/runtime.js');
        const storage = await openStorage(db.url);
        const core = await createCoreContext({
          storage,
          profile,
          issuer: 'http://127.0.0.1',
          secretKeyFile: newKeyFile,
        });
        const server = await buildServer({ core, logger: false });
        await server.listen({ host: '127.0.0.1', port: 0 });
        try {
          const addr = server.server.address();
          const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
          const again = await postForm(`${url}/oauth/token`, {
            client_id: client.appKey,
            client_secret: client.appSecret,
            grant_type: 'refresh_token',
            refresh_token: t0.refresh_token,
          });
          assert.equal(again.status, 200, again.text);
          assert.equal(again.json.access_token, t1.access_token, 'the same successor, not reuse');
          assert.equal(again.json.refresh_token, t1.refresh_token);
        } finally {
          await server.close();
          await storage.close();
        }
      } finally {
        await db.cleanup();
      }
    });

    it('key rotate without --old-key-file moves the embedded in-database key out; a dump then yields nothing', async () => {
      db = await d.fresh();
      try {
        const storage = await openStorage(db.url, { createIfMissing: true });
        const core = await createCoreContext({ storage, profile, issuer: 'http://127.0.0.1' });
        const app = await createApp(storage, core.secretKey, {
          name: 'Old',
          callbacks: ['https://isv.example.com/cb'],
        });
        await storage.close();
        // A key file on a database still sealed with its in-database key: a clear pointer to key rotate.
        const s2 = await openStorage(db.url);
        await assert.rejects(
          createCoreContext({ storage: s2, profile, issuer: 'x', secretKeyFile: keyFile }),
          /sealed with the key stored in the database.*shouquan key rotate --new-key-file/,
        );
        await s2.close();
        const newKeyFile = join(dir, `moved-${d.name}.key`);
        writeFileSync(newKeyFile, randomBytes(32).toString('hex'));
        chmodSync(newKeyFile, 0o600);
        const r = await run('key', 'rotate', '--new-key-file', newKeyFile, '--database', db.url, '--json');
        assert.equal(r.code, 0, r.err);
        assert.equal((JSON.parse(r.out) as { database_key_removed: boolean }).database_key_removed, true);
        assert.deepEqual(secretsFromDump(await dump(db.url)), []);
        const s3 = await openStorage(db.url);
        const c3 = await createCoreContext({ storage: s3, profile, issuer: 'x', secretKeyFile: newKeyFile });
        assert.equal(
          openSecret(c3.secretKey, app.appKey, (await s3.gateway?.apps.find(app.appKey))?.sealedSecret ?? ''),
          app.appSecret,
        );
        await s3.close();
      } finally {
        await db.cleanup();
      }
    });
  });
}

describe('key rotate --help', () => {
  it('documents the flags', async () => {
    const r = await run('key', 'rotate', '--help');
    assert.equal(r.code, 0);
    assert.match(
      r.out,
      /^Usage: shouquan key rotate --new-key-file PATH \[--old-key-file PATH\] \[--database URL\] \[--json\]/,
    );
    for (const flag of ['--old-key-file PATH', '--new-key-file PATH', '--database URL', '--json'])
      assert.ok(r.out.includes(flag), flag);
  });
});

describe('the start-up warning about a key kept in the database', () => {
  it('PostgreSQL with the in-database key logs a warning; with a key file it does not; SQLite does not', async (t) => {
    const dialects = await testDialects();
    const { Writable } = await import('node:stream');
    const { buildServer } = await import('../../src/runtime.js');
    const dir = mkdtempSync(join(tmpdir(), 'shouquan-key-warn-'));
    const keyFile = join(dir, 'k');
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    try {
      const warnings = async (d: (typeof dialects)[number], secretKeyFile?: string): Promise<string[]> => {
        const db = await d.fresh();
        const lines: string[] = [];
        const stream = new Writable({
          write(chunk, _enc, cb) {
            lines.push(String(chunk));
            cb();
          },
        });
        try {
          const storage = await openStorage(db.url, { createIfMissing: true });
          const core = await createCoreContext({ storage, profile, issuer: 'http://127.0.0.1', secretKeyFile });
          const app = await buildServer({ core, logger: { level: 'info', stream } });
          await app.ready();
          await app.close();
          await storage.close();
          return lines
            .map((l) => JSON.parse(l) as { level: number; msg: string })
            .filter((l) => l.level === 40)
            .map((l) => l.msg);
        } finally {
          await db.cleanup();
        }
      };
      const sqlite = dialects.find((d) => d.name === 'sqlite');
      assert.deepEqual(await warnings(sqlite!), []);
      const pgDialect = dialects.find((d) => d.name === 'postgres');
      if (pgDialect?.skip) return t.skip(pgDialect.skip);
      const w = await warnings(pgDialect!);
      assert.equal(w.length, 1, w.join('\n'));
      assert.match(
        w[0] ?? '',
        /^the server key that seals AppSecrets is stored in the database: a database dump alone gives back every AppSecret\./,
      );
      assert.deepEqual(await warnings(pgDialect!, keyFile), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('serve --secret-key-file and SHOUQUAN_SECRET_KEY_FILE', () => {
  it('take a path (the flag wins over the variable); none: the embedded default', async () => {
    const { resolveServeConfig } = await import('../../src/config.js');
    assert.equal(resolveServeConfig({}, {}).secretKeyFile, undefined);
    assert.equal(
      resolveServeConfig({}, { SHOUQUAN_SECRET_KEY_FILE: '/etc/shouquan/secret.key' }).secretKeyFile,
      '/etc/shouquan/secret.key',
    );
    assert.equal(
      resolveServeConfig({ 'secret-key-file': '/run/k' }, { SHOUQUAN_SECRET_KEY_FILE: '/etc/shouquan/secret.key' })
        .secretKeyFile,
      '/run/k',
    );
  });
});
