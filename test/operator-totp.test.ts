// Issue 14 §3: operators sign in with a password and a TOTP code (RFC 6238) once enrolled;
// enrolment on first sign-in or from `operator create --totp`; single-use recovery codes (docs/adr/0161).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FormClient } from './helpers/browserless.js';
import { csrfOf, page, readonlyValue, submit } from './helpers/console.js';
import { freshSqlite } from './helpers/databases.js';
import { createWebAccount } from '../src/console/accounts.js';
import { openTotpSecret } from '../src/console/operator-totp.js';
import { base32Decode, hotp, totpStep } from '../src/crypto/totp.js';
import { main } from '../src/cli/main.js';
import { loadSecretKey, openStorage } from '../src/runtime.js';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 10);

describe('operator TOTP in /admin', () => {
  let s: TestServer;
  let secret: Buffer;
  let recovery: string[];
  const password = 'operator password';

  before(async () => {
    // A frozen clock the test moves: codes are computed for known steps.
    s = await startTestServer({ now: () => T0 });
    await createWebAccount(s.core.storage, { realm: 'operator', username: 'ops', password });
  });
  after(async () => s?.close());

  const codeAt = (stepOffset: number) => hotp(secret, totpStep(s.core.now()) + stepOffset);

  it('the first sign-in goes to enrolment: the otpauth:// URI and the secret, no session before a right code', async () => {
    const c = new FormClient(s.url);
    const login = await submit(c, '/admin/login?lang=en', '/admin/login', { username: 'ops', password });
    assert.equal(login.status, 303);
    assert.equal(login.location, '/admin/login/enrol');
    const enrol = await page(c, '/admin/login/enrol');
    assert.equal(enrol.status, 200);
    assert.match(enrol.html, /Set up two-step sign-in/);
    const text = readonlyValue(enrol.html, 'totp-secret')!;
    assert.match(text, /^[A-Z2-7]{32}$/);
    assert.equal(
      readonlyValue(enrol.html, 'totp-uri'),
      `otpauth://totp/Shouquan%20(127.0.0.1%3A${new URL(s.url).port}):ops?secret=${text}&issuer=Shouquan%20%28127.0.0.1%3A${new URL(s.url).port}%29&algorithm=SHA1&digits=6&period=30`,
    );
    secret = base32Decode(text)!;
    // Reloading shows the same secret; the database holds it sealed, not in the clear.
    assert.equal(readonlyValue((await page(c, '/admin/login/enrol')).html, 'totp-secret'), text);
    const row = await s.core.storage.console.findAccount('operator', 'ops');
    assert.match(row!.totpSecret!, /^v1\./);
    assert.ok(!row!.totpSecret!.includes(text));
    assert.equal(row!.totpEnabledAt, null);
    assert.deepEqual(openTotpSecret(s.core.secretKey, row!), secret);

    const wrong = await c.post('/admin/login/enrol', { csrf_token: csrfOf(enrol.html), code: codeAt(3) });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /The code is wrong or was already used\./);
    assert.equal((await page(c, '/admin')).location, '/admin/login', 'no session yet');

    const ok = await c.post('/admin/login/enrol', { csrf_token: csrfOf(enrol.html), code: codeAt(0) });
    const html = await ok.text();
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    assert.match(html, /Your recovery codes/);
    recovery = [...html.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);
    assert.equal(recovery.length, 10);
    assert.equal((await page(c, '/admin')).status, 200, 'signed in after enrolment');
    assert.ok((await s.core.storage.console.findAccount('operator', 'ops'))!.totpEnabledAt);
  });

  it('once enrolled, the password leads to the code step; the step used at enrolment does not sign in again; the next one does, once', async () => {
    const c = new FormClient(s.url);
    const login = await submit(c, '/admin/login?lang=en', '/admin/login', { username: 'ops', password });
    assert.equal(login.location, '/admin/login/code');
    const step = await page(c, '/admin/login/code');
    assert.match(step.html, /Enter the 6-digit code from your authenticator app, or one of your recovery codes\./);
    assert.match(step.html, /autocomplete="one-time-code"/);
    const replay = await c.post('/admin/login/code', { csrf_token: csrfOf(step.html), code: codeAt(0) });
    assert.equal(replay.status, 401, 'the enrolment step is spent');
    assert.equal((await page(c, '/admin')).location, '/admin/login');
    const tooFar = await c.post('/admin/login/code', { csrf_token: csrfOf(step.html), code: codeAt(2) });
    assert.equal(tooFar.status, 401, 'two steps ahead is outside the window');
    const next = await c.post('/admin/login/code', { csrf_token: csrfOf(step.html), code: codeAt(1) });
    assert.equal(next.status, 303);
    assert.equal(next.headers.get('location'), '/admin');
    assert.equal((await page(c, '/admin')).status, 200);

    // Another browser with the same code in the same step: refused (RFC 6238 §5.2).
    const c2 = new FormClient(s.url);
    await submit(c2, '/admin/login', '/admin/login', { username: 'ops', password });
    const again = await submit(c2, '/admin/login/code', '/admin/login/code', { code: codeAt(1) });
    assert.equal(again.status, 401);
    // Three steps later, a code of the step before now (a slow authenticator clock) still works (±1 step).
    s.advance(90_000);
    const drift = await submit(c2, '/admin/login/code', '/admin/login/code', { code: codeAt(-1) });
    assert.equal(drift.status, 303);
  });

  it('a recovery code signs in once, and the admin says how many are left', async () => {
    const c = new FormClient(s.url);
    await submit(c, '/admin/login', '/admin/login', { username: 'ops', password });
    const used = recovery[0]!;
    const res = await submit(c, '/admin/login/code', '/admin/login/code', { code: used.toUpperCase() });
    assert.equal(res.status, 303);
    assert.equal(res.location, '/admin?recovery_left=9');
    assert.match(
      (await page(c, '/admin?recovery_left=9&lang=en')).html,
      /Signed in with a recovery code\. Recovery codes left: 9/,
    );
    const c2 = new FormClient(s.url);
    await submit(c2, '/admin/login', '/admin/login', { username: 'ops', password });
    assert.equal(
      (await submit(c2, '/admin/login/code', '/admin/login/code', { code: used })).status,
      401,
      'single use',
    );
  });

  it('the code step needs the password step of this browser, within five minutes', async () => {
    const c = new FormClient(s.url);
    assert.equal((await page(c, '/admin/login/code')).location, '/admin/login');
    assert.equal((await page(c, '/admin/login/enrol')).location, '/admin/login');
    const form = await page(c, '/admin/login?lang=en');
    const direct = await c.post('/admin/login/code', { csrf_token: csrfOf(form.html), code: codeAt(0) });
    assert.equal(direct.status, 401);
    assert.match(await direct.text(), /Your sign-in took too long\. Sign in again\./);
    await submit(c, '/admin/login', '/admin/login', { username: 'ops', password });
    const step = await page(c, '/admin/login/code');
    s.advance(301_000);
    assert.equal((await page(c, '/admin/login/code')).location, '/admin/login');
    const late = await c.post('/admin/login/code', { csrf_token: csrfOf(step.html), code: codeAt(0) });
    assert.equal(late.status, 401);
  });

  it('wrong codes count towards the operator lockout', async () => {
    const c = new FormClient(s.url);
    await submit(c, '/admin/login', '/admin/login', { username: 'ops', password });
    let last = 0;
    for (let i = 0; i < 8 && last !== 429; i++)
      last = (await submit(c, '/admin/login/code', '/admin/login/code', { code: '000000' })).status;
    assert.equal(last, 429);
  });

  it('Chinese pages for the second step', async () => {
    const s2 = await startTestServer();
    try {
      await createWebAccount(s2.core.storage, { realm: 'operator', username: 'ops2', password });
      const c = new FormClient(s2.url);
      await submit(c, '/admin/login?lang=zh-CN', '/admin/login', { username: 'ops2', password });
      const enrol = await page(c, '/admin/login/enrol');
      assert.match(enrol.html, /设置两步验证/);
      assert.doesNotMatch(enrol.html, /Set up two-step sign-in/);
    } finally {
      await s2.close();
    }
  });
});

describe('shouquan operator create --totp', () => {
  const db = freshSqlite();
  after(() => db.cleanup());
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { log: (x) => out.push(x), err: (x) => err.push(x) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints the secret, the otpauth:// URI and recovery codes; the operator signs in with a code at once; key rotation keeps it', async () => {
    assert.equal((await run('migrate', '--database', db.url)).code, 0);
    const created = await run(
      'operator',
      'create',
      '--username',
      'ops',
      '--password',
      'operator password',
      '--totp',
      '--issuer',
      'https://auth.example.com',
      '--database',
      db.url,
      '--json',
    );
    assert.equal(created.code, 0, created.err);
    const body = JSON.parse(created.out);
    assert.deepEqual(Object.keys(body), ['operator_id', 'username', 'totp']);
    assert.match(body.totp.secret, /^[A-Z2-7]{32}$/);
    assert.equal(
      body.totp.otpauth_uri,
      `otpauth://totp/Shouquan%20(auth.example.com):ops?secret=${body.totp.secret}&issuer=Shouquan%20%28auth.example.com%29&algorithm=SHA1&digits=6&period=30`,
    );
    assert.equal(body.totp.recovery_codes.length, 10);
    const text = await run(
      'operator',
      'create',
      '--username',
      'ops2',
      '--password',
      'operator password',
      '--totp',
      '--database',
      db.url,
    );
    assert.match(text.out, /^TOTP secret: [A-Z2-7]{32}$/m);
    assert.match(text.out, /^otpauth URI: otpauth:\/\/totp\/Shouquan:ops2\?secret=/m);
    assert.match((await run('operator', 'create', '--help')).out, /--totp/);

    // Re-sealed by `shouquan key rotate`.
    const dir = mkdtempSync(join(tmpdir(), 'sq-totp-key-'));
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const rotated = await run('key', 'rotate', '--new-key-file', keyFile, '--database', db.url);
    assert.equal(rotated.code, 0, rotated.err);
    const storage = await openStorage(db.url);
    try {
      const key = await loadSecretKey(storage, keyFile);
      const account = await storage.console.findAccount('operator', 'ops');
      assert.ok(account?.totpEnabledAt, 'enrolled at once');
      assert.deepEqual(openTotpSecret(key, account!), base32Decode(body.totp.secret));
    } finally {
      await storage.close();
    }
  });
});
