import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FormClient } from './helpers/browserless.js';
import { page, signIn } from './helpers/console.js';
import { createWebAccount } from '../src/console/accounts.js';

// docs/adr/0174: each console is an encapsulated plugin with its own sign-in hook. A session of one
// console opens no other, and no console's hook runs for the OAuth routes or the management API.
describe('the consoles are three plugins with a sign-in hook each', () => {
  let s: TestServer;
  let developer: FormClient;
  let operator: FormClient;
  before(async () => {
    s = await startTestServer();
    await createWebAccount(s.core.storage, { realm: 'developer', username: 'dev', password: 'developer password' });
    await createWebAccount(s.core.storage, { realm: 'operator', username: 'ops', password: 'operator password' });
    developer = new FormClient(s.url);
    await signIn(developer, 'console', 'dev', 'developer password');
    operator = new FormClient(s.url);
    await signIn(operator, 'admin', 'ops', 'operator password');
  });
  after(async () => s?.close());

  it('a developer session opens the developer console only', async () => {
    assert.deepEqual([(await page(developer, '/console')).status], [200]);
    const elsewhere = [await page(developer, '/admin'), await page(developer, '/account')];
    assert.deepEqual(
      elsewhere.map((p) => [p.status, p.location]),
      [
        [303, '/admin/login'],
        [303, '/account/login'],
      ],
    );
  });

  it('an operator session opens the operator admin only', async () => {
    assert.equal((await page(operator, '/admin/sellers')).status, 200);
    const elsewhere = [await page(operator, '/console/apps/new'), await page(operator, '/account')];
    assert.deepEqual(
      elsewhere.map((p) => [p.status, p.location]),
      [
        [303, '/console/login'],
        [303, '/account/login'],
      ],
    );
  });

  it('a POST is CSRF-checked before the sign-in check: no token is a 403, not a redirect to sign in', async () => {
    const stranger = new FormClient(s.url);
    for (const action of ['/console/apps', '/admin/subscriptions', '/account/password']) {
      const res = await stranger.post(action, { name: 'x' });
      assert.deepEqual([action, res.status, res.headers.get('location')], [action, 403, null]);
    }
  });

  it('the operator admin hook does not run for the management API under /admin/api/v1', async () => {
    const res = await operator.get('/admin/api/v1/apps');
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), {
      error: 'unauthorized',
      message: 'send an operator API token: Authorization: Bearer <token> (shouquan operator token create)',
    });
  });

  it('no console hook runs for the OAuth routes: a token request without a CSRF token gets its OAuth answer', async () => {
    const res = await developer.post('/oauth/token', {
      grant_type: 'authorization_code',
      code: 'nope',
      redirect_uri: s.client.callback,
      client_id: s.client.appKey,
      client_secret: s.client.appSecret,
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
  });
});
