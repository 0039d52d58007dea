import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient } from './helpers/browserless.js';
import { submit } from './helpers/console.js';
import { createWebAccount } from '../src/console/accounts.js';

describe('console sign-ins share the login lockout', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await createWebAccount(s.core.storage, {
      realm: 'developer',
      username: s.seller.username,
      password: 'developer password',
    });
  });
  after(async () => s?.close());

  it('locks a seller after 5 wrong passwords at /account/login, on the authorize pages too, but not the developer of the same name', async () => {
    const c = new FormClient(s.url);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (
          await submit(c, '/account/login?lang=en', '/account/login', {
            username: s.seller.username,
            password: `wrong ${i}`,
          })
        ).status,
      );
    assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    const right = await c.post('/account/login', { csrf_token: '' }); // CSRF first: still 403
    assert.equal(right.status, 403);
    const locked = await submit(c, '/account/login?lang=en', '/account/login', {
      username: s.seller.username,
      password: s.seller.password,
    });
    assert.equal(locked.status, 429);
    assert.match(locked.html, /Too many|try again/i);
    await assert.rejects(
      authorizeThroughForms(
        s.url,
        `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 's' })}`,
        { username: s.seller.username, password: s.seller.password },
      ),
      /login answered 429/,
    );
    const dev = await submit(new FormClient(s.url), '/console/login', '/console/login', {
      username: s.seller.username,
      password: 'developer password',
    });
    assert.equal(dev.status, 303, 'developers have their own budget');
  });
});
