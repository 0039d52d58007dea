// The consoles' share of issue 14: developers edit callbacks (audited), operators list and revoke API tokens in /admin.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWebAccount } from '../src/console/accounts.js';
import { createOperatorToken } from '../src/management/operator-tokens.js';
import { FormClient } from './helpers/browserless.js';
import { page, signIn, submit } from './helpers/console.js';
import { testDialects } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

for (const dialect of await testDialects()) {
  describe(`consoles and the management API (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
    });
    after(async () => s?.close());

    it('a developer edits an app’s callbacks: checked, audited, in effect at once', async () => {
      await createWebAccount(s.core.storage, {
        realm: 'developer',
        username: 'cb-dev',
        password: 'developer password',
      });
      const dev = new FormClient(s.url);
      await signIn(dev, 'console', 'cb-dev', 'developer password');
      const created = await submit(dev, '/console/apps/new', '/console/apps', {
        name: 'Callback App',
        callback_urls: 'https://cb.example.com/one',
        scope: 'seller',
      });
      assert.equal(created.status, 201);
      const appKey = /<code>(\d{8})<\/code>/.exec(created.html)?.[1];
      assert.ok(appKey);
      const bad = await submit(dev, `/console/apps/${appKey}?lang=en`, `/console/apps/${appKey}/callbacks`, {
        callback_urls: 'https://cb.example.com/two#frag',
      });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /https:\/\/cb\.example\.com\/two#frag/);
      const ok = await submit(dev, `/console/apps/${appKey}`, `/console/apps/${appKey}/callbacks`, {
        callback_urls: 'https://cb.example.com/one\r\nhttps://cb.example.com/two',
      });
      assert.deepEqual([ok.status, ok.location], [303, `/console/apps/${appKey}?done=callbacks`]);
      assert.match((await page(dev, `${ok.location}&lang=en`)).html, /Callback URLs saved\. They work at once\./);
      assert.deepEqual((await s.core.storage.apps.find(appKey!))?.callbackUrls, [
        'https://cb.example.com/one',
        'https://cb.example.com/two',
      ]);
      const entry = (await s.core.storage.management.audit({ action: 'console.app_callbacks_changed', limit: 1 }))[0];
      assert.deepEqual(
        [entry?.actor, entry?.appKey, entry?.detail],
        [
          'developer:cb-dev',
          appKey,
          { from: ['https://cb.example.com/one'], to: ['https://cb.example.com/one', 'https://cb.example.com/two'] },
        ],
      );
      // Another developer cannot.
      await createWebAccount(s.core.storage, {
        realm: 'developer',
        username: 'cb-other',
        password: 'developer password',
      });
      const other = new FormClient(s.url);
      await signIn(other, 'console', 'cb-other', 'developer password');
      const foreign = await submit(other, '/console', `/console/apps/${appKey}/callbacks`, {
        callback_urls: 'https://evil.example.com/cb',
      });
      assert.equal(foreign.status, 404);
    });

    it('/admin lists the API tokens and revokes one: it answers 401 from then on', async () => {
      const { token, record } = await createOperatorToken(s.core.storage, {
        name: 'nightly-sync',
        readOnly: true,
        createdBy: 'cli',
        now: s.core.now(),
      });
      const call = () => fetch(`${s.url}/admin/api/v1/apps?limit=1`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await call()).status, 200);
      await createWebAccount(s.core.storage, { realm: 'operator', username: 'tok-ops', password: 'operator password' });
      const op = new FormClient(s.url);
      await signIn(op, 'admin', 'tok-ops', 'operator password');
      const home = await page(op, '/admin?lang=en');
      assert.match(home.html, /<h2>Management API tokens<\/h2>/);
      assert.match(home.html, /<td><code>nightly-sync<\/code><\/td><td>read-only<\/td>/);
      const revoked = await submit(op, '/admin', `/admin/operator-tokens/${record.tokenId}/revoke`, {});
      assert.deepEqual([revoked.status, revoked.location], [303, '/admin?done=token-revoked#operator-tokens']);
      assert.equal((await call()).status, 401);
      assert.match(
        (await page(op, '/admin?lang=en&done=token-revoked')).html,
        /The token was revoked; it no longer works\./,
      );
      const entry = (await s.core.storage.management.audit({ action: 'operator_token.revoked', limit: 1 }))[0];
      assert.deepEqual(
        [entry?.actor, entry?.subject, entry?.detail],
        ['operator:tok-ops', String(record.tokenId), { name: 'nightly-sync' }],
      );
      assert.equal((await submit(op, '/admin', `/admin/operator-tokens/${record.tokenId}/revoke`, {})).status, 404);
    });
  });
}
