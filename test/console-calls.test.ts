// Issue 7 "Per app: … recent calls and errors from the gateway": signed router calls (and the
// REST face) are recorded in batches and shown on the developer console's app page, to the
// app's developer only.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { page, readonlyValue, signIn, submit } from './helpers/console.js';
import { topCall, waitFor } from './helpers/gateway.js';
import { createWebAccount } from '../src/console/accounts.js';

/** 2024-06-18 15:59:30 UTC: a frozen clock, so the times on the page are known. */
const T0 = Date.UTC(2024, 5, 18, 15, 59, 30);

/** The cells of the recent-calls table, row by row (tags stripped, entities decoded). */
function callRows(html: string): string[][] {
  const table = /<table class="calls"[^>]*>([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  const body = /<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) =>
      c[1]!
        .replace(/<[^>]+>/g, '')
        .replace(/&amp;/g, '&')
        .trim(),
    ),
  );
}

for (const dialect of await testDialects()) {
  describe(`developer console: recent calls and errors (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    const dev = new FormClient('http://placeholder');
    const callback = 'https://isv.example.com/cb';
    let appKey = '';
    let secret = '';
    let token = '';

    before(async () => {
      s = await startTestServer({
        db: await dialect.fresh(),
        now: () => T0,
        gateway: { webhookPollMs: 0 },
        server: { callLog: { flushIntervalMs: 20 } },
      });
      (dev as { base: string }).base = s.url;
      await submit(dev, '/console/signup', '/console/signup', {
        username: 'calls-dev',
        password: 'developer password',
      });
      const created = await submit(dev, '/console/apps/new', '/console/apps', {
        name: 'Call Counter',
        callback_urls: callback,
        scope: 'seller',
      });
      assert.equal(created.status, 201, created.html.slice(0, 300));
      appKey = readonlyValue(created.html, 'app_key_once')!;
      secret = readonlyValue(created.html, 'app_secret_once')!;
      const authorizeUrl = new URL(readonlyValue(created.html, 'authorize_url')!);
      authorizeUrl.searchParams.set('state', 'calls');
      const made = await submit(dev, '/console', '/console/sandbox-sellers', {});
      const { location } = await authorizeThroughForms(s.url, `${authorizeUrl.pathname}${authorizeUrl.search}`, {
        username: readonlyValue(made.html, 'sb-user')!,
        password: readonlyValue(made.html, 'sb-pass')!,
      });
      const code = new URL(location).searchParams.get('code')!;
      const res = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: callback,
        client_id: appKey,
        client_secret: secret,
      });
      assert.equal(res.status, 200, res.text);
      token = res.json.access_token;
      // The app may read the store but has no order permission package.
      await s.core.storage.gateway!.apps.upsert(appKey, { permissions: ['store'] });
    });
    after(async () => s?.close());

    it('shows an empty state that says how to make a call', async () => {
      const p = await page(dev, `/console/apps/${appKey}?lang=en`);
      assert.equal(p.status, 200);
      assert.match(p.html, /<h2 id="calls-title">Recent calls and errors<\/h2>\n<p class="muted">No calls yet\.<\/p>/);
      assert.match(
        p.html,
        /Make one: a signed POST \/router\/rest with this AppKey and a seller&#39;s access token as session/,
      );
      assert.ok(!p.html.includes('<table class="calls"'));
    });

    it('lists an ok call, a bad signature and a missing permission with counts and the most frequent errors', async () => {
      const as = { override: { app_key: appKey }, secret };
      const ok = await topCall(s, 'shouquan.store.get', {}, token, as);
      assert.ok(ok.json.shouquan_store_get_response, ok.text);
      const badSign = await topCall(s, 'shouquan.store.get', {}, token, {
        ...as,
        override: { app_key: appKey, sign: '0123456789ABCDEF0123456789ABCDEF' },
      });
      assert.equal(badSign.json.error_response.sub_code, 'isv.invalid-signature');
      const noPermission = await topCall(s, 'shouquan.orders.list', {}, token, as);
      assert.equal(noPermission.json.error_response.code, 11, noPermission.text);
      const rest = await fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(rest.status, 200);
      // A call with an AppKey nobody has is not recorded anywhere.
      await topCall(s, 'shouquan.store.get', {}, token, { ...as, override: { app_key: '99999999' } });

      // Records are written in batches (every 20 ms here, every second by default): wait for them.
      const shown = await waitFor(async () => {
        const p = await page(dev, `/console/apps/${appKey}?lang=en`);
        // The page reads the summary, then the list: a batch may land in between, so wait for both.
        return callRows(p.html).length === 4 && p.html.includes('<dt>Calls (last 24 h)</dt><dd>4</dd>') && p;
      }, 'four calls on the app page');
      const rows = callRows(shown.html);
      const when = '2024-06-18 23:59:30'; // UTC+8 in English too (issue 14 §3)
      assert.deepEqual(
        rows.map((r) => r.slice(0, 3)),
        [
          [when, 'GET /api/v1/store', 'OK'],
          [when, 'shouquan.orders.list', '11 isv.permission-api-package-empty'],
          [when, 'shouquan.store.get', '25 isv.invalid-signature'],
          [when, 'shouquan.store.get', 'OK'],
        ],
      );
      for (const r of rows) assert.match(r[3]!, /^\d+ ms$/);
      assert.match(
        shown.html,
        /<caption>The last 4 calls<\/caption>\n<thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">When \(UTC\+8\)<\/th><th scope="col" role="columnheader">Method<\/th><th scope="col" role="columnheader">Outcome<\/th><th scope="col" role="columnheader" class="num">Duration<\/th><\/tr><\/thead>/,
      );
      assert.match(
        shown.html,
        /<div><dt>Calls \(last 24 h\)<\/dt><dd>4<\/dd><\/div>\n<div><dt>Errors \(last 24 h\)<\/dt><dd class="bad">2<\/dd><\/div>/,
      );
      assert.match(
        shown.html,
        /<h3>Most frequent errors \(last 24 h\)<\/h3>\n<ul class="errors"><li><code>11 isv\.permission-api-package-empty<\/code> <span class="count">× 1<\/span><\/li><li><code>25 isv\.invalid-signature<\/code> <span class="count">× 1<\/span><\/li><\/ul>/,
      );

      const zh = await page(dev, `/console/apps/${appKey}?lang=zh-CN`);
      assert.deepEqual(callRows(zh.html).map((r) => r.slice(0, 3))[3], [
        '2024-06-18 23:59:30',
        'shouquan.store.get',
        '成功',
      ]);
      assert.match(
        zh.html,
        /<caption>最近 4 次调用<\/caption>\n<thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">时间（UTC\+8）<\/th>/,
      );
      assert.match(zh.html, /<dt>错误次数（近 24 小时）<\/dt><dd class="bad">2<\/dd>/);
    });

    it('counts only the last 24 hours but still lists older calls', async () => {
      s.advance(24 * 3600_000 + 1000);
      await signIn(dev, 'console', 'calls-dev', 'developer password');
      const p = await page(dev, `/console/apps/${appKey}?lang=en`);
      assert.match(p.html, /<dt>Calls \(last 24 h\)<\/dt><dd>0<\/dd>/);
      assert.match(p.html, /<p class="muted">No errors in the last 24 hours\.<\/p>/);
      assert.equal(callRows(p.html).length, 4);
    });

    it("shows an app's calls to its developer only (not to another developer or an operator)", async () => {
      const other = new FormClient(s.url);
      await submit(other, '/console/signup', '/console/signup', { username: 'other-dev', password: 'other password' });
      const peek = await page(other, `/console/apps/${appKey}?lang=en`);
      assert.equal(peek.status, 404);
      assert.ok(!peek.html.includes('isv.invalid-signature'));
      const home = await page(other, '/console?lang=en');
      assert.ok(!home.html.includes(appKey));

      await createWebAccount(s.core.storage, { realm: 'operator', username: 'ops', password: 'operator password' });
      const op = new FormClient(s.url);
      await signIn(op, 'admin', 'ops', 'operator password', { now: () => s.core.now() });
      const asOperator = await page(op, `/console/apps/${appKey}`);
      assert.equal(asOperator.status, 303);
      assert.equal(asOperator.location, '/console/login');
      const admin = await page(op, '/admin?lang=en');
      assert.equal(admin.status, 200);
      assert.ok(!admin.html.includes('isv.invalid-signature') && !admin.html.includes('<table class="calls"'));
    });
  });
}
