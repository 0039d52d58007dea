import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { page, signIn, submit } from './helpers/console.js';
import { createWebAccount } from '../src/console/accounts.js';
import { createApp } from '../src/apps/apps.js';
import { setAppStatus } from '../src/apps/apps.js';

const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`operator admin /admin (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let op: FormClient;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
      await createWebAccount(s.core.storage, { realm: 'operator', username: 'ops', password: 'operator password' });
      op = new FormClient(s.url);
      await signIn(op, 'admin', 'ops', 'operator password');
    });
    after(async () => s?.close());

    const authorizeUrl = (appKey: string) =>
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: appKey, redirect_uri: s.client.callback, state: 'st' })}`;
    const setStatus = (appKey: string, status: string) =>
      submit(op, '/admin', `/admin/apps/${appKey}/status`, { status });

    it('keeps developers, sellers and operators apart', async () => {
      await createWebAccount(s.core.storage, { realm: 'developer', username: 'ops', password: 'developer password' });
      const asDeveloper = await submit(new FormClient(s.url), '/admin/login', '/admin/login', {
        username: 'ops',
        password: 'developer password',
      });
      assert.equal(asDeveloper.status, 401);
      const asSeller = await submit(new FormClient(s.url), '/admin/login', '/admin/login', {
        username: s.seller.username,
        password: s.seller.password,
      });
      assert.equal(asSeller.status, 401);
      assert.equal((await page(new FormClient(s.url), '/admin')).location, '/admin/login');
    });

    it('approves a submitted app so any seller can authorize it', async () => {
      const created = await createApp(s.core.storage, s.core.secretKey, {
        name: 'Pending App',
        callbacks: [s.client.callback],
        status: 'submitted',
      });
      const home = await page(op, '/admin?lang=en');
      assert.match(
        home.html,
        /<a href="\/admin\/apps\/\d{8}">Pending App<\/a> <span class="badge submitted">In review<\/span>/,
      );
      const res = await setStatus(created.appKey, 'live');
      assert.equal(res.status, 303);
      assert.equal((await s.core.storage.apps.find(created.appKey))?.status, 'live');
      // The audit log says it in words (docs/adr/0162).
      const audit = await page(op, '/admin/audit?lang=en');
      assert.ok(
        audit.html.includes(`<td>Operator ops</td><td>changed app ${created.appKey} from “In review” to “Live”</td>`),
        audit.html,
      );
      assert.ok(!audit.html.includes('console.app_status_changed'));
    });

    it('suspending an app stops its tokens at once; reinstating brings them back', async () => {
      const { location } = await authorizeThroughForms(s.url, authorizeUrl(s.client.appKey), {
        username: s.seller.username,
        password: s.seller.password,
      });
      const code = new URL(location).searchParams.get('code')!;
      const tokens = (
        await postForm(`${s.url}/oauth/token`, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: s.client.callback,
          client_id: s.client.appKey,
          client_secret: s.client.appSecret,
        })
      ).json;
      const store = () =>
        fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal((await store()).status, 200);

      assert.equal((await setStatus(s.client.appKey, 'suspended')).status, 303);
      const refused = await store();
      assert.equal(refused.status, 401);
      assert.deepEqual(await refused.json(), {
        error: 'invalid_token',
        error_description: 'the app this token was issued to is suspended',
      });
      const refresh = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(refresh.status, 401);
      assert.equal(refresh.json.error, 'invalid_client');
      const authorize = await new FormClient(s.url).get(authorizeUrl(s.client.appKey), { 'accept-language': 'en' });
      assert.equal(authorize.status, 400);
      assert.match(await authorize.text(), /this app is suspended and cannot be authorized/);

      assert.equal((await setStatus(s.client.appKey, 'live')).status, 303);
      assert.equal((await store()).status, 200);
    });

    it("looks up a seller's authorizations", async () => {
      const res = await page(op, `/admin?lang=en&seller=${s.seller.username}`);
      assert.equal(res.status, 200);
      assert.match(res.html, /<p class="name">Test App<\/p><dl class="facts"><dt>Store<\/dt><dd>Store One<\/dd>/);
      const none = await page(op, '/admin?lang=en&seller=nobody-here');
      assert.match(none.html, /No seller with this username\./);
    });

    it('refuses an unknown status', async () => {
      const res = await submit(op, '/admin?lang=en', `/admin/apps/${s.client.appKey}/status`, { status: 'deleted' });
      assert.equal(res.status, 400);
      assert.match(res.html, /Choose a valid status\./);
    });
  });
}

describe('testing apps get short token lifetimes', () => {
  it('caps access at one hour and refresh at one day until the app is live', async () => {
    const s = await startTestServer();
    try {
      const app = await createApp(s.core.storage, s.core.secretKey, {
        name: 'CLI Testing App',
        callbacks: [s.client.callback],
        status: 'testing',
      });
      const exchange = async () => {
        const url = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.appKey, redirect_uri: s.client.callback, state: 'st' })}`;
        const { location } = await authorizeThroughForms(s.url, url, {
          username: s.seller.username,
          password: s.seller.password,
        });
        const code = new URL(location).searchParams.get('code')!;
        return postForm(`${s.url}/oauth/token`, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: s.client.callback,
          client_id: app.appKey,
          client_secret: app.appSecret,
        });
      };
      const testing = await exchange();
      assert.equal(testing.status, 200, testing.text);
      assert.equal(testing.json.expires_in, 3600);
      const intro = await postForm(`${s.url}/oauth/introspect`, {
        token: testing.json.refresh_token,
        client_id: app.appKey,
        client_secret: app.appSecret,
      });
      assert.equal(intro.json.exp - intro.json.iat, 86400);
      await setAppStatus(s.core.storage, app.appKey, 'live', s.core.now());
      const live = await exchange();
      assert.equal(live.json.expires_in, 7200);
    } finally {
      await s.close();
    }
  });
});
