import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { testDialects } from './helpers/databases.js';
import { authorizeThroughForms, FormClient, formAction, hiddenInput } from './helpers/browserless.js';

const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`authorization endpoint (standard profile, ${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
    });
    after(async () => s?.close());

    const url = (params: Record<string, string>) => `${s.url}/oauth/authorize?${new URLSearchParams(params)}`;
    const base = () => ({
      response_type: 'code',
      client_id: s.client.appKey,
      redirect_uri: s.client.callback,
      state: 'xyz',
    });

    it('shows an error page, never a redirect, for an unknown client', async () => {
      const res = await fetch(url({ ...base(), client_id: 'nope' }), { redirect: 'manual' });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      const body = await res.text();
      assert.match(body, /unknown client_id/);
      assert.match(body, new RegExp(res.headers.get('x-request-id') ?? 'missing'));
    });

    it('shows an error page for a redirect_uri that does not match exactly', async () => {
      for (const bad of [
        `${s.client.callback}/x`,
        `${s.client.callback}?a=1`,
        s.client.callback.toUpperCase(),
        'https://evil.example/callback',
      ]) {
        const res = await fetch(url({ ...base(), redirect_uri: bad }), { redirect: 'manual' });
        assert.equal(res.status, 400, bad);
        assert.equal(res.headers.get('location'), null);
        assert.match(await res.text(), /redirect_uri does not match/);
      }
    });

    it('shows an error page for a missing client_id and for a repeated client_id', async () => {
      const res = await fetch(url({ response_type: 'code', redirect_uri: s.client.callback }), { redirect: 'manual' });
      assert.equal(res.status, 400);
      const dup = await fetch(`${url(base())}&client_id=${s.client.appKey}`, { redirect: 'manual' });
      assert.equal(dup.status, 400);
      assert.equal(dup.headers.get('location'), null);
    });

    it('redirects other errors to the callback with error, error_description, state and iss', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ response_type: 'token' }, 'unsupported_response_type'],
        [{ response_type: 'id_token' }, 'unsupported_response_type'],
        [{ scope: 'admin' }, 'invalid_scope'],
        [{ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
        [{ code_challenge: 'a'.repeat(43) }, 'invalid_request'],
        [{ code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
      ];
      for (const [extra, error] of cases) {
        const res = await fetch(url({ ...base(), ...extra }), { redirect: 'manual' });
        assert.equal(res.status, 303, JSON.stringify(extra));
        const loc = new URL(res.headers.get('location') ?? '');
        assert.equal(`${loc.origin}${loc.pathname}`, s.client.callback);
        assert.equal(loc.searchParams.get('error'), error, JSON.stringify(extra));
        assert.ok(loc.searchParams.get('error_description'));
        assert.equal(loc.searchParams.get('state'), 'xyz');
        assert.equal(loc.searchParams.get('iss'), s.url);
      }
      const missingType = await fetch(
        url({ client_id: s.client.appKey, redirect_uri: s.client.callback, state: 's' }),
        { redirect: 'manual' },
      );
      assert.equal(new URL(missingType.headers.get('location') ?? '').searchParams.get('error'), 'invalid_request');
      const dupState = await fetch(`${url(base())}&state=again`, { redirect: 'manual' });
      assert.equal(new URL(dupState.headers.get('location') ?? '').searchParams.get('error'), 'invalid_request');
    });

    it('serves a login form with username, password and a CSRF token, framed by no one', async () => {
      const client = new FormClient(s.url);
      const start = await client.get(url(base()));
      assert.equal(start.status, 303);
      const setCookie = start.headers.getSetCookie().join('\n');
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /SameSite=Lax/i);
      const page = await client.get(start.headers.get('location') ?? '');
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
      const html = await page.text();
      assert.match(html, /<form method="post"/);
      assert.match(html, /name="username"/);
      assert.match(html, /name="password"/);
      assert.ok((hiddenInput(html, 'csrf_token') ?? '').length > 20);
      assert.match(html, /<meta name="viewport"/);
      assert.doesNotMatch(html, /<script/);
    });

    it('refuses a login POST without or with a wrong CSRF token', async () => {
      const client = new FormClient(s.url);
      const start = await client.get(url(base()));
      const page = await (await client.get(start.headers.get('location') ?? '')).text();
      const action = formAction(page) ?? '';
      const none = await client.post(action, { username: s.seller.username, password: s.seller.password });
      assert.equal(none.status, 403);
      const wrong = await client.post(action, {
        csrf_token: 'x'.repeat(43),
        username: s.seller.username,
        password: s.seller.password,
      });
      assert.equal(wrong.status, 403);
      // A foreign browser (no interaction cookie) with the right token is refused too.
      const other = new FormClient(s.url);
      const foreign = await other.post(action, {
        csrf_token: hiddenInput(page, 'csrf_token') ?? '',
        username: s.seller.username,
        password: s.seller.password,
      });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.headers.get('set-cookie')?.includes('sq_session'), undefined);
    });

    it('says clearly when the password is wrong, and logs in with a new session id', async () => {
      const client = new FormClient(s.url);
      const start = await client.get(url(base()));
      const page = await (await client.get(start.headers.get('location') ?? '')).text();
      const bad = await client.post(formAction(page) ?? '', {
        csrf_token: hiddenInput(page, 'csrf_token') ?? '',
        username: s.seller.username,
        password: 'wrong-password',
      });
      assert.equal(bad.status, 401);
      assert.match(await bad.text(), /username or password is wrong/);
      client.cookies.set('sq_session', 'attacker-fixed-session');
      const good = await client.post(formAction(page) ?? '', {
        csrf_token: hiddenInput(page, 'csrf_token') ?? '',
        username: s.seller.username,
        password: s.seller.password,
      });
      assert.equal(good.status, 303);
      const session = client.cookies.get('sq_session');
      assert.ok(session && session !== 'attacker-fixed-session');
      const consent = await (await client.get(good.headers.get('location') ?? '')).text();
      assert.match(consent, /Test App/);
      assert.match(consent, /name="store_id" value="\d+"/g);
      assert.match(consent, /<button type="submit" name="decision" value="approve"/);
      assert.match(consent, /<button type="submit" name="decision" value="deny"/);
      assert.match(consent, /Store One/);
      assert.match(consent, /Store Two/);
    });

    it('sends a seller who is already logged in straight to consent', async () => {
      const first = await authorizeThroughForms(s.url, url(base()), {
        username: s.seller.username,
        password: s.seller.password,
      });
      const res = await first.client.get(url(base()));
      const page = await (await first.client.get(res.headers.get('location') ?? '')).text();
      assert.doesNotMatch(page, /name="password"/);
      assert.match(page, /name="decision" value="approve"/);
    });

    it('returns access_denied with error_description and state when the seller cancels', async () => {
      const { location } = await authorizeThroughForms(s.url, url(base()), {
        username: s.seller.username,
        password: s.seller.password,
        decision: 'deny',
      });
      const loc = new URL(location);
      assert.equal(loc.searchParams.get('error'), 'access_denied');
      assert.equal(loc.searchParams.get('error_description'), 'the seller declined to authorize the app');
      assert.equal(loc.searchParams.get('state'), 'xyz');
      assert.equal(loc.searchParams.get('code'), null);
    });

    it('consumes a consent exactly once', async () => {
      const client = new FormClient(s.url);
      const start = await client.get(url(base()));
      let page = await (await client.get(start.headers.get('location') ?? '')).text();
      const login = await client.post(formAction(page) ?? '', {
        csrf_token: hiddenInput(page, 'csrf_token') ?? '',
        username: s.seller.username,
        password: s.seller.password,
      });
      page = await (await client.get(login.headers.get('location') ?? '')).text();
      const form = {
        csrf_token: hiddenInput(page, 'csrf_token') ?? '',
        store_id: String(s.seller.stores[0]!.storeId),
        decision: 'approve',
      };
      const results = await Promise.all([
        client.post(formAction(page) ?? '', form),
        client.post(formAction(page) ?? '', form),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), [303, 403]);
    });

    it('refuses a store that is not the seller’s', async () => {
      const client = new FormClient(s.url);
      const start = await client.get(url(base()));
      let page = await (await client.get(start.headers.get('location') ?? '')).text();
      const login = await client.post(formAction(page) ?? '', {
        csrf_token: hiddenInput(page, 'csrf_token') ?? '',
        username: s.seller.username,
        password: s.seller.password,
      });
      page = await (await client.get(login.headers.get('location') ?? '')).text();
      const res = await client.post(formAction(page) ?? '', {
        csrf_token: hiddenInput(page, 'csrf_token') ?? '',
        store_id: '999999',
        decision: 'approve',
      });
      assert.equal(res.status, 400);
      assert.match(await res.text(), /Choose at least one of your stores/);
    });
  });
}
