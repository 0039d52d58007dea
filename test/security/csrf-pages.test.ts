// CSRF on the seller's forms and page safety (RFC 6749 §10.12, §10.13; RFC 9700 §4.7, §4.16).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { FormClient, formAction, hiddenInput } from '../helpers/browserless.js';
import { anotherApp, authorizeUrl, eachDialect } from '../helpers/oauth.js';
import type { TestServer } from '../helpers/server.js';

/** Start an interaction in a fresh browser; return the client and the login page. */
async function startInteraction(s: TestServer, client = s.client) {
  const c = new FormClient(s.url);
  const start = await c.get(authorizeUrl(s, {}, client));
  assert.equal(start.status, 303);
  const path = start.headers.get('location')!;
  const page = await (await c.get(path)).text();
  return { c, path, page, csrf: hiddenInput(page, 'csrf_token')!, action: formAction(page)! };
}

/** Start an interaction and log in; return the consent page. */
async function atConsent(s: TestServer, client = s.client) {
  const i = await startInteraction(s, client);
  const login = await i.c.post(i.action, {
    csrf_token: i.csrf,
    username: s.seller.username,
    password: s.seller.password,
  });
  assert.equal(login.status, 303);
  const page = await (await i.c.get(i.path)).text();
  return { c: i.c, path: i.path, page, csrf: hiddenInput(page, 'csrf_token')!, action: formAction(page)! };
}

const approve = (csrf: string | undefined, s: TestServer) => ({
  ...(csrf !== undefined && { csrf_token: csrf }),
  store_id: String(s.seller.stores[0]!.storeId),
  decision: 'approve',
});

await eachDialect('security: CSRF and page safety', {}, (server) => {
  it('login without a CSRF token → 403, no session', async () => {
    const s = server();
    const i = await startInteraction(s);
    const res = await i.c.post(i.action, { username: s.seller.username, password: s.seller.password });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /This form is out of date or did not come from this site/);
    assert.equal(
      [...i.c.cookies.keys()].some((k) => k.includes('sq_session')),
      false,
    );
  });

  it("login with another interaction's CSRF token → 403", async () => {
    const s = server();
    const a = await startInteraction(s);
    const b = await startInteraction(s);
    const res = await b.c.post(b.action, {
      csrf_token: a.csrf,
      username: s.seller.username,
      password: s.seller.password,
    });
    assert.equal(res.status, 403);
    await res.arrayBuffer();
    assert.equal(
      [...b.c.cookies.keys()].some((k) => k.includes('sq_session')),
      false,
    );
  });

  it('login from another browser (no interaction cookie) with a valid token → 403', async () => {
    const s = server();
    const a = await startInteraction(s);
    const attacker = new FormClient(s.url);
    const res = await attacker.post(a.action, {
      csrf_token: a.csrf,
      username: s.seller.username,
      password: s.seller.password,
    });
    assert.equal(res.status, 403);
    await res.arrayBuffer();
  });

  it('consent without a CSRF token → 403 and no grant', async () => {
    const s = server();
    const app = await anotherApp(s);
    const i = await atConsent(s, app);
    const res = await i.c.post(i.action, approve(undefined, s));
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('location'), null);
    await res.arrayBuffer();
    assert.equal(await s.core.storage.grants.findLive(app.appKey, s.seller.sellerId), undefined);
  });

  it("consent with another interaction's CSRF token → 403 and no grant (bound to its interaction)", async () => {
    const s = server();
    const app = await anotherApp(s);
    const a = await atConsent(s, app);
    const b = await atConsent(s, app);
    const res = await b.c.post(b.action, approve(a.csrf, s));
    assert.equal(res.status, 403);
    await res.arrayBuffer();
    // Posting a's form to b's interaction with a's cookies does not work either (cookie is path-bound).
    const res2 = await a.c.post(b.action, approve(a.csrf, s));
    assert.equal(res2.status, 403);
    await res2.arrayBuffer();
    assert.equal(await s.core.storage.grants.findLive(app.appKey, s.seller.sellerId), undefined);
  });

  it('a replayed consent POST → 403 and no second code (consent is single-use)', async () => {
    const s = server();
    const i = await atConsent(s);
    // An attacker holding the old form and the browser's cookies replays the POST.
    const again = new FormClient(s.url);
    for (const [k, v] of i.c.cookies) again.cookies.set(k, v);
    const first = await i.c.post(i.action, approve(i.csrf, s));
    assert.equal(first.status, 303);
    const replay = await again.post(i.action, approve(i.csrf, s));
    assert.equal(replay.status, 403);
    assert.equal(replay.headers.get('location'), null);
    assert.match(await replay.text(), /expired or was already used/);
  });

  it('pages forbid framing and referrers and load nothing from third parties', async () => {
    const s = server();
    const i = await startInteraction(s);
    const pages = [
      await i.c.get(i.path),
      await fetch(`${s.url}/oauth/authorize?client_id=nope`),
      await fetch(`${s.url}/oauth/interaction/does-not-exist`),
    ];
    const c = await atConsent(s);
    pages.push(await c.c.get(c.path));
    for (const res of pages) {
      const body = await res.text();
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.doesNotMatch(
        body,
        /(src|href|action)\s*=\s*"(https?:)?\/\//i,
        'no absolute or protocol-relative resource URLs',
      );
      assert.doesNotMatch(body, /<script/i);
    }
  });

  it('cookies are HttpOnly and SameSite=Lax (no Secure over plain http)', async () => {
    const s = server();
    const c = new FormClient(s.url);
    const res = await c.get(authorizeUrl(s));
    const set = res.headers.getSetCookie();
    assert.equal(set.length, 1);
    assert.match(set[0]!, /^sq_ia=/);
    assert.match(set[0]!, /; HttpOnly/);
    assert.match(set[0]!, /; SameSite=Lax/);
    assert.doesNotMatch(set[0]!, /; Secure/);
  });
});

await eachDialect('security: cookies over https', { server: { cookieSecure: true } }, (server) => {
  it('cookies are HttpOnly; Secure; SameSite=Lax with __Host-/__Secure- names', async () => {
    const s = server();
    const c = new FormClient(s.url);
    const start = await c.get(authorizeUrl(s));
    const ia = start.headers.getSetCookie()[0]!;
    assert.match(ia, /^__Secure-sq_ia=.*; HttpOnly; Secure; SameSite=Lax/);
    const page = await (await c.get(start.headers.get('location')!)).text();
    const login = await c.post(formAction(page)!, {
      csrf_token: hiddenInput(page, 'csrf_token')!,
      username: s.seller.username,
      password: s.seller.password,
    });
    assert.equal(login.status, 303);
    const session = login.headers.getSetCookie().find((x) => x.startsWith('__Host-sq_session='))!;
    assert.ok(session, 'session cookie set');
    assert.match(session, /; Path=\/; HttpOnly; Secure; SameSite=Lax/);
    assert.doesNotMatch(session, /Domain=/i);
  });

  // RFC 6265bis §5.6 (steps 20–21): a Set-Cookie for a __Host-/__Secure- name without Secure is ignored, so a
  // clearing header without it leaves the cookie in the browser (a failed sign-in kept the session signed in).
  it('cookies are cleared with Secure: a failed sign-in, the consent and the sign-out clear __Host-/__Secure- cookies', async () => {
    const s = server();
    const prefixed = (res: Response) =>
      res.headers
        .getSetCookie()
        .filter((x) => /^__(Host|Secure)-[^=]+=;/.test(x) || /^__(Host|Secure)-[^=]+=""/.test(x));
    const c = new FormClient(s.url);
    const start = await c.get(authorizeUrl(s));
    const path = start.headers.get('location')!;
    let page = await (await c.get(path)).text();
    const signIn = (password: string) =>
      c.post(formAction(page)!, {
        csrf_token: hiddenInput(page, 'csrf_token')!,
        username: s.seller.username,
        password,
      });
    assert.equal((await signIn(s.seller.password)).status, 303);
    const failed = await signIn('not the password');
    assert.equal(failed.status, 401);
    const clearedOnFailure = prefixed(failed);
    assert.equal(clearedOnFailure.length, 1, 'the failed sign-in clears the session cookie');
    assert.match(clearedOnFailure[0]!, /^__Host-sq_session=; .*Path=\/; .*Secure/);
    assert.equal((await signIn(s.seller.password)).status, 303);
    page = await (await c.get(path)).text();
    const consent = await c.post(formAction(page)!, {
      csrf_token: hiddenInput(page, 'csrf_token')!,
      store_id: String(s.seller.stores[0]!.storeId),
      decision: 'approve',
    });
    assert.equal(consent.status, 303);
    const clearedOnConsent = prefixed(consent);
    assert.equal(clearedOnConsent.length, 1, 'the consent clears the interaction cookie');
    assert.match(clearedOnConsent[0]!, /^__Secure-sq_ia=; .*Secure/);
    const home = await (await c.get('/account')).text();
    const out = await c.post('/account/logout', { csrf_token: hiddenInput(home, 'csrf_token')! });
    assert.equal(out.status, 303);
    const clearedOnSignOut = prefixed(out);
    assert.equal(clearedOnSignOut.length, 1, 'the sign-out clears the session cookie');
    assert.match(clearedOnSignOut[0]!, /^__Host-sq_session=; .*Path=\/; .*Secure/);
  });
});
