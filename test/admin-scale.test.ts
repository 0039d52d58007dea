// Issue 14 §3: /admin at scale (docs/adr/0162): apps, sellers and the audit log paged with a cursor
// and searchable; an app under review shows its callbacks and permission packages; rejection with
// a reason the developer sees; the audit log in words.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FormClient, authorizeThroughForms, postForm } from './helpers/browserless.js';
import { page, signIn, submit } from './helpers/console.js';
import { createWebAccount } from '../src/console/accounts.js';
import { createApp, updateApp } from '../src/apps/apps.js';
import { createSeller } from '../src/admin.js';

describe('/admin at scale', () => {
  let s: TestServer;
  const op = () => new FormClient(s.url);
  let admin: FormClient;

  before(async () => {
    s = await startTestServer();
    for (let i = 0; i < 60; i++) {
      await createApp(s.core.storage, s.core.secretKey, {
        name: `Bulk App ${String(i).padStart(3, '0')}`,
        callbacks: ['https://bulk.example.com/cb'],
        status: i % 10 === 0 ? 'submitted' : 'live',
      });
    }
    for (let i = 0; i < 55; i++)
      await createSeller(s.core.storage, {
        username: `bulk-seller-${String(i).padStart(3, '0')}`,
        password: 'bulk password 1',
        stores: [`Bulk Store ${i}`],
      });
    await createWebAccount(s.core.storage, { realm: 'operator', username: 'ops', password: 'operator password' });
    admin = op();
    await signIn(admin, 'admin', 'ops', 'operator password');
  });
  after(async () => s?.close());

  const names = (html: string) => [...html.matchAll(/<a href="\/admin\/apps\/\d{8}">([^<]*)<\/a>/g)].map((m) => m[1]!);
  const nextLink = (html: string) => /<a rel="next" href="([^"]*)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

  it('apps: 50 a page with a next-page cursor that keeps the filters; search by name or AppKey; status filter', async () => {
    const first = await page(admin, '/admin?lang=en');
    assert.equal(first.status, 200);
    const one = names(first.html);
    assert.equal(one.length, 50);
    const next = nextLink(first.html)!;
    assert.match(next, /^\/admin\?cursor=/);
    const second = await page(admin, `${next}&lang=en`);
    const two = names(second.html);
    assert.equal(one.length + two.length, 61, 'every app once (60 bulk apps and the test app)');
    assert.equal(new Set([...one, ...two]).size, 61);
    assert.equal(nextLink(second.html), undefined);
    assert.match(second.html, /<a href="\/admin">First page<\/a>/);

    const found = await page(admin, '/admin?lang=en&q=bulk+app+007');
    assert.deepEqual(names(found.html), ['Bulk App 007']);
    const submitted = await page(admin, '/admin?lang=en&status=submitted&q=Bulk');
    assert.deepEqual(
      names(submitted.html).sort(),
      ['Bulk App 000', 'Bulk App 010', 'Bulk App 020', 'Bulk App 030', 'Bulk App 040', 'Bulk App 050'].sort(),
    );
    assert.match(submitted.html, /<option value="submitted" selected>In review<\/option>/);
    const none = await page(admin, '/admin?lang=en&q=no-such-app-anywhere');
    assert.match(none.html, /No app matches\./);
    const bad = await page(admin, '/admin?lang=en&cursor=garbage!');
    assert.equal(bad.status, 400);
    assert.match(bad.html, /This page link is out of date\. Start from the first page\./);
  });

  it('an app under review shows its callbacks and permission packages before approval', async () => {
    const created = await createApp(s.core.storage, s.core.secretKey, {
      name: 'Review Me',
      callbacks: ['https://review.example.com/a', 'https://review.example.com/b'],
      status: 'submitted',
    });
    await updateApp(s.core.storage, created.appKey, { permissions: ['orders.read', 'products'] }, s.core.now());
    const res = await page(admin, `/admin/apps/${created.appKey}?lang=en`);
    assert.equal(res.status, 200);
    assert.match(
      res.html,
      /<ul class="plain" id="callbacks"><li><code>https:\/\/review\.example\.com\/a<\/code><\/li><li><code>https:\/\/review\.example\.com\/b<\/code><\/li><\/ul>/,
    );
    assert.match(
      res.html,
      /<ul class="plain" id="packages"><li><code>orders\.read<\/code><\/li><li><code>products<\/code><\/li><\/ul>/,
    );
    assert.match(res.html, /aria-label="Approve: Review Me"/);
    assert.match(res.html, /<textarea id="reason" name="reason"/);
    const list = await page(admin, '/admin?lang=en&q=Review+Me');
    assert.match(
      list.html,
      new RegExp(
        `<a class="button small secondary" href="/admin/apps/${created.appKey}" aria-label="Review: Review Me">Review</a>`,
      ),
    );
    assert.equal((await page(admin, '/admin/apps/99999999')).status, 404);
  });

  it('returning an app needs a reason; the developer sees it in the developer console; approval clears it', async () => {
    await createWebAccount(s.core.storage, { realm: 'developer', username: 'rev-dev', password: 'developer password' });
    const dev = new FormClient(s.url);
    await signIn(dev, 'console', 'rev-dev', 'developer password');
    const created = await submit(dev, '/console/apps/new', '/console/apps', {
      name: 'Needs Work',
      callback_urls: 'https://nw.example.com/cb',
      scope: 'seller',
    });
    const appKey = /<code>(\d{8})<\/code>/.exec(created.html)![1]!;
    assert.equal((await submit(dev, `/console/apps/${appKey}`, `/console/apps/${appKey}/submit`, {})).status, 303);

    const empty = await submit(
      admin,
      `/admin/apps/${appKey}?lang=en`,
      `/admin/apps/${appKey}/reject`,
      { reason: '  ' },
      { 'accept-language': 'en' },
    );
    assert.equal(empty.status, 400);
    assert.match(empty.html, /Write the reason for the developer \(1 to 500 characters\)\./);
    const reason = 'The privacy policy link on your callback page is missing.';
    const ok = await submit(admin, `/admin/apps/${appKey}`, `/admin/apps/${appKey}/reject`, { reason });
    assert.deepEqual([ok.status, ok.location], [303, '/admin?done=rejected']);
    assert.equal((await s.core.storage.apps.find(appKey))?.status, 'testing');
    const again = await submit(
      admin,
      `/admin/apps/${appKey}?lang=en`,
      `/admin/apps/${appKey}/reject`,
      { reason },
      { 'accept-language': 'en' },
    );
    assert.equal(again.status, 409, 'only an app in review is returned');

    const devPage = await page(dev, `/console/apps/${appKey}?lang=en`);
    assert.match(
      devPage.html,
      /<div class="warn" role="alert" id="review-note"><p><strong>The operator returned this app for changes<\/strong>/,
    );
    assert.ok(devPage.html.includes(`<p>${reason}</p>`));
    const zh = await page(dev, `/console/apps/${appKey}?lang=zh-CN`);
    assert.match(zh.html, /运营退回了此应用，请修改后重新提交/);

    const audit = await page(admin, '/admin/audit?lang=en&action=console.app_rejected');
    assert.ok(
      audit.html.includes(`<td>Operator ops</td><td>returned app ${appKey} to its developer: “${reason}”</td>`),
      audit.html,
    );

    // Resubmitted and approved: the note is gone.
    await submit(dev, `/console/apps/${appKey}`, `/console/apps/${appKey}/submit`, {});
    assert.equal(
      (await submit(admin, `/admin/apps/${appKey}`, `/admin/apps/${appKey}/status`, { status: 'live' })).status,
      303,
    );
    assert.doesNotMatch((await page(dev, `/console/apps/${appKey}?lang=en`)).html, /review-note/);
  });

  it('sellers: paged and searchable; the seller page is worded for an operator', async () => {
    const first = await page(admin, '/admin/sellers?lang=en');
    const ids = (html: string) => [...html.matchAll(/<td><a href="\/admin\/sellers\/(\d+)">/g)].map((m) => m[1]!);
    assert.equal(ids(first.html).length, 50);
    const second = await page(admin, `${nextLink(first.html)!}&lang=en`);
    assert.equal(ids(first.html).length + ids(second.html).length, 56);
    const found = await page(admin, '/admin/sellers?lang=en&q=bulk-seller-042');
    assert.equal(ids(found.html).length, 1);
    assert.match(found.html, /<td>bulk-seller-042<\/td><td>built-in account<\/td><td>1<\/td><td>active<\/td>/);

    const { location } = await authorizeThroughForms(
      s.url,
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback })}`,
      { username: s.seller.username, password: s.seller.password },
    );
    const code = new URL(location).searchParams.get('code')!;
    const tokens = await postForm(`${s.url}/oauth/token`, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: s.client.callback,
      client_id: s.client.appKey,
      client_secret: s.client.appSecret,
    });
    assert.equal(tokens.status, 200, tokens.text);
    const seller = await page(admin, `/admin/sellers/${s.seller.sellerId}?lang=en`);
    assert.equal(seller.status, 200);
    assert.match(seller.html, /<h2>Apps holding an authorization from this seller<\/h2>/);
    assert.match(seller.html, /<p class="name"><a href="\/admin\/apps\/\d{8}">Test App<\/a><\/p>/);
    assert.doesNotMatch(seller.html, /You have not authorized/);
    assert.match(seller.html, /action="\/admin\/sellers\/\d+\/password-reset"/);
    const empty = await page(admin, `/admin/sellers/${ids(found.html)[0]}?lang=zh-CN`);
    assert.match(empty.html, /没有应用持有该卖家的授权。/);
    assert.equal((await page(admin, '/admin/sellers/999999')).status, 404);
  });

  it('the audit log: in words in both languages, filtered by action and actor, paged', async () => {
    for (let i = 0; i < 60; i++)
      await s.core.storage.audit!.append({
        at: s.core.now(),
        event: 'seller.password_reset_issued',
        actor: 'operator:bulk',
        appKey: null,
        sellerId: 1000 + i,
        subject: null,
        detail: null,
      });
    const en = await page(admin, '/admin/audit?lang=en');
    assert.equal(en.status, 200);
    assert.match(en.html, /<td>Operator bulk<\/td><td>issued a one-time password reset link for seller 1059<\/td>/);
    assert.doesNotMatch(en.html, /seller\.password_reset_issued|\{&quot;/);
    const rows = (html: string) => (html.match(/<tr><td class="nowrap">/g) ?? []).length;
    assert.equal(rows(en.html), 50);
    const next = await page(admin, `${nextLink(en.html)!}&lang=en`);
    assert.ok(rows(next.html) > 0);
    const zh = await page(admin, '/admin/audit?lang=zh-CN&actor=operator:ops&action=console.*');
    assert.match(zh.html, /<td>运营 ops<\/td><td>登录了运营后台<\/td>/);
    assert.match(zh.html, /设置了两步验证/);
    assert.doesNotMatch(
      zh.html.replace(/<label for="audit-action">[^<]*<\/label>/, ''),
      /console\.operator_login|signed in/,
    );
    const filtered = await page(admin, '/admin/audit?lang=en&actor=nobody');
    assert.match(filtered.html, /Nothing recorded matches\./);
  });
});
