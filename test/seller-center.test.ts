import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { csrfOf, page, signIn, submit } from './helpers/console.js';
import { updateApp } from '../src/apps/apps.js';

const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`seller center /account (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let hook: Server | undefined;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
    });
    after(async () => {
      hook?.close();
      await s?.close();
    });

    const authorizeUrl = () =>
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'st' })}`;
    async function tokensFor(client?: FormClient) {
      const { location, client: c } = await authorizeThroughForms(s.url, authorizeUrl(), {
        username: s.seller.username,
        password: s.seller.password,
        storeId: s.seller.stores[1]!.storeId,
        client,
      });
      const code = new URL(location).searchParams.get('code')!;
      const res = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
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
      const res = await submit(
        c,
        '/account/login',
        '/account/login',
        { username: s.seller.username, password: 'wrong password' },
        { 'accept-language': 'en' },
      );
      assert.equal(res.status, 401);
      assert.match(res.html, /The username or password is wrong\./);
    });

    it("reuses the authorize pages' seller session, lists the authorization, and revoking it kills the token at once", async () => {
      const { tokens, client } = await tokensFor();
      assert.equal((await store(tokens.access_token)).status, 200);
      // Same cookie jar as the authorize flow: already signed in.
      const home = await page(client, '/account?lang=en');
      assert.equal(home.status, 200);
      assert.match(home.html, /Apps you authorized/);
      assert.match(home.html, /<p class="name">Test App<\/p>/);
      assert.match(home.html, /<dt>Store<\/dt><dd>Store Two<\/dd>/);
      assert.match(home.html, /<dt>Last used<\/dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+8\)<\/dd>/);
      const action = /action="(\/account\/authorizations\/[^"]+\/revoke)"/.exec(home.html)?.[1];
      assert.ok(action, 'a revoke form is shown');
      const res = await client.post(action, { csrf_token: csrfOf(home.html) });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/account?done=revoked');

      const refused = await store(tokens.access_token);
      assert.equal(refused.status, 401);
      assert.deepEqual(await refused.json(), {
        error: 'invalid_token',
        error_description: 'the access token expired or was revoked',
      });
      const refresh = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(refresh.status, 400);
      assert.equal(refresh.json.error, 'invalid_grant');
      const after = await page(client, '/account?lang=en');
      assert.match(
        after.html,
        /Access revoked\. The app&#39;s tokens no longer work\.|You have not authorized any app\./,
      );
      assert.doesNotMatch(after.html, /<p class="name">Test App<\/p>/);
    });

    it("will not revoke another seller's authorization", async () => {
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

    it("tells the app's webhook when the seller revokes", { timeout: 15_000 }, async () => {
      const received = new Promise<{ body: any; type: string | undefined; signature: string | undefined }>(
        (resolve) => {
          hook = createServer((req, res) => {
            let body = '';
            req.on('data', (c) => (body += c));
            req.on('end', () => {
              res.end('ok');
              resolve({
                body: JSON.parse(body),
                type: req.headers['content-type'],
                signature: req.headers['x-shouquan-signature'] as string | undefined,
              });
            });
          });
        },
      );
      await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', r));
      const port = (hook!.address() as AddressInfo).port;
      const { createApp } = await import('../src/apps/apps.js');
      const app = await createApp(s.core.storage, s.core.secretKey, {
        name: 'Hooked App',
        callbacks: [s.client.callback],
      });
      await updateApp(s.core.storage, app.appKey, { webhookUrl: `http://127.0.0.1:${port}/hook` }, s.core.now());
      const url = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.appKey, redirect_uri: s.client.callback, state: 'st' })}`;
      const { location, client } = await authorizeThroughForms(s.url, url, {
        username: s.seller.username,
        password: s.seller.password,
        storeId: s.seller.stores[0]!.storeId,
      });
      const code = new URL(location).searchParams.get('code')!;
      assert.equal(
        (
          await postForm(`${s.url}/oauth/token`, {
            grant_type: 'authorization_code',
            code,
            redirect_uri: s.client.callback,
            client_id: app.appKey,
            client_secret: app.appSecret,
          })
        ).status,
        200,
      );
      const home = await page(client, '/account?lang=en');
      const action = new RegExp(
        `<p class="name">Hooked App</p>[\\s\\S]*?action="(/account/authorizations/[^"]+/revoke)"`,
      ).exec(home.html)?.[1];
      assert.ok(action);
      assert.equal((await client.post(action, { csrf_token: csrfOf(home.html) })).status, 303);
      // Delivered by the gateway's webhook dispatcher (docs/adr/0031), signed with the AppSecret.
      const { body, type, signature } = await received;
      assert.equal(type, 'application/json; charset=utf-8');
      assert.match(signature ?? '', /^sha256=[0-9a-f]{64}$/);
      assert.deepEqual(Object.keys(body), [
        'event',
        'event_id',
        'app_key',
        'seller_id',
        'store_id',
        'reason',
        'occurred_at',
      ]);
      assert.equal(body.event, 'authorization.revoked');
      assert.equal(body.app_key, app.appKey);
      assert.equal(body.seller_id, s.seller.sellerId);
      assert.equal(body.store_id, s.seller.stores[0]!.storeId);
      assert.equal(body.reason, 'seller_revoked');
    });

    it('changing the password ends every session and, when asked, every authorization', async () => {
      const { tokens, client } = await tokensFor();
      const second = new FormClient(s.url);
      await signIn(second, 'account', s.seller.username, s.seller.password);
      const newPassword = 'a brand new password';
      const res = await submit(client, '/account', '/account/password', {
        current_password: s.seller.password,
        new_password: newPassword,
        revoke_all: '1',
      });
      assert.equal(res.status, 303);
      assert.equal(res.location, '/account/login?done=password');
      assert.equal((await page(second, '/account')).status, 303, 'the other session ended too');
      assert.equal((await store(tokens.access_token)).status, 401, 'authorizations ended');
      await signIn(new FormClient(s.url), 'account', s.seller.username, newPassword);
      s.seller.password = newPassword;
    });
  });
}
