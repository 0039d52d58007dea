import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { page, readonlyValue, signIn, submit } from './helpers/console.js';

const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`developer console /console (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    const dev = new FormClient('http://placeholder');
    let appKey = '';
    let secret = '';
    let authorizeUrl = '';
    const callback = 'https://isv.example.com/cb';
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
      (dev as { base: string }).base = s.url;
    });
    after(async () => s?.close());

    const exchange = async (client: FormClient | undefined, username: string, password: string, appSecret: string) => {
      const url = new URL(authorizeUrl);
      url.searchParams.set('state', 'xyz');
      const { location } = await authorizeThroughForms(s.url, `${url.pathname}${url.search}`, {
        username,
        password,
        client,
      });
      const code = new URL(location).searchParams.get('code');
      assert.ok(code, `a code in ${location}`);
      return postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: callback,
        client_id: appKey,
        client_secret: appSecret,
      });
    };
    const clientCredentialsWork = async (appSecret: string) => {
      // A wrong code with the right client gets invalid_grant; with a wrong client, invalid_client.
      const res = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code: 'nope',
        redirect_uri: callback,
        client_id: appKey,
        client_secret: appSecret,
      });
      return res.json.error === 'invalid_grant'
        ? true
        : res.json.error === 'invalid_client'
          ? false
          : assert.fail(res.text);
    };

    it('signs up a developer (usernames checked, separate from sellers)', async () => {
      const bad = await submit(
        dev,
        '/console/signup',
        '/console/signup',
        { username: 'x', password: 'long enough pw' },
        { 'accept-language': 'en' },
      );
      assert.equal(bad.status, 400);
      assert.match(bad.html, /Use 3 to 64 letters, digits or _ \. @ -/);
      const res = await submit(dev, '/console/signup', '/console/signup', {
        username: 'isv-dev',
        password: 'developer password',
      });
      assert.equal(res.status, 303);
      assert.equal(res.location, '/console');
      const taken = await submit(new FormClient(s.url), '/console/signup?lang=en', '/console/signup', {
        username: 'isv-dev',
        password: 'developer password',
      });
      assert.equal(taken.status, 409);
      assert.match(taken.html, /This username is already taken\./);
      // A seller's password does not open the console.
      const asSeller = await submit(new FormClient(s.url), '/console/login?lang=en', '/console/login', {
        username: s.seller.username,
        password: s.seller.password,
      });
      assert.equal(asSeller.status, 401);
    });

    it('creates an app in testing and shows the AppSecret once', async () => {
      const bad = await submit(dev, '/console/apps/new', '/console/apps', {
        name: 'Shop Helper',
        callback_urls: 'https://isv.example.com/cb#frag',
        scope: 'seller',
      });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /may not contain a fragment/);
      const res = await submit(dev, '/console/apps/new?lang=en', '/console/apps', {
        name: 'Shop Helper',
        description: 'Syncs orders',
        logo_url: 'https://isv.example.com/logo.png',
        callback_urls: `${callback}\nhttps://isv.example.com/cb2`,
        webhook_url: 'https://isv.example.com/hook',
        scope: 'seller',
      });
      assert.equal(res.status, 201, res.html.slice(0, 500));
      appKey = readonlyValue(res.html, 'app_key_once') ?? '';
      secret = readonlyValue(res.html, 'app_secret_once') ?? '';
      authorizeUrl = readonlyValue(res.html, 'authorize_url') ?? '';
      assert.match(appKey, /^\d{8}$/);
      assert.match(secret, /^[0-9a-f]{32}$/);
      assert.equal(
        authorizeUrl,
        `${s.url}/oauth/authorize?response_type=code&client_id=${appKey}&redirect_uri=${encodeURIComponent(callback)}&state=YOUR_RANDOM_STATE`,
      );
      assert.match(res.html, /<span class="badge testing">Testing<\/span>/);
      const again = await page(dev, `/console/apps/${appKey}`);
      assert.equal(again.status, 200);
      assert.ok(!again.html.includes(secret), 'the secret is never shown again');
      assert.equal(await clientCredentialsWork(secret), true);
    });

    it("lets only the developer's sandbox sellers authorize a testing app", async () => {
      const url = new URL(authorizeUrl);
      url.searchParams.set('state', 'xyz');
      const c = new FormClient(s.url);
      await assert.rejects(
        authorizeThroughForms(s.url, `${url.pathname}${url.search}`, {
          username: s.seller.username,
          password: s.seller.password,
          client: c,
        }),
        /consent answered 403/,
      );
      const consent = await page(c, `${url.pathname}${url.search}`);
      const shown = await page(c, consent.location ?? '', { 'accept-language': 'en' });
      assert.match(
        shown.html,
        /This app is still in testing: only its developer&#39;s sandbox sellers can authorize it\./,
      );

      const made = await submit(dev, '/console', '/console/sandbox-sellers', {});
      assert.equal(made.status, 201);
      const username = readonlyValue(made.html, 'sb-user')!;
      const password = readonlyValue(made.html, 'sb-pass')!;
      assert.match(username, /^sbx-\d+-[0-9a-f]{6}$/);
      const res = await exchange(undefined, username, password, secret);
      assert.equal(res.status, 200, res.text);
    });

    it('rotates the secret: both work inside the overlap window, only the new one after it', async () => {
      const res = await submit(dev, `/console/apps/${appKey}`, `/console/apps/${appKey}/rotate`, {
        overlap_hours: '24',
      });
      assert.equal(res.status, 200, res.html.slice(0, 300));
      const fresh = readonlyValue(res.html, 'app_secret_once')!;
      assert.match(fresh, /^[0-9a-f]{32}$/);
      assert.notEqual(fresh, secret);
      assert.equal(await clientCredentialsWork(fresh), true, 'new secret');
      assert.equal(await clientCredentialsWork(secret), true, 'old secret inside the window');
      s.advance(24 * 3600_000 + 1000);
      assert.equal(await clientCredentialsWork(secret), false, 'old secret after the window');
      assert.equal(await clientCredentialsWork(fresh), true);
      secret = fresh;
      await signIn(dev, 'console', 'isv-dev', 'developer password'); // the console session expired meanwhile
    });

    it('revokes the old secret at once (overlap 0, or "revoke previous now")', async () => {
      const r1 = await submit(dev, `/console/apps/${appKey}`, `/console/apps/${appKey}/rotate`, { overlap_hours: '0' });
      const s1 = readonlyValue(r1.html, 'app_secret_once')!;
      assert.equal(await clientCredentialsWork(secret), false);
      assert.equal(await clientCredentialsWork(s1), true);
      const r2 = await submit(dev, `/console/apps/${appKey}`, `/console/apps/${appKey}/rotate`, {
        overlap_hours: '48',
      });
      const s2 = readonlyValue(r2.html, 'app_secret_once')!;
      assert.equal(await clientCredentialsWork(s1), true);
      const ended = await submit(dev, `/console/apps/${appKey}`, `/console/apps/${appKey}/end-previous`, {});
      assert.equal(ended.status, 303);
      assert.equal(await clientCredentialsWork(s1), false);
      assert.equal(await clientCredentialsWork(s2), true);
      const bad = await submit(dev, `/console/apps/${appKey}?lang=en`, `/console/apps/${appKey}/rotate`, {
        overlap_hours: '9999',
      });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /The overlap window must be a whole number of hours from 0 to 168\./);
      assert.equal(await clientCredentialsWork(s2), true, 'a refused rotation changes nothing');
    });

    it("submits the app for review and hides other developers' apps", async () => {
      const res = await submit(dev, `/console/apps/${appKey}`, `/console/apps/${appKey}/submit`, {});
      assert.equal(res.status, 303);
      assert.equal((await s.core.storage.apps.find(appKey))?.status, 'submitted');
      const other = new FormClient(s.url);
      await submit(other, '/console/signup', '/console/signup', { username: 'other-dev', password: 'other password' });
      const peek = await page(other, `/console/apps/${appKey}?lang=en`, { accept: 'text/html' });
      assert.equal(peek.status, 404);
      assert.match(peek.html, /No such app in your account\./);
    });
  });
}
