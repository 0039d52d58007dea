// Issue 14 §1: sellers and stores from the platform's HTTP seller directory. The directory is a
// real HTTP server (test/helpers/seller-directory.ts) that checks the signature as a platform would.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, formAction, FormClient, hiddenInput, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { csrfOf, page, submit } from './helpers/console.js';
import { topCall } from './helpers/gateway.js';
import { FakeSellerDirectory } from './helpers/seller-directory.js';
import { createSeller } from '../src/admin.js';
import { createWebAccount } from '../src/console/accounts.js';

const dialects = await testDialects();
const SECRET = 'directory-shared-secret-for-tests';

for (const dialect of dialects) {
  describe(`HTTP seller directory (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let dir: FakeSellerDirectory;
    const logs: string[] = [];
    let stores = [
      { store_id: 'S-100', name: 'Alice Flagship' },
      { store_id: 'S-200', name: 'Alice Outlet' },
    ];

    before(async () => {
      dir = await new FakeSellerDirectory(SECRET).start();
      dir.accounts.set('alice', {
        password: 'alice-platform-pw',
        answer: () => ({ status: 200, body: { seller_id: 'P-7', nick: 'Alice 的店', stores } }),
      });
      dir.behaviours.set('boom', { status: 500, body: { error: 'oops' } });
      dir.behaviours.set('teapot', { status: 418 });
      dir.behaviours.set('garbage', { status: 200, raw: '<html>login</html>' });
      dir.behaviours.set('noid', { status: 200, body: { nick: 'x', stores: [] } });
      dir.behaviours.set('slow', 'hang');
      dir.behaviours.set('reset', 'reset');
      const stream = new Writable({
        write(chunk, _enc, done) {
          logs.push(String(chunk));
          done();
        },
      });
      s = await startTestServer({
        db: await dialect.fresh(),
        server: {
          logger: { level: 'warn', stream },
          // Long enough that a refused or reset connection on a busy machine is not mistaken for a timeout.
          sellerDirectory: { url: dir.url, secret: SECRET, timeoutMs: 1500 },
          limits: {
            sellerLoginPerUser: { max: 3, windowMs: 60_000, blockMs: 60_000 },
            sellerLoginPerIp: { max: 1000, windowMs: 60_000, blockMs: 60_000 },
          },
        },
      });
    });
    after(async () => {
      await s?.close();
      await dir?.stop();
    });

    const authorizeUrl = () =>
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'st', lang: 'en' })}`;

    /** Open the authorize page and post the login form; returns the response and the client. */
    async function login(username: string, password: string, client = new FormClient(s.url)) {
      let res = await client.get(authorizeUrl());
      await res.arrayBuffer();
      const interaction = res.headers.get('location')!;
      res = await client.get(interaction);
      const html = await res.text();
      res = await client.post(formAction(html)!, { csrf_token: hiddenInput(html, 'csrf_token')!, username, password });
      return { status: res.status, html: await res.text(), headers: res.headers, client, interaction };
    }

    const metric = async (outcome: string) => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      return Number(
        new RegExp(`^shouquan_seller_directory_requests_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1],
      );
    };

    it('sends POST URL with {"username","password"} as JSON, a unix-seconds timestamp and the HMAC-SHA256 signature', async () => {
      const before = Math.floor(Date.now() / 1000);
      await login('alice', 'alice-platform-pw');
      const r = dir.requests.at(-1)!;
      assert.equal(r.method, 'POST');
      assert.equal(r.contentType, 'application/json');
      assert.equal(r.rawBody, '{"username":"alice","password":"alice-platform-pw"}');
      assert.match(r.timestamp ?? '', /^\d+$/);
      assert.ok(Math.abs(Number(r.timestamp) - before) <= 5, 'the timestamp is the current unix time in seconds');
      assert.match(r.signature ?? '', /^sha256=[0-9a-f]{64}$/);
      assert.equal(r.signatureValid, true);
    });

    it("signs in, offers exactly the directory's stores, and the directory's store_id is what the ISV sees (API, gateway, introspection)", async () => {
      const { status, client, interaction } = await login('alice', 'alice-platform-pw');
      assert.equal(status, 303);
      const consent = await (await client.get(interaction)).text();
      const offered = [...consent.matchAll(/name="store_id" value="(\d+)"[^>]*><span>([^<]*)<\/span>/g)].map(
        (m) => m[2],
      );
      assert.deepEqual(offered, ['Alice Flagship', 'Alice Outlet']);
      assert.match(consent, /Alice 的店/, "the consent page names the seller by the directory's nick");
      const outletValue = /name="store_id" value="(\d+)"[^>]*><span>Alice Outlet</.exec(consent)![1]!;
      const { location } = await authorizeThroughForms(s.url, authorizeUrl(), {
        username: 'alice',
        password: 'x',
        client,
        storeId: Number(outletValue),
      });
      const code = new URL(location).searchParams.get('code')!;
      const tokens = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(tokens.status, 200, tokens.text);
      const access = tokens.json.access_token as string;

      const store = await fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${access}` } });
      assert.deepEqual(await store.json(), { store_id: 'S-200', name: 'Alice Outlet' });

      const intro = await postForm(`${s.url}/oauth/introspect`, {
        token: access,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(intro.status, 200, intro.text);
      assert.equal(intro.json.active, true);
      assert.equal(intro.json.store_id, 'S-200');
      assert.deepEqual(intro.json.store_ids, ['S-200']);

      const gw = await topCall(s, 'shouquan.store.get', {}, access);
      assert.equal(gw.status, 200, gw.text);
      const body = gw.json.store_get_response ?? gw.json;
      assert.equal(JSON.stringify(body).includes('"store_id":"S-200"'), true, gw.text);
      // The ISV names the store by the id it was shown (docs/adr/0135's store_id argument).
      const listed = await topCall(s, 'shouquan.stores.list', {}, access);
      assert.equal(JSON.stringify(listed.json).includes('"store_id":"S-200"'), true, listed.text);
      const named = await topCall(s, 'shouquan.store.get', { store_id: 'S-200' }, access);
      assert.equal(named.status, 200);
      assert.equal(JSON.stringify(named.json).includes('"name":"Alice Outlet"'), true, named.text);
      const other = await topCall(s, 'shouquan.store.get', { store_id: 'S-100' }, access);
      assert.match(other.text, /isv\.store-not-exist/);
      const rest = await fetch(`${s.url}/api/v1/store?store_id=S-200`, {
        headers: { authorization: `Bearer ${access}` },
      });
      assert.deepEqual(await rest.json(), { store_id: 'S-200', name: 'Alice Outlet' });
    });

    it('updates the seller and stores just in time: a renamed store, a new one, a dropped one', async () => {
      stores = [
        { store_id: 'S-200', name: 'Alice Outlet (renamed)' },
        { store_id: 'S-300', name: 'Alice Third' },
      ];
      const { status, client, interaction } = await login('alice', 'alice-platform-pw');
      assert.equal(status, 303);
      const consent = await (await client.get(interaction)).text();
      // (The outlet is marked as already authorized: the earlier test granted it.)
      const offered = [...consent.matchAll(/name="store_id" value="\d+"[^>]*><span>([^<]*)</g)].map((m) =>
        m[1]!.trim(),
      );
      assert.deepEqual(offered.sort(), ['Alice Outlet (renamed)', 'Alice Third']);
      // Still one seller for the directory's seller_id.
      const seller = await s.core.storage.sellers.findByUsername('directory:P-7');
      assert.equal(seller?.externalId, 'P-7');
      assert.equal(seller?.nick, 'Alice 的店');
      const listed = await s.core.storage.sellers.stores(seller!.sellerId);
      assert.deepEqual(listed.map((x) => x.externalId).sort(), ['S-200', 'S-300']);
    });

    it("a store that moved to another seller on the platform: the previous owner's authorization of it ends", async () => {
      dir.accounts.set('bob', {
        password: 'bob-platform-pw',
        answer: () => ({
          status: 200,
          body: { seller_id: 'P-8', nick: 'Bob', stores: [{ store_id: 'S-200', name: "Now Bob's" }] },
        }),
      });
      const alice = await s.core.storage.sellers.findByUsername('directory:P-7');
      const live = await s.core.storage.grants.findLive(s.client.appKey, alice!.sellerId);
      assert.ok(live, 'alice has a live grant of S-200 from the earlier test');
      assert.equal((await login('bob', 'bob-platform-pw')).status, 303);
      const after = await s.core.storage.grants.find(live.grantId);
      assert.equal(after?.revokedReason, 'store_transferred');
      const bob = await s.core.storage.sellers.findByUsername('directory:P-8');
      assert.deepEqual(
        (await s.core.storage.sellers.stores(bob!.sellerId)).map((x) => x.externalId),
        ['S-200'],
      );
    });

    it('401, 403 and 404 are wrong credentials: the same page and the same lockout as built-in accounts', async () => {
      const wrong = await login('alice', 'not her password');
      assert.equal(wrong.status, 401);
      assert.match(wrong.html, /The username or password is wrong\./);
      dir.behaviours.set('forbidden', { status: 403 });
      assert.equal((await login('forbidden', 'whatever-pw')).status, 401);
      assert.equal((await login('nobody-here', 'whatever-pw')).status, 401);
      // The lockout (3 per username here) counts directory refusals like built-in ones.
      assert.equal((await login('alice', 'not her password')).status, 401);
      const third = await login('alice', 'not her password');
      assert.equal(third.status, 429);
      const asked = dir.requests.length;
      const locked = await login('alice', 'alice-platform-pw');
      assert.equal(locked.status, 429, 'while locked, even the right password is refused');
      assert.ok(locked.headers.get('retry-after'));
      assert.equal(dir.requests.length, asked, 'a locked username is not sent to the directory');
    });

    // The platform's usernames are any strings: a seller named "developer:dave" must have a lockout budget of
    // their own, not the developer dave's (their right password reset his failures: unlimited guesses at /console).
    it("a directory seller's sign-in neither counts towards nor resets a developer's or operator's lockout", async () => {
      await createWebAccount(s.core.storage, { realm: 'developer', username: 'dave', password: 'dave developer pw' });
      dir.accounts.set('developer:dave', {
        password: 'platform-pw-of-the-other-dave',
        answer: () => ({
          status: 200,
          body: { seller_id: 'P-dave', nick: 'Dave', stores: [{ store_id: 'S-900', name: 'Dave' }] },
        }),
      });
      const devLogin = async (password: string) => {
        const c = new FormClient(s.url);
        return (await submit(c, '/console/login', '/console/login', { username: 'dave', password })).status;
      };
      assert.equal(await devLogin('guess 1'), 401);
      assert.equal(await devLogin('guess 2'), 401);
      assert.equal((await login('developer:dave', 'platform-pw-of-the-other-dave')).status, 303);
      assert.equal(await devLogin('guess 3'), 429, "the developer's third wrong password locks him (3 allowed here)");
      assert.equal((await login('developer:dave', 'platform-pw-of-the-other-dave')).status, 303, 'the seller is not');
    });

    for (const [username, reason] of [
      ['boom', 'bad_status'],
      ['teapot', 'bad_status'],
      ['garbage', 'bad_response'],
      ['noid', 'bad_response'],
      ['slow', 'timeout'],
      ['reset', 'connection_error'],
    ] as const) {
      it(`the directory failing (${username}: ${reason}) is a 503 "sign-in is unavailable" page, no lockout failure, a log line and a metric`, async () => {
        const before = (await metric(reason)) || 0;
        const attempts = reason === 'timeout' ? 2 : 4;
        for (let i = 0; i < attempts; i++) {
          const res = await login(username, 'any-password');
          assert.equal(res.status, 503, `attempt ${i + 1}`);
          assert.match(res.html, /Sign-in is unavailable right now\. Try again shortly\./);
          assert.equal(res.headers.get('retry-after'), '10');
        }
        assert.equal(await metric(reason), before + attempts);
        assert.ok(
          logs.some((l) => l.includes(`"reason":"${reason}"`) && l.includes('seller sign-in unavailable')),
          `a log line says ${reason}`,
        );
      });
    }

    it('failures of the directory never lock the username (more than the lockout budget, then a good answer)', async () => {
      dir.behaviours.set('carol', { status: 502 });
      for (let i = 0; i < 5; i++) assert.equal((await login('carol', 'carol-pw')).status, 503);
      dir.behaviours.delete('carol');
      dir.accounts.set('carol', {
        password: 'carol-pw',
        answer: () => ({
          status: 200,
          body: { seller_id: 'P-9', nick: 'Carol', stores: [{ store_id: 'C-1', name: 'Carol Shop' }] },
        }),
      });
      assert.equal((await login('carol', 'carol-pw')).status, 303);
    });

    it('a Chinese page says it in Chinese', async () => {
      const client = new FormClient(s.url);
      let res = await client.get(authorizeUrl().replace('lang=en', 'lang=zh-CN'));
      await res.arrayBuffer();
      res = await client.get(res.headers.get('location')!);
      const html = await res.text();
      res = await client.post(
        formAction(html)!,
        { csrf_token: hiddenInput(html, 'csrf_token')!, username: 'boom', password: 'x-password' },
        { 'accept-language': 'zh-CN' },
      );
      assert.equal(res.status, 503);
      assert.match(await res.text(), /登录服务暂时不可用，请稍后再试。/);
    });

    it("a built-in seller does not sign in while the directory is on; a developer's sandbox seller still does", async () => {
      assert.equal((await login(s.seller.username, s.seller.password)).status, 401);
      const dev = await createWebAccount(s.core.storage, {
        realm: 'developer',
        username: 'dev-one',
        password: 'dev-password-1',
      });
      const sbx = await createSeller(s.core.storage, {
        username: 'sbx-1-abcdef',
        password: 'sandbox-pw-123',
        stores: ['Sandbox A'],
      });
      await s.core.storage.console.addSandboxSeller(sbx.sellerId, dev.accountId);
      const asked = dir.requests.length;
      assert.equal((await login('sbx-1-abcdef', 'sandbox-pw-123')).status, 303);
      assert.equal(dir.requests.length, asked, 'a sandbox seller is not sent to the directory');
      // The password of a directory seller's row never signs in through the built-in check.
      assert.equal((await login('directory:P-7', '')).status, 401);
    });

    it("the seller center signs in through the directory too; the password is the platform's to change", async () => {
      const c = new FormClient(s.url);
      dir.accounts.set('erin', {
        password: 'erin-platform-pw',
        answer: () => ({
          status: 200,
          body: { seller_id: 'P-10', nick: 'Erin 的店', stores: [{ store_id: 'E-1', name: 'Erin Shop' }] },
        }),
      });
      const res = await submit(
        c,
        '/account/login',
        '/account/login',
        { username: 'erin', password: 'erin-platform-pw' },
        { 'accept-language': 'en' },
      );
      assert.equal(res.status, 303);
      const home = await page(c, '/account?lang=en');
      assert.equal(home.status, 200);
      assert.match(home.html, /Erin 的店/);
      assert.doesNotMatch(home.html, /name="current_password"/);
      assert.match(home.html, /kept by the platform/);
      const change = await c.post('/account/password', {
        csrf_token: csrfOf(home.html),
        current_password: 'erin-platform-pw',
        new_password: 'something-new-1',
      });
      assert.equal(change.status, 400);

      const down = await submit(
        new FormClient(s.url),
        '/account/login',
        '/account/login',
        { username: 'boom', password: 'whatever1' },
        { 'accept-language': 'en' },
      );
      assert.equal(down.status, 503);
      assert.match(down.html, /Sign-in is unavailable right now\. Try again shortly\./);
      const bad = await submit(
        new FormClient(s.url),
        '/account/login',
        '/account/login',
        { username: 'dave', password: 'whatever1' },
        { 'accept-language': 'en' },
      );
      assert.equal(bad.status, 401);
    });
  });
}

describe('built-in accounts keep their numeric store ids', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s?.close());
  it('/api/v1/store and introspection answer the number, as before', async () => {
    const { location } = await authorizeThroughForms(
      s.url,
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback })}`,
      {
        username: s.seller.username,
        password: s.seller.password,
        storeId: s.seller.stores[0]!.storeId,
      },
    );
    const code = new URL(location).searchParams.get('code')!;
    const tokens = await postForm(`${s.url}/oauth/token`, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: s.client.callback,
      client_id: s.client.appKey,
      client_secret: s.client.appSecret,
    });
    const store = await (
      await fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${tokens.json.access_token}` } })
    ).json();
    assert.deepEqual(store, { store_id: s.seller.stores[0]!.storeId, name: 'Store One' });
    const intro = await postForm(`${s.url}/oauth/introspect`, {
      token: tokens.json.access_token,
      client_id: s.client.appKey,
      client_secret: s.client.appSecret,
    });
    assert.equal(intro.json.store_id, s.seller.stores[0]!.storeId);
    assert.equal(typeof intro.json.store_id, 'number');
  });
});

describe('serve --seller-directory (a real process)', () => {
  it('signs sellers in against the directory, with the secret from SHOUQUAN_SELLER_DIRECTORY_SECRET only', async () => {
    const { spawnServer } = await import('./helpers/processes.js');
    const { freshSqlite } = await import('./helpers/databases.js');
    const { main } = await import('../src/cli/main.js');
    const dir = await new FakeSellerDirectory('process-secret').start();
    dir.accounts.set('zoe', {
      password: 'zoe-platform-pw',
      answer: () => ({
        status: 200,
        body: { seller_id: 'Z-1', nick: 'Zoe', stores: [{ store_id: 'Z-S1', name: 'Zoe Shop' }] },
      }),
    });
    const db = freshSqlite();
    const errors: string[] = [];
    const saved = process.env.SHOUQUAN_SELLER_DIRECTORY_SECRET;
    delete process.env.SHOUQUAN_SELLER_DIRECTORY_SECRET;
    try {
      const code = await main(['serve', '--database', db.url, '--seller-directory', dir.url], {
        log: () => {},
        err: (e) => errors.push(e),
      });
      assert.equal(code, 2);
      assert.match(errors.join('\n'), /SHOUQUAN_SELLER_DIRECTORY_SECRET/);
      process.env.SHOUQUAN_SELLER_DIRECTORY_SECRET = 'process-secret';
      const server = await spawnServer(db.url, [
        '--seller-directory',
        dir.url,
        '--seller-directory-timeout-ms',
        '5000',
      ]);
      try {
        const c = new FormClient(server.url);
        const res = await submit(
          c,
          '/account/login',
          '/account/login',
          { username: 'zoe', password: 'zoe-platform-pw' },
          { 'accept-language': 'en' },
        );
        assert.equal(res.status, 303);
        assert.equal(dir.requests.at(-1)?.signatureValid, true);
        assert.match((await page(c, '/account?lang=en')).html, /Zoe/);
      } finally {
        await server.stop();
      }
    } finally {
      if (saved === undefined) delete process.env.SHOUQUAN_SELLER_DIRECTORY_SECRET;
      else process.env.SHOUQUAN_SELLER_DIRECTORY_SECRET = saved;
      await dir.stop();
      await db.cleanup();
    }
  });
});
