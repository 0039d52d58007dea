import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { csrfOf, page, signIn, submit } from './helpers/console.js';
import { createWebAccount } from '../src/console/accounts.js';

const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`console forms refuse cross-site posts (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let victim: FormClient;
    let forms: Array<{ action: string; fields: Record<string, string> }>;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
      await createWebAccount(s.core.storage, { realm: 'operator', username: 'ops', password: 'operator password' });
      await createWebAccount(s.core.storage, { realm: 'developer', username: 'dev', password: 'developer password' });
      // One browser signed in everywhere, with an authorization and an app of its own.
      const authorize = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'st' })}`;
      const flow = await authorizeThroughForms(s.url, authorize, {
        username: s.seller.username,
        password: s.seller.password,
      });
      victim = flow.client;
      const code = new URL(flow.location).searchParams.get('code')!;
      const exchanged = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(exchanged.status, 200);
      await signIn(victim, 'console', 'dev', 'developer password');
      await signIn(victim, 'admin', 'ops', 'operator password');
      const created = await submit(victim, '/console/apps/new', '/console/apps', {
        name: 'Victim App',
        callback_urls: 'https://v.example.com/cb',
        scope: 'seller',
      });
      const appKey = /id="app_key_once" type="text" readonly value="(\d+)"/.exec(created.html)![1]!;
      const grantPath = /action="(\/account\/authorizations\/[^"]+\/revoke)"/.exec(
        (await page(victim, '/account')).html,
      )![1]!;
      forms = [
        { action: '/account/login', fields: { username: s.seller.username, password: s.seller.password } },
        { action: '/account/logout', fields: {} },
        { action: grantPath, fields: {} },
        {
          action: '/account/password',
          fields: { current_password: s.seller.password, new_password: 'attacker chosen', revoke_all: '1' },
        },
        { action: '/console/signup', fields: { username: 'csrf-made', password: 'attacker password' } },
        { action: '/console/login', fields: { username: 'dev', password: 'developer password' } },
        { action: '/console/logout', fields: {} },
        { action: '/console/sandbox-sellers', fields: {} },
        { action: '/console/apps', fields: { name: 'Forged', callback_urls: 'https://evil.example/cb' } },
        { action: `/console/apps/${appKey}/rotate`, fields: { overlap_hours: '0' } },
        { action: `/console/apps/${appKey}/end-previous`, fields: {} },
        { action: `/console/apps/${appKey}/submit`, fields: {} },
        { action: '/admin/login', fields: { username: 'ops', password: 'operator password' } },
        { action: '/admin/logout', fields: {} },
        { action: `/admin/apps/${s.client.appKey}/status`, fields: { status: 'suspended' } },
      ];
    });
    after(async () => s?.close());

    const csrfMessage =
      /This form is out of date or did not come from this site\. Reload the page and try again\.[\s\S]*Request ID: <code>[0-9a-f-]{36}<\/code>/;

    it('sets the CSRF cookie HttpOnly and SameSite=Strict', async () => {
      const res = await new FormClient(s.url).get('/console/login');
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sq_csrf='));
      assert.ok(cookie);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
    });

    it('refuses every form posted without the token (what a cross-site form sends)', async () => {
      for (const f of forms) {
        const res = await victim.post(f.action, f.fields, { 'accept-language': 'en' });
        assert.equal(res.status, 403, f.action);
        assert.match(await res.text(), csrfMessage, f.action);
      }
    });

    it('refuses every form posted with a token minted for another browser', async () => {
      const attacker = new FormClient(s.url);
      const token = csrfOf((await page(attacker, '/console/login')).html);
      for (const f of forms) {
        const res = await victim.post(f.action, { csrf_token: token, ...f.fields }, { 'accept-language': 'en' });
        assert.equal(res.status, 403, f.action);
      }
    });

    it('refuses every form from a foreign Origin even with a valid token', async () => {
      const token = csrfOf((await page(victim, '/console')).html);
      for (const f of forms) {
        const res = await victim.post(
          f.action,
          { csrf_token: token, ...f.fields },
          { origin: 'https://evil.example', 'accept-language': 'en' },
        );
        assert.equal(res.status, 403, f.action);
        assert.match(await res.text(), csrfMessage, f.action);
      }
    });

    it('refuses every form a browser marks as cross-site (Sec-Fetch-Site) even with a valid token', async () => {
      const token = csrfOf((await page(victim, '/console')).html);
      for (const f of forms) {
        const res = await victim.post(
          f.action,
          { csrf_token: token, ...f.fields },
          { origin: 'null', 'sec-fetch-site': 'cross-site' },
        );
        assert.equal(res.status, 403, f.action);
      }
    });

    it('changed nothing', async () => {
      assert.equal((await s.core.storage.apps.find(s.client.appKey))?.status, 'live');
      assert.equal(await s.core.storage.console.findAccount('developer', 'csrf-made'), undefined);
      assert.equal((await page(victim, '/account')).status, 200, 'seller still signed in');
      assert.equal((await page(victim, '/console')).status, 200, 'developer still signed in');
      assert.equal((await page(victim, '/admin')).status, 200, 'operator still signed in');
      assert.match((await page(victim, '/account')).html, /<p class="name">Test App<\/p>/, 'authorization still live');
      assert.equal((await s.core.storage.console.sandboxSellersOf(1)).length, 0);
    });

    it('accepts the same form from this site (the refusals are about CSRF, not the form)', async () => {
      const res = await submit(
        victim,
        '/admin',
        `/admin/apps/${s.client.appKey}/status`,
        { status: 'live' },
        { origin: s.url },
      );
      assert.equal(res.status, 303);
    });
  });
}
