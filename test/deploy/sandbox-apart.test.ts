// Issue 17: a sandbox that stays a sandbox (docs/adr/0120-sandbox-stays-a-sandbox.md).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServeConfig } from '../../src/config.js';
import { openStorage } from '../../src/runtime.js';
import { verifyPassword } from '../../src/crypto/password.js';
import { authorizeThroughForms, postForm } from '../helpers/browserless.js';
import { spawnServer } from '../helpers/processes.js';

type Summary = {
  url: string;
  database: string;
  sandbox?: {
    app_key: string;
    app_secret: string;
    callbacks: string[];
    authorize_url: string;
    seller: { username: string; password: string };
  };
};

async function sandboxStart(db: string | null, cwd: string): Promise<Summary> {
  const s = await spawnServer(db, ['--sandbox'], { cwd });
  const summary = (await s.waitForLine((v) => typeof v.url === 'string')) as unknown as Summary;
  await s.stop();
  return summary;
}

/** What the token endpoint says to the sandbox app's credentials: invalid_client when the secret is refused. */
async function clientAuth(url: string, appKey: string, secret: string): Promise<string> {
  const r = await postForm(`${url}/oauth/token`, {
    grant_type: 'refresh_token',
    refresh_token: 'not-a-token',
    client_id: appKey,
    client_secret: secret,
  });
  return r.json.error as string;
}

describe('the sandbox stays a sandbox', () => {
  let dir: string;
  const env = { ...process.env };
  delete env.SHOUQUAN_DATABASE_URL;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'shouquan-sandbox-apart-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--sandbox without a database uses ./data/sandbox.db, never the production default', () => {
    assert.equal(resolveServeConfig({ sandbox: true }, {}).databaseUrl, 'sqlite:./data/sandbox.db');
    assert.equal(resolveServeConfig({}, { SHOUQUAN_SANDBOX: '1' }).databaseUrl, 'sqlite:./data/sandbox.db');
    assert.equal(resolveServeConfig({}, {}).databaseUrl, 'sqlite:./data/shouquan.db');
    assert.equal(resolveServeConfig({}, { SHOUQUAN_SANDBOX: 'off' }).databaseUrl, 'sqlite:./data/shouquan.db');
    // A named database is used as named.
    assert.equal(resolveServeConfig({ sandbox: true, database: 'sqlite:x.db' }, {}).databaseUrl, 'sqlite:x.db');
    assert.equal(
      resolveServeConfig({ sandbox: true }, { SHOUQUAN_DATABASE_URL: 'sqlite:y.db' }).databaseUrl,
      'sqlite:y.db',
    );
  });

  it('after a sandbox start (npm start), a plain serve on the default file knows neither the demo app nor the demo seller', async () => {
    const cwd = join(dir, 'defaults');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(cwd);
    const sandbox = await spawnServer(null, ['--sandbox'], { cwd, env });
    const summary = (await sandbox.waitForLine((v) => typeof v.url === 'string')) as unknown as Summary;
    assert.equal(summary.database, 'sqlite:./data/sandbox.db');
    assert.equal(
      await clientAuth(summary.url, summary.sandbox!.app_key, summary.sandbox!.app_secret),
      'invalid_grant',
      'the sandbox itself accepts its secret',
    );
    await sandbox.stop();
    assert.ok(existsSync(join(cwd, 'data', 'sandbox.db')));

    const plain = await spawnServer(null, [], { cwd, env });
    try {
      const p = (await plain.waitForLine((v) => typeof v.url === 'string')) as unknown as Summary;
      assert.equal(p.database, 'sqlite:./data/shouquan.db');
      assert.equal(await clientAuth(p.url, summary.sandbox!.app_key, summary.sandbox!.app_secret), 'invalid_client');
    } finally {
      await plain.stop();
    }
    const storage = await openStorage(`sqlite:${join(cwd, 'data', 'shouquan.db')}`);
    try {
      assert.equal(await storage.sellers.findByUsername('demo-seller'), undefined);
      assert.equal(await storage.apps.find('10000001'), undefined);
    } finally {
      await storage.close();
    }
  });

  it('a plain serve on a file a sandbox used (named with --database) refuses the printed secret and password', async () => {
    const db = `sqlite:${join(dir, 'shared.db')}`;
    const summary = await sandboxStart(db, dir);
    const plain = await spawnServer(db, [], { env });
    try {
      const p = (await plain.waitForLine((v) => typeof v.url === 'string')) as unknown as Summary;
      assert.equal(await clientAuth(p.url, summary.sandbox!.app_key, summary.sandbox!.app_secret), 'invalid_client');
      assert.match(
        plain.stderr(),
        /a sandbox ran on this database; the demo app's secret and demo-seller's password it printed no longer work here/,
      );
    } finally {
      await plain.stop();
    }
    const storage = await openStorage(db);
    try {
      const seller = await storage.sellers.findByUsername('demo-seller');
      assert.ok(seller);
      assert.equal(await verifyPassword(seller.passwordHash, summary.sandbox!.seller.password), false);
    } finally {
      await storage.close();
    }
    // The next sandbox start prints fresh credentials that work again.
    const again = await spawnServer(db, ['--sandbox'], { env });
    try {
      const a = (await again.waitForLine((v) => typeof v.url === 'string')) as unknown as Summary;
      assert.equal(await clientAuth(a.url, a.sandbox!.app_key, a.sandbox!.app_secret), 'invalid_grant');
    } finally {
      await again.stop();
    }
  });

  it('a sandbox restarted on another port registers its new callback, and the printed authorize URL works', async () => {
    const db = `sqlite:${join(dir, 'ports.db')}`;
    const first = await sandboxStart(db, dir);
    const second = await spawnServer(db, ['--sandbox'], { env });
    try {
      const s = (await second.waitForLine((v) => typeof v.url === 'string')) as unknown as Summary;
      assert.equal(s.sandbox!.callbacks[0], `${s.url}/sandbox/callback`);
      if (first.url !== s.url)
        assert.ok(
          !s.sandbox!.callbacks.includes(`${first.url}/sandbox/callback`),
          'the old port is no longer registered',
        );
      const { location } = await authorizeThroughForms(s.url, s.sandbox!.authorize_url, {
        username: s.sandbox!.seller.username,
        password: s.sandbox!.seller.password,
      });
      const cb = new URL(location);
      assert.equal(`${cb.origin}${cb.pathname}`, `${s.url}/sandbox/callback`);
      assert.ok(cb.searchParams.get('code'));
    } finally {
      await second.stop();
    }
  });
});
