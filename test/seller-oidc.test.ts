// Issue 14 §1: seller login through the platform's OpenID Connect IdP (docs/adr/0160). The IdP is a
// real node-oidc-provider started here on a random port (test/helpers/oidc-idp.ts) with a `stores` claim.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FormClient, formAction, hiddenInput, postForm } from './helpers/browserless.js';
import { page, csrfOf } from './helpers/console.js';
import { TestIdp } from './helpers/oidc-idp.js';
import { createSeller } from '../src/admin.js';
import { createWebAccount } from '../src/console/accounts.js';
import { SELLER_OIDC_CALLBACK_PATH } from '../src/sellers/seller-oidc.js';

for (const storesIn of ['userinfo', 'id_token'] as const) {
  describe(`seller login at the platform's OpenID Connect IdP (stores claim in ${storesIn})`, () => {
    let s: TestServer;
    let idp: TestIdp;

    before(async () => {
      idp = await new TestIdp('shouquan', 'idp-client-secret-for-tests', storesIn).start();
      idp.accounts.set('P-42', {
        nickname: '小王的店',
        stores: [
          { store_id: 'W-1', name: 'Wang Flagship' },
          { store_id: 'W-2', name: 'Wang Outlet' },
        ],
      });
      idp.accounts.set('P-43', { nickname: 'No Stores' });
      s = await startTestServer({
        server: {
          sellerOidc: { issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret },
          limits: {
            sellerLoginPerUser: { max: 2, windowMs: 60_000, blockMs: 60_000 },
            sellerLoginPerIp: { max: 2, windowMs: 60_000, blockMs: 60_000 },
          },
        },
      });
      idp.configure(`${s.url}${SELLER_OIDC_CALLBACK_PATH}`);
    });
    after(async () => {
      await s?.close();
      await idp?.stop();
    });

    const authorizeUrl = () =>
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'st', lang: 'en' })}`;

    /** Open the authorize page, press "Sign in with your platform account"; returns the redirect to the IdP. */
    async function toIdp(client = new FormClient(s.url)) {
      let res = await client.get(authorizeUrl());
      await res.arrayBuffer();
      const interaction = res.headers.get('location')!;
      res = await client.get(interaction);
      const html = await res.text();
      const oidcAction = /<form method="post" action="([^"]*\/oidc(?:\?lang=[^"]*)?)"/.exec(html)?.[1];
      assert.ok(oidcAction, 'the login page offers the platform sign-in');
      res = await client.post(oidcAction, { csrf_token: hiddenInput(html, 'csrf_token')! });
      return { res, client, interaction, html };
    }

    it("the login page sends the seller to the IdP with code + PKCE (S256), state, nonce and Shouquan's callback", async () => {
      const { res, html } = await toIdp();
      assert.match(html, /Sign in with your platform account/);
      assert.match(
        html,
        /<details class="sandbox-login"><summary>Sandbox seller of a developer \(testing apps\)<\/summary>/,
      );
      assert.equal(res.status, 303);
      const to = new URL(res.headers.get('location')!);
      assert.equal(to.origin, idp.issuer);
      assert.equal(to.searchParams.get('response_type'), 'code');
      assert.equal(to.searchParams.get('client_id'), 'shouquan');
      assert.equal(to.searchParams.get('redirect_uri'), `${s.url}${SELLER_OIDC_CALLBACK_PATH}`);
      assert.equal(to.searchParams.get('code_challenge_method'), 'S256');
      assert.match(to.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.ok(to.searchParams.get('state'));
      assert.ok(to.searchParams.get('nonce'));
      assert.equal(to.searchParams.get('scope'), 'openid profile stores');
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sq_oidc='));
      assert.ok(cookie, 'the flow rides in a cookie');
      assert.match(cookie, /Path=\/oauth\/seller-oidc\/callback/);
      assert.match(cookie, /HttpOnly/);
      assert.doesNotMatch(cookie, new RegExp(to.searchParams.get('state')!), 'the flow cookie is sealed, not readable');
    });

    it("signs the seller in by sub, creates the seller and the stores just in time, and the authorize request resumes with the claim's stores", async () => {
      const { res, client, interaction } = await toIdp();
      const back = await idp.signIn(res.headers.get('location')!, 'P-42');
      assert.ok(back.startsWith(`${s.url}${SELLER_OIDC_CALLBACK_PATH}?`), back);
      const cb = await client.get(back);
      assert.equal(cb.status, 303, await cb.text());
      assert.equal(cb.headers.get('location'), interaction);
      const consent = await (await client.get(interaction)).text();
      assert.match(consent, /小王的店/);
      const offered = [...consent.matchAll(/name="store_id" value="(\d+)"[^>]*><span>([^<]*)<\/span>/g)].map((m) => [
        m[1]!,
        m[2]!,
      ]);
      assert.deepEqual(
        offered.map((o) => o[1]),
        ['Wang Flagship', 'Wang Outlet'],
      );
      const outlet = offered.find((o) => o[1] === 'Wang Outlet')![0]!;
      const approved = await client.post(formAction(consent)!, {
        csrf_token: hiddenInput(consent, 'csrf_token')!,
        decision: 'approve',
        store_id: outlet!,
      });
      assert.equal(approved.status, 303);
      const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
      const tokens = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(tokens.status, 200, tokens.text);
      const store = await fetch(`${s.url}/api/v1/store`, {
        headers: { authorization: `Bearer ${tokens.json.access_token}` },
      });
      assert.deepEqual(await store.json(), { store_id: 'W-2', name: 'Wang Outlet' });
      const seller = await s.core.storage.sellers.findByUsername('oidc:P-42');
      assert.equal(seller?.source, 'oidc');
      assert.equal(seller?.externalId, 'P-42');
    });

    it('a second sign-in updates the stores from the claim (renamed, added, dropped) and keeps one seller', async () => {
      idp.accounts.set('P-42', {
        nickname: '小王的店',
        stores: [
          { store_id: 'W-2', name: 'Wang Outlet (new name)' },
          { store_id: 'W-3', name: 'Wang Third' },
        ],
      });
      const { res, client, interaction } = await toIdp();
      const cb = await client.get(await idp.signIn(res.headers.get('location')!, 'P-42'));
      assert.equal(cb.status, 303);
      const consent = await (await client.get(interaction)).text();
      const offered = [...consent.matchAll(/name="store_id" value="\d+"[^>]*><span>([^<]*)</g)].map((m) =>
        m[1]!.trim(),
      );
      assert.deepEqual(offered.sort(), ['Wang Outlet (new name)', 'Wang Third']);
      const seller = await s.core.storage.sellers.findByUsername('oidc:P-42');
      assert.deepEqual((await s.core.storage.sellers.stores(seller!.sellerId)).map((x) => x.externalId).sort(), [
        'W-2',
        'W-3',
      ]);
    });

    it('a seller with no stores claim signs in and is told there is no store to authorize', async () => {
      const { res, client, interaction } = await toIdp();
      assert.equal((await client.get(await idp.signIn(res.headers.get('location')!, 'P-43'))).status, 303);
      const consent = await (await client.get(interaction)).text();
      assert.match(consent, /Your account has no store to authorize\./);
    });

    it('denied at the IdP: a clear page with a way back, no session, no lockout counted', async () => {
      for (let i = 0; i < 3; i++) {
        const { res, client, interaction } = await toIdp();
        const back = await idp.signIn(res.headers.get('location')!, 'P-42', { abort: true });
        assert.match(back, /error=access_denied/);
        const cb = await client.get(back);
        const html = await cb.text();
        assert.equal(cb.status, 400);
        assert.match(html, /Sign-in with your platform account was cancelled or refused\. You can try again\./);
        assert.ok(
          html.includes(`<a class="button primary" href="${interaction}">Try again</a>`),
          'a way back to the authorize request',
        );
        assert.equal(client.cookies.has('sq_session'), false);
      }
      // Three refusals with a budget of two per IP: still no lockout.
      const { res, client, interaction } = await toIdp();
      assert.equal((await client.get(await idp.signIn(res.headers.get('location')!, 'P-42'))).status, 303);
      assert.equal((await client.get(interaction)).status, 200);
    });

    it('a callback without the flow cookie, with a wrong state, or replayed is refused with "start again"', async () => {
      const { res, client } = await toIdp();
      const back = await idp.signIn(res.headers.get('location')!, 'P-42');
      const stranger = await new FormClient(s.url).get(back);
      assert.equal(stranger.status, 400);
      assert.match(
        await stranger.text(),
        /This sign-in took too long or was started in another browser\. Start again\./,
      );
      const tampered = new URL(back);
      tampered.searchParams.set('state', 'not-the-state');
      const wrong = await client.get(tampered.href);
      assert.equal(wrong.status, 400);
      // The flow cookie is spent by the first callback: the real one now fails too.
      assert.equal((await client.get(back)).status, 400);
    });

    it('the seller center signs in through the IdP too', async () => {
      const c = new FormClient(s.url);
      const login = await page(c, '/account/login?lang=en');
      assert.match(login.html, /Sign in with your platform account/);
      const res = await c.post('/account/login/oidc', { csrf_token: csrfOf(login.html) });
      assert.equal(res.status, 303);
      const cb = await c.get(await idp.signIn(res.headers.get('location')!, 'P-42'));
      assert.equal(cb.headers.get('location'), '/account');
      const home = await page(c, '/account?lang=en');
      assert.equal(home.status, 200);
      assert.match(home.html, /小王的店/);
    });

    it("the password form signs in a developer's sandbox seller only; a built-in seller is refused", async () => {
      const client = new FormClient(s.url);
      const loginWith = async (username: string, password: string) => {
        let res = await client.get(authorizeUrl());
        await res.arrayBuffer();
        res = await client.get(res.headers.get('location')!);
        const html = await res.text();
        const action = /<form method="post" action="([^"]*\/login)"/.exec(html)![1]!;
        return client.post(action, { csrf_token: hiddenInput(html, 'csrf_token')!, username, password });
      };
      assert.equal((await loginWith(s.seller.username, s.seller.password)).status, 401);
      const dev = await createWebAccount(s.core.storage, {
        realm: 'developer',
        username: `dev-${storesIn}`,
        password: 'dev-password-1',
      });
      const sbx = await createSeller(s.core.storage, {
        username: `sbx-${storesIn}`,
        password: 'sandbox-pw-123',
        stores: ['Sandbox A'],
      });
      await s.core.storage.console.addSandboxSeller(sbx.sellerId, dev.accountId);
      assert.equal((await loginWith(`sbx-${storesIn}`, 'sandbox-pw-123')).status, 303);
    });
  });
}

describe('seller login when the IdP is down', () => {
  let s: TestServer;
  let deadIssuer: string;
  before(async () => {
    // A port that was free a moment ago: nothing answers there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    deadIssuer = `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
    await new Promise<void>((r) => probe.close(() => r()));
    s = await startTestServer({
      server: { sellerOidc: { issuer: deadIssuer, clientId: 'shouquan', clientSecret: 'x' } },
    });
  });
  after(async () => s?.close());

  for (const lang of ['en', 'zh-CN'] as const) {
    it(`a 503 "sign-in is unavailable" login page (${lang}), retry-after, and a metric`, async () => {
      const client = new FormClient(s.url);
      let res = await client.get(
        `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, lang })}`,
      );
      await res.arrayBuffer();
      res = await client.get(res.headers.get('location')!);
      const html = await res.text();
      const action = /<form method="post" action="([^"]*\/oidc(?:\?lang=[^"]*)?)"/.exec(html)![1]!;
      res = await client.post(action, { csrf_token: hiddenInput(html, 'csrf_token')! }, { 'accept-language': lang });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '10');
      assert.match(
        await res.text(),
        lang === 'en' ? /Sign-in is unavailable right now\. Try again shortly\./ : /登录服务暂时不可用，请稍后再试。/,
      );
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      assert.match(
        metrics,
        new RegExp(`^shouquan_seller_oidc_logins_total\\{outcome="unavailable"\\} ${lang === 'en' ? 1 : 2}$`, 'm'),
      );
    });
  }
});
