import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { csrfOf, page, signIn, submit } from './helpers/console.js';

const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`seller center /account (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
    });
    after(async () => s?.close());

    const authorizeUrl = () => `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'st' })}`;
    async function tokensFor(client?: FormClient) {
      const { location, client: c } = await authorizeThroughForms(s.url, authorizeUrl(), { username: s.seller.username, password: s.seller.password, storeId: s.seller.stores[1]!.storeId, client });
      const code = new URL(location).searchParams.get('code')!;
      const res = await postForm(`${s.url}/oauth/token`, { grant_type: 'authorization_code', code, redirect_uri: s.client.callback, client_id: s.client.appKey, client_secret: s.client.appSecret });
      assert.equal(res.status, 200, res.text);
      return { tokens: res.json, client: c };
    }
    const store = (token: string) => fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${token}` } });

    it('sends a signed-out seller to the login page', async () => {
      const p = await page(new FormClient(s.url), '/account');
      assert.equal(p.status, 303);
      assert.equal(p.location, '/account/login');
    });

    it('refuses a wrong password with a clear message', async () => {
      const c = new FormClient(s.url);
      const res = await submit(c, '/account/login', '/account/login', { username: s.seller.username, password: 'wrong password' }, { 'accept-language': 'en' });
      assert.equal(res.status, 401);
      assert.match(res.html, /The username or password is wrong\./);
    });

    it('reuses the authorize pages\' seller session, lists the authorization, and revoking it kills the token at once', async () => {
      const { tokens, client } = await tokensFor();
      assert.equal((await store(tokens.access_token)).status, 200);
      // Same cookie jar as the authorize flow: already signed in.
      const home = await page(client, '/account?lang=en');
      assert.equal(home.status, 200);
      assert.match(home.html, /Apps you authorized/);
      assert.match(home.html, /<p class="name">Test App<\/p>/);
      assert.match(home.html, /<dt>Store<\/dt><dd>Store Two<\/dd>/);
      assert.match(home.html, /<dt>Last used<\/dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/dd>/);
      const action = /action="(\/account\/authorizations\/[^"]+\/revoke)"/.exec(home.html)?.[1];
      assert.ok(action, 'a revoke form is shown');
      const res = await client.post(action, { csrf_token: csrfOf(home.html) });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/account?done=revoked');

      const refused = await store(tokens.access_token);
      assert.equal(refused.status, 401);
      assert.deepEqual(await refused.json(), { error: 'invalid_token', error_description: 'the access token expired or was revoked' });
      const refresh = await postForm(`${s.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: s.client.appKey, client_secret: s.client.appSecret });
      assert.equal(refresh.status, 400);
      assert.equal(refresh.json.error, 'invalid_grant');
      const after = await page(client, '/account?lang=en');
      assert.match(after.html, /Access revoked\. The app&#39;s tokens no longer work\.|You have not authorized any app\./);
      assert.doesNotMatch(after.html, /<p class="name">Test App<\/p>/);
    });

    it('will not revoke another seller\'s authorization', async () => {
      const { client } = await tokensFor();
      const home = await page(client, '/account');
      const action = /action="(\/account\/authorizations\/[^"]+\/revoke)"/.exec(home.html)![1]!;
      const other = new FormClient(s.url);
      const { createSeller } = await import('../src/admin.js');
      await createSeller(s.core.storage, { username: 'other-seller', password: 'other password', stores: ['Other'] });
      await signIn(other, 'account', 'other-seller', 'other password');
      const otherHome = await page(other, '/account?lang=en');
      const res = await other.post(action, { csrf_token: csrfOf(otherHome.html) }, { accept: 'text/html' });
      assert.equal(res.status, 404);
      assert.match(await res.text(), /This authorization does not exist or is not yours\.[\s\S]*Request ID/);
      assert.match((await page(client, '/account')).html, /<p class="name">Test App<\/p>/, 'still authorized');
    });

    it('changing the password ends every session and, when asked, every authorization', async () => {
      const { tokens, client } = await tokensFor();
      const second = new FormClient(s.url);
      await signIn(second, 'account', s.seller.username, s.seller.password);
      const newPassword = 'a brand new password';
      const res = await submit(client, '/account', '/account/password', { current_password: s.seller.password, new_password: newPassword, revoke_all: '1' });
      assert.equal(res.status, 303);
      assert.equal(res.location, '/account/login?done=password');
      assert.equal((await page(second, '/account')).status, 303, 'the other session ended too');
      assert.equal((await store(tokens.access_token)).status, 401, 'authorizations ended');
      await signIn(new FormClient(s.url), 'account', s.seller.username, newPassword);
      s.seller.password = newPassword;
    });
  });
}
