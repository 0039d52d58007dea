// The legacy dialects send app_secret and code in a GET query (RFC 6749 §3.2 prefers POST; see
// docs/profiles.md). Whatever arrives in a URL must never reach the logs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createSeller } from '../../src/admin.js';
import { createApp } from '../../src/apps/apps.js';
import type { CoreContext } from '../../src/core/context.js';
import { getProfile } from '../../src/profiles/registry.js';
import { buildServer, createCoreContext, openStorage, type FastifyInstance } from '../../src/runtime.js';
import { authorizeThroughForms } from '../helpers/browserless.js';
import { freshSqlite, type TestDatabase } from '../helpers/databases.js';
import { fetchJson } from './profile-test-kit.js';

describe('secrets in GET token requests never reach the logs (meilishuo)', () => {
  const lines: string[] = [];
  let db: TestDatabase;
  let core: CoreContext;
  let server: FastifyInstance;
  let base: string;
  let app: { appKey: string; appSecret: string };
  const callback = 'https://shop.example.com.cn/callback';

  before(async () => {
    db = freshSqlite();
    const storage = await openStorage(db.url, { createIfMissing: true });
    core = await createCoreContext({ storage, profile: getProfile('meilishuo'), issuer: 'http://127.0.0.1' });
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    server = await buildServer({ core, logger: { level: 'info', stream } });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const addr = server.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    core.issuer = base;
    app = await createApp(storage, core.secretKey, { name: 'Log Test', callbacks: [callback] });
    await createSeller(storage, { username: 'logseller', password: 'correct horse battery', stores: ['Only Store'] });
  });
  after(async () => {
    await server?.close();
    await core?.storage.close();
    await db?.cleanup();
  });

  it('redacts app_secret, code and refresh_token in request URLs, and logs no issued token', async () => {
    const { location } = await authorizeThroughForms(
      base,
      `/authorize?response_type=code&app_key=${app.appKey}&redirect_uri=${encodeURIComponent(callback)}&state=s`,
      {
        username: 'logseller',
        password: 'correct horse battery',
      },
    );
    const code = new URL(location).searchParams.get('code')!;
    const ok = await fetchJson(
      `${base}/token?code=${code}&grant_type=authorization_code&app_key=${app.appKey}&app_secret=${app.appSecret}&redirect_uri=${encodeURIComponent(callback)}`,
    );
    assert.equal(ok.status, 200, ok.text);
    // A failing one too (the error path logs as well), and a POST with the query.
    const bad = await fetchJson(
      `${base}/token?code=${code}&grant_type=authorization_code&app_key=${app.appKey}&app_secret=${app.appSecret}x&redirect_uri=${encodeURIComponent(callback)}`,
    );
    assert.equal(bad.status, 401);
    const refreshed = await fetchJson(
      `${base}/token?grant_type=refresh_token&app_key=${app.appKey}&app_secret=${app.appSecret}&refresh_token=${ok.json.refresh_token}`,
      { method: 'POST' },
    );
    assert.equal(refreshed.status, 200, refreshed.text);

    const log = lines.join('');
    assert.match(
      log,
      /"url":"\/token\?code=\[REDACTED\]&grant_type=authorization_code&app_key=\d+&app_secret=\[REDACTED\]/,
    );
    assert.match(log, /refresh_token=\[REDACTED\]/);
    for (const secret of [
      app.appSecret,
      code,
      ok.json.access_token,
      ok.json.refresh_token,
      refreshed.json.access_token,
      refreshed.json.refresh_token,
    ]) {
      assert.ok(!log.includes(secret), `a secret reached the log: ${secret.slice(0, 6)}…`);
    }
  });
});
