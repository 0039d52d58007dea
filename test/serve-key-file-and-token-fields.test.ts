// `shouquan serve` as a real process with the flags of issue 15 finding 6 and issue 19 §4:
// --secret-key-file (the sandbox's secret sealed under the file's key, the wrong key refused
// before listening) and --standard-token-fields (meilishuo's token answer with token_type and
// expires_in added); PostgreSQL without a key file warns in the logs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorizeThroughForms, postForm } from './helpers/browserless.js';
import { freshSqlite, postgresAvailable, PG_SKIP, freshPostgres } from './helpers/databases.js';
import { spawnServer, type ServerProcess } from './helpers/processes.js';

interface Summary {
  sandbox: { app_key: string; app_secret: string; callbacks: string[]; seller: { username: string; password: string } };
}

describe('serve --secret-key-file --standard-token-fields (a real process, meilishuo, SQLite)', () => {
  let dir: string;
  let keyFile: string;
  const db = freshSqlite();
  let server: ServerProcess | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shouquan-serve-key-'));
    keyFile = join(dir, 'secret.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  });
  after(async () => {
    await server?.stop();
    await db.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers the code exchange with token_type and expires_in after meilishuo's own fields", async () => {
    server = await spawnServer(db.url, [
      '--profile',
      'meilishuo',
      '--sandbox',
      '--secret-key-file',
      keyFile,
      '--standard-token-fields',
    ]);
    const summary = (await server.waitForLine((l) => typeof l.url === 'string')) as unknown as Summary;
    const { app_key: appKey, app_secret: appSecret, callbacks, seller } = summary.sandbox;
    const redirect = callbacks[0]!;
    const { location } = await authorizeThroughForms(
      server.url,
      `/authorize?response_type=code&app_key=${appKey}&redirect_uri=${encodeURIComponent(redirect)}&state=s`,
      seller,
    );
    const code = new URL(location).searchParams.get('code')!;
    const res = await postForm(`${server.url}/token`, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
      app_key: appKey,
      app_secret: appSecret,
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {
      statusCode: '0000000',
      access_token: res.json.access_token,
      access_expires_in: 604800,
      refresh_token: res.json.refresh_token,
      refresh_expires_in: 1209600,
      token_type: 'bearer',
      expires_in: 604800,
    });
    assert.deepEqual(Object.keys(res.json).slice(-2), ['token_type', 'expires_in']);
    await server.stop();
  });

  it('refuses to start on the same database with another key file, naming both fingerprints (exit 1)', async () => {
    const other = join(dir, 'other.key');
    writeFileSync(other, randomBytes(32).toString('hex'), { mode: 0o600 });
    await assert.rejects(
      spawnServer(db.url, ['--profile', 'meilishuo', '--secret-key-file', other]),
      /server exited \(1\) before the line appeared: shouquan: the server key in .*other\.key does not match the key this database's secrets are sealed with \(fingerprint [0-9a-f]{16}, the database expects [0-9a-f]{16}\)/,
    );
  });
});

describe('serve on PostgreSQL without a key file', () => {
  it('logs the warning that a dump alone gives back every AppSecret', async (t) => {
    if (!(await postgresAvailable())) return t.skip(PG_SKIP);
    const db = await freshPostgres();
    const server = await spawnServer(db.url, ['--log-level', 'warn']);
    try {
      const line = await server.waitForLine(
        (l) =>
          typeof l.msg === 'string' &&
          (l.msg as string).startsWith('the server key that seals AppSecrets is stored in the database'),
      );
      assert.equal(line.level, 40);
    } finally {
      await server.stop();
      await db.cleanup();
    }
  });
});
