// Issue 14 / docs/adr/0176: logging out at the platform's IdP ends the Shouquan seller session (OpenID Connect
// Back-Channel Logout 1.0), and signing out of Shouquan signs out at the IdP (RP-Initiated Logout 1.0). The IdP is
// a real node-oidc-provider (test/helpers/oidc-idp.ts) with back-channel logout on and `sid` required.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FormClient } from './helpers/browserless.js';
import { page, csrfOf } from './helpers/console.js';
import { TestIdp } from './helpers/oidc-idp.js';
import { operationsZh, translateOperation } from '../src/server/openapi/docs-zh.js';
import type { HttpContext } from '../src/server/http-context.js';
import {
  SELLER_OIDC_BACKCHANNEL_LOGOUT_PATH,
  SELLER_OIDC_CALLBACK_PATH,
  SELLER_OIDC_POST_LOGOUT_PATH,
} from '../src/sellers/seller-oidc.js';

describe("seller logout with the platform's OpenID Connect IdP", () => {
  let s: TestServer;
  let idp: TestIdp;

  before(async () => {
    idp = await new TestIdp().start();
    idp.accounts.set('P-42', { nickname: '小王的店', stores: [{ store_id: 'W-1', name: 'Wang Flagship' }] });
    s = await startTestServer({
      server: { sellerOidc: { issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret } },
    });
    idp.configure(`${s.url}${SELLER_OIDC_CALLBACK_PATH}`, {
      backchannelLogoutUri: `${s.url}${SELLER_OIDC_BACKCHANNEL_LOGOUT_PATH}`,
      postLogoutRedirectUri: `${s.url}${SELLER_OIDC_POST_LOGOUT_PATH}`,
    });
  });
  after(async () => {
    await s?.close();
    await idp?.stop();
  });

  /** A browser signing in to the seller center at the IdP: Shouquan's side and the IdP's side (own cookies). */
  async function signedIn(login = 'P-42') {
    const shouquan = new FormClient(s.url);
    const atIdp = new FormClient(idp.issuer);
    const start = await page(shouquan, '/account/login?lang=en');
    const res = await shouquan.post('/account/login/oidc', { csrf_token: csrfOf(start.html) });
    const cb = await shouquan.get(await idp.signIn(res.headers.get('location')!, login, { browser: atIdp }));
    assert.equal(cb.headers.get('location'), '/account');
    assert.equal((await page(shouquan, '/account?lang=en')).status, 200);
    return { shouquan, atIdp };
  }
  const signedOut = async (b: FormClient) => (await page(b, '/account?lang=en')).location === '/account/login';
  const postLogout = (form: Record<string, string>) =>
    fetch(`${s.url}${SELLER_OIDC_BACKCHANNEL_LOGOUT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });

  it("signing out at the IdP ends that browser's Shouquan session (back-channel, by sid); another IdP session stays", async () => {
    const one = await signedIn();
    const two = await signedIn();
    const before = idp.backchannel.length;
    await idp.signOut(one.atIdp);
    assert.deepEqual(idp.backchannel.slice(before), ['success'], 'the IdP got 200 from Shouquan');
    assert.equal(await signedOut(one.shouquan), true);
    assert.equal(await signedOut(two.shouquan), false, 'the other IdP session (another sid) is still signed in');
  });

  it('documents the IdP routes in /openapi.json and on the Chinese /docs', async () => {
    assert.deepEqual(s.server.apiReference().undocumented, []);
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Parameters<typeof translateOperation>[2]>>;
    };
    assert.ok(doc.paths[SELLER_OIDC_BACKCHANNEL_LOGOUT_PATH]?.post);
    const zh = operationsZh(s as unknown as HttpContext);
    const missing = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([m, op]) => translateOperation(zh, `${m.toUpperCase()} ${path}`, op).missing),
    );
    assert.deepEqual(missing, []);
  });

  it('a logout token with sub only ends every session of that seller', async () => {
    const one = await signedIn();
    const two = await signedIn();
    const res = await postLogout({ logout_token: await idp.logoutToken({ sub: 'P-42' }) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(await signedOut(one.shouquan), true);
    assert.equal(await signedOut(two.shouquan), true);
  });

  it('refuses a logout token that is forged, for someone else, stale, not a logout, with a nonce, or replayed (400)', async () => {
    const one = await signedIn();
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const otherKey = { ...(await exportJWK(privateKey)), kid: idp.signingKey!.kid };
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, Promise<string>, RegExp]> = [
      ['another key', idp.logoutToken({ sub: 'P-42' }, otherKey), /does not verify .*signature/],
      ['another audience', idp.logoutToken({ sub: 'P-42', aud: 'someone-else' }), /does not verify .*aud/],
      ['another issuer', idp.logoutToken({ sub: 'P-42', iss: 'https://idp.example' }), /does not verify .*iss/],
      ['issued an hour ago', idp.logoutToken({ sub: 'P-42', iat: now - 3600, exp: now + 60 }), /does not verify/],
      [
        'no events',
        idp.logoutToken({ sub: 'P-42', events: undefined }),
        /no http:\/\/schemas\.openid\.net\/event\/backchannel-logout event/,
      ],
      ['an ID token', idp.logoutToken({ sub: 'P-42', events: undefined, nonce: 'n' }), /no http:\/\/schemas/],
      ['a nonce', idp.logoutToken({ sub: 'P-42', nonce: 'n' }), /has a nonce/],
      ['no jti', idp.logoutToken({ sub: 'P-42', jti: undefined }), /no jti/],
      ['neither sub nor sid', idp.logoutToken({}), /neither sub nor sid/],
    ];
    for (const [what, token, reason] of cases) {
      const res = await postLogout({ logout_token: await token });
      assert.equal(res.status, 400, what);
      const body = (await res.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_request', what);
      assert.match(body.error_description, reason, what);
    }
    assert.equal((await postLogout({})).status, 400, 'no logout_token');
    assert.equal(await signedOut(one.shouquan), false, 'no refused token ended the session');

    const token = await idp.logoutToken({ sub: 'P-nobody' });
    assert.equal(
      (await postLogout({ logout_token: token })).status,
      200,
      'a sub without sessions: done, nothing ended',
    );
    const replay = await postLogout({ logout_token: token });
    assert.equal(replay.status, 400);
    assert.match(((await replay.json()) as { error_description: string }).error_description, /used before/);
  });

  it("signing out of Shouquan sends the seller to the IdP's end_session_endpoint with id_token_hint and back", async () => {
    const one = await signedIn();
    const home = await page(one.shouquan, '/account?lang=en');
    const res = await one.shouquan.post('/account/logout', { csrf_token: csrfOf(home.html) });
    assert.equal(res.status, 303);
    const to = new URL(res.headers.get('location')!);
    assert.equal(`${to.origin}${to.pathname}`, `${idp.issuer}/session/end`);
    assert.equal(to.searchParams.get('client_id'), idp.clientId);
    assert.equal(to.searchParams.get('post_logout_redirect_uri'), `${s.url}/account/login`);
    assert.match(to.searchParams.get('id_token_hint') ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(await signedOut(one.shouquan), true, 'the Shouquan session ended at once');
    // The IdP accepts the hint and the registered redirect, and ends its own session.
    const back = await idp.signOut(one.atIdp, to.href);
    assert.equal(back, `${s.url}/account/login`);
    const again = await one.atIdp.get(
      `${idp.issuer}/auth?client_id=${idp.clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`${s.url}${SELLER_OIDC_CALLBACK_PATH}`)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
    );
    assert.match(again.headers.get('location') ?? '', /\/interaction\//, 'the IdP asks the seller to sign in again');
  });
});

// Back-Channel Logout 1.0 §2.8: a 400 tells the IdP the token is bad (it does not retry); when the IdP's own key
// set cannot be read (an error answer, not JSON) the logout was not decided: 503, like an unreachable jwks_uri.
describe("a back-channel logout while the IdP's key set answers an error", () => {
  let s: TestServer;
  let idp: Server;
  before(async () => {
    idp = createServer((req, res) => {
      const base = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
      if (req.url === '/.well-known/openid-configuration')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer: base,
            authorization_endpoint: `${base}/auth`,
            token_endpoint: `${base}/token`,
            jwks_uri: `${base}/jwks`,
          }),
        );
      if (req.url === '/jwks') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
      res.writeHead(404).end();
    });
    await new Promise<void>((done) => idp.listen(0, '127.0.0.1', done));
    const issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    s = await startTestServer({
      server: { sellerOidc: { issuer, clientId: 'shouquan', clientSecret: 'x'.repeat(32) } },
    });
  });
  after(async () => {
    await s?.close();
    await new Promise((done) => idp?.close(done));
  });

  it('is 503 temporarily_unavailable with Retry-After, not a 400 refusal', async () => {
    const token = `${Buffer.from('{"alg":"RS256","kid":"k1"}').toString('base64url')}.${Buffer.from('{"sub":"P-42"}').toString('base64url')}.c2ln`;
    const res = await fetch(`${s.url}${SELLER_OIDC_BACKCHANNEL_LOGOUT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
    });
    const body = (await res.json()) as { error: string; error_description: string };
    assert.deepEqual([res.status, body.error], [503, 'temporarily_unavailable']);
    assert.equal(res.headers.get('retry-after'), '10');
    assert.match(body.error_description, /the IdP's keys could not be fetched/);
  });
});
