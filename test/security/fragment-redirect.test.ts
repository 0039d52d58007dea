// Issue 15 finding 8: the legacy client-side (implicit) flow and the documents' domain rule. On
// meilishuo `redirect_uri=https://blog.<callback's domain>/r?u=https://evil.example/` received
// `#access_token=…`: an open redirector anywhere under the ISV's domain forwards the token (the
// fragment survives redirects). The domain rule stays the default (the documents require it);
// `fragmentRedirect: "exact-callback"` (a profile setting, and a per-app one from `app gateway
// --fragment-redirect` or the developer console) sends tokens in a fragment only to a registered
// callback's exact origin and path. docs/security.md, "Deliberate deviations".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, updateApp } from '../../src/apps/apps.js';
import { runCli as run } from '../helpers/cli.js';
import type { Profile } from '../../src/profiles/profile.js';
import { getProfile } from '../../src/profiles/registry.js';
import { authorizeThroughForms, FormClient } from '../helpers/browserless.js';
import { page, submit } from '../helpers/console.js';
import { testDialects } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CALLBACK = 'https://www.isv-shop.com/oauth/callback';
const ATTACK = 'https://blog.isv-shop.com/r?u=https://evil.example/';
const enc = encodeURIComponent;

const strict = (p: Profile): Profile => ({ ...p, authorize: { ...p.authorize, fragmentRedirect: 'exact-callback' } });

/** Authorize with response_type=token (or code) to `redirect`; the final Location, or the refusal. */
async function implicitTo(
  s: TestServer,
  appKey: string,
  redirect: string,
  responseType = 'token',
): Promise<{ location?: string; status?: number; html?: string }> {
  const url = `/authorize?response_type=${responseType}&app_key=${appKey}&state=s1&redirect_uri=${enc(redirect)}`;
  const res = await fetch(`${s.url}${url}`, { redirect: 'manual' });
  if (res.status !== 303) return { status: res.status, html: await res.text() };
  await res.arrayBuffer();
  const { location } = await authorizeThroughForms(s.url, url, {
    username: s.seller.username,
    password: s.seller.password,
  });
  return { location };
}

const REFUSED =
  /redirect_uri must be the exact origin and path of a callback registered for this app to receive a token in the fragment \(client-side flow\)/;

for (const d of await testDialects()) {
  describe(`client-side flow and the domain rule (${d.name})`, { skip: d.skip }, () => {
    describe("meilishuo as shipped (the documents' domain rule)", () => {
      let s: TestServer;
      before(async () => {
        s = await startTestServer({ profile: 'meilishuo', callback: CALLBACK, db: await d.fresh() });
      });
      after(async () => s?.close());

      it("by default a token still goes to any URL under the callback's domain (documented; the deviation table says why)", async () => {
        const r = await implicitTo(s, s.client.appKey, ATTACK);
        assert.ok(r.location?.startsWith(`${ATTACK}#access_token=`), JSON.stringify(r));
      });

      it("app gateway --fragment-redirect exact-callback: that app gets tokens only at its callback's exact origin and path", async () => {
        const set = await run(
          'app',
          'gateway',
          '--app-key',
          s.client.appKey,
          '--fragment-redirect',
          'exact-callback',
          '--database',
          s.db.url,
          '--json',
        );
        assert.equal(set.code, 0, set.err);
        assert.equal((JSON.parse(set.out) as { fragment_redirect: string }).fragment_redirect, 'exact-callback');
        (s.core.storage.gateway?.apps as unknown as { invalidate(): void }).invalidate();

        const attack = await implicitTo(s, s.client.appKey, ATTACK);
        assert.equal(attack.status, 400);
        assert.equal(attack.location, undefined, 'an error page, never a redirect');
        assert.match(attack.html ?? '', REFUSED);
        // Another host of the domain, and the callback's host with another path: refused too.
        assert.equal((await implicitTo(s, s.client.appKey, 'https://www.isv-shop.com/other')).status, 400);
        assert.equal((await implicitTo(s, s.client.appKey, 'https://shop.isv-shop.com/oauth/callback')).status, 400);
        // The registered callback (its exact origin and path; a query of its own is kept) works.
        const ok = await implicitTo(s, s.client.appKey, `${CALLBACK}?from=app`);
        assert.ok(ok.location?.startsWith(`${CALLBACK}?from=app#access_token=`), JSON.stringify(ok));
        // The server-side flow keeps the documents' rule: a code is useless without the AppSecret.
        const code = await implicitTo(s, s.client.appKey, 'https://shop.isv-shop.com/oauth/callback', 'code');
        assert.match(code.location ?? '', /^https:\/\/shop\.isv-shop\.com\/oauth\/callback\?code=/);

        const back = await run(
          'app',
          'gateway',
          '--app-key',
          s.client.appKey,
          '--fragment-redirect',
          'profile',
          '--database',
          s.db.url,
          '--json',
        );
        assert.equal((JSON.parse(back.out) as { fragment_redirect: string }).fragment_redirect, 'profile');
        const bad = await run(
          'app',
          'gateway',
          '--app-key',
          s.client.appKey,
          '--fragment-redirect',
          'loose',
          '--database',
          s.db.url,
        );
        assert.equal(bad.code, 1);
        assert.match(bad.err, /--fragment-redirect must be exact-callback, redirect-rule or profile, got "loose"/);
      });
    });

    describe('a profile with authorize.fragmentRedirect "exact-callback"', () => {
      let s: TestServer;
      before(async () => {
        s = await startTestServer({
          profile: strict(getProfile('meilishuo')),
          callback: CALLBACK,
          db: await d.fresh(),
        });
      });
      after(async () => s?.close());

      it('refuses the attack for every app, unless an app is set back to the redirect rule', async () => {
        const attack = await implicitTo(s, s.client.appKey, ATTACK);
        assert.equal(attack.status, 400);
        assert.match(attack.html ?? '', REFUSED);
        const ok = await implicitTo(s, s.client.appKey, CALLBACK);
        assert.ok(ok.location?.startsWith(`${CALLBACK}#access_token=`), JSON.stringify(ok));
        // No redirect_uri: the one registered callback, as before.
        const url = `/authorize?response_type=token&app_key=${s.client.appKey}&state=s2`;
        const { location } = await authorizeThroughForms(s.url, url, {
          username: s.seller.username,
          password: s.seller.password,
        });
        assert.ok(location.startsWith(`${CALLBACK}#access_token=`), location);

        await s.core.storage.gateway?.apps.upsert(s.client.appKey, { fragmentRedirect: 'redirect-rule' });
        const loosened = await implicitTo(s, s.client.appKey, ATTACK);
        assert.ok(loosened.location?.startsWith(`${ATTACK}#access_token=`), JSON.stringify(loosened));
      });
    });

    describe('the developer console', () => {
      let s: TestServer;
      before(async () => {
        s = await startTestServer({ profile: 'meilishuo', callback: CALLBACK, db: await d.fresh() });
      });
      after(async () => s?.close());

      it('warns an app that used the client-side flow, and sets where its tokens may go', async () => {
        const dev = new FormClient(s.url);
        const signup = await submit(dev, '/console/signup', '/console/signup', {
          username: 'implicit-dev',
          password: 'developer password',
        });
        assert.equal(signup.status, 303);
        const account = await s.core.storage.console.findAccount('developer', 'implicit-dev');
        const app = await createApp(s.core.storage, s.core.secretKey, { name: 'Fragment App', callbacks: [CALLBACK] });
        await updateApp(s.core.storage, app.appKey, { developerId: account!.accountId }, Date.now());

        const before = await page(dev, `/console/apps/${app.appKey}?lang=en`);
        assert.equal(before.status, 200);
        assert.doesNotMatch(before.html, /uses the client-side flow/);
        assert.match(
          before.html,
          /<select id="fragment_redirect" name="fragment_redirect"[^>]*>\s*<option value="profile" selected>Platform default \(Any URL the platform&#39;s redirect rule allows\)<\/option>/,
        );

        const r = await implicitTo(s, app.appKey, CALLBACK);
        assert.ok(r.location?.includes('#access_token='));
        const after = await page(dev, `/console/apps/${app.appKey}?lang=en`);
        assert.match(
          after.html,
          /<div class="warn" role="alert">[^]*This app uses the client-side flow \(response_type=token\)/,
        );
        assert.match(after.html, /Its access tokens can reach any URL under your callback&#39;s domain/);

        const set = await submit(
          dev,
          `/console/apps/${app.appKey}?lang=en`,
          `/console/apps/${app.appKey}/fragment-redirect`,
          { fragment_redirect: 'exact-callback' },
        );
        assert.equal(set.status, 303);
        assert.equal(set.location, `/console/apps/${app.appKey}?done=fragment-redirect`);
        assert.equal((await s.core.storage.gateway?.apps.find(app.appKey))?.fragmentRedirect, 'exact-callback');
        const shown = await page(dev, `/console/apps/${app.appKey}?lang=en`);
        assert.match(shown.html, /<option value="exact-callback" selected>/);
        assert.doesNotMatch(shown.html, /Its access tokens can reach any URL under your callback&#39;s domain/);
        assert.equal((await implicitTo(s, app.appKey, ATTACK)).status, 400);

        const bad = await submit(
          dev,
          `/console/apps/${app.appKey}?lang=en`,
          `/console/apps/${app.appKey}/fragment-redirect`,
          { fragment_redirect: 'anything' },
        );
        assert.equal(bad.status, 400);
      });
    });
  });
}
