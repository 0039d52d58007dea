// Issue 14 / docs/adr/0177: an operator's lost authenticator is reset with `shouquan operator reset-totp` or
// `POST /admin/api/v1/operators/{username}/reset-totp`: TOTP and recovery codes cleared, sessions ended, audited;
// the next sign-in enrols again.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FormClient } from './helpers/browserless.js';
import { csrfOf, page, submit } from './helpers/console.js';
import { runCli } from './helpers/cli.js';
import { createWebAccount } from '../src/console/accounts.js';
import { issueRecoveryCodes, startTotpEnrolment } from '../src/console/operator-totp.js';
import { createOperatorToken } from '../src/management/operator-tokens.js';
import { base32Decode, hotp, totpStep } from '../src/crypto/totp.js';

describe("resetting an operator's authenticator", () => {
  let s: TestServer;
  const password = 'operator password';

  before(async () => {
    s = await startTestServer();
  });
  after(async () => s?.close());

  /** An enrolled operator signed in in a browser; returns the browser and one recovery code. */
  async function enrolledAndSignedIn(username: string) {
    const account = await createWebAccount(s.core.storage, { realm: 'operator', username, password });
    const now = s.core.now();
    const { secret } = await startTotpEnrolment(s.core.storage, s.core.secretKey, account, 'Shouquan', now);
    const [recovery] = await issueRecoveryCodes(s.core.storage, account.accountId, now);
    const c = new FormClient(s.url);
    const login = await submit(c, '/admin/login?lang=en', '/admin/login', { username, password });
    assert.equal(login.location, '/admin/login/code');
    const step = await page(c, '/admin/login/code?lang=en');
    const code = hotp(base32Decode(secret)!, totpStep(s.core.now()));
    const res = await c.post('/admin/login/code', { csrf_token: csrfOf(step.html), code });
    assert.equal(res.headers.get('location'), '/admin');
    assert.equal((await page(c, '/admin?lang=en')).status, 200);
    return { c, account, recovery: recovery! };
  }

  const lastAudit = async () => (await s.core.storage.audit!.list({ limit: 100_000 })).at(-1)!;

  it('from the CLI: secret and recovery codes cleared, sessions ended, audited; the next sign-in enrols again', async () => {
    const { c, account, recovery } = await enrolledAndSignedIn('ops-cli');
    const run = await runCli('operator', 'reset-totp', '--username', 'ops-cli', '--database', s.db.url, '--json');
    assert.equal(run.err, '');
    assert.equal(run.code, 0);
    assert.deepEqual(JSON.parse(run.out), { operator_id: account.accountId, username: 'ops-cli', was_enrolled: true });

    assert.equal((await page(c, '/admin?lang=en')).location, '/admin/login', 'the session ended');
    const row = await s.core.storage.console.findAccount('operator', 'ops-cli');
    assert.equal(row!.totpSecret, null);
    assert.equal(row!.totpEnabledAt, null);
    assert.equal(await s.core.storage.console.recoveryCodesLeft(account.accountId), 0);
    const again = await submit(new FormClient(s.url), '/admin/login?lang=en', '/admin/login', {
      username: 'ops-cli',
      password,
    });
    assert.equal(again.location, '/admin/login/enrol', 'the next sign-in sets up a new authenticator');
    assert.equal(await s.core.storage.console.useRecoveryCode(account.accountId, recovery, s.core.now()), false);

    const audit = await lastAudit();
    assert.equal(audit.event, 'console.operator_totp_reset');
    assert.equal(audit.actor, 'cli');
    assert.equal(audit.subject, 'ops-cli');

    const text = await runCli('operator', 'reset-totp', '--username', 'ops-cli', '--database', s.db.url);
    assert.equal(text.code, 0);
    assert.match(text.out, /^operator ops-cli: authenticator reset, recovery codes cleared, sessions ended\./);
    const unknown = await runCli('operator', 'reset-totp', '--username', 'nobody', '--database', s.db.url);
    assert.deepEqual([unknown.code, unknown.err], [1, 'shouquan: no operator with username nobody']);
    assert.equal((await runCli('operator', 'reset-totp', '--database', s.db.url)).code, 2);
    assert.match(
      (await runCli('operator', 'reset-totp', '--help')).out,
      /^Usage: shouquan operator reset-totp --username U/,
    );
  });

  it('from the management API: 200 with the operator, 403 read-only, 404 unknown, audited as the token', async () => {
    const { c, account } = await enrolledAndSignedIn('ops-api');
    const write = await createOperatorToken(s.core.storage, {
      name: 'oncall',
      readOnly: false,
      createdBy: 'cli',
      now: 1,
    });
    const read = await createOperatorToken(s.core.storage, {
      name: 'viewer',
      readOnly: true,
      createdBy: 'cli',
      now: 1,
    });
    const call = (username: string, token: string) =>
      fetch(`${s.url}/admin/api/v1/operators/${username}/reset-totp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    const denied = await call('ops-api', read.token);
    assert.equal(denied.status, 403);
    assert.equal((await page(c, '/admin?lang=en')).status, 200, 'a refused reset changes nothing');
    const res = await call('ops-api', write.token);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { operator_id: account.accountId, username: 'ops-api', was_enrolled: true });
    assert.equal((await page(c, '/admin?lang=en')).location, '/admin/login');
    const audit = (await s.core.storage.audit!.list({ limit: 100_000 })).filter(
      (a) => a.event === 'console.operator_totp_reset' && a.subject === 'ops-api',
    );
    assert.equal(audit.at(-1)?.actor, 'token:oncall');
    const missing = await call('nobody', write.token);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'not_found', message: 'no operator with username nobody' });
  });
});
