import { base32Decode, totp } from '../src/crypto/totp.js';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from './helpers/server.js';
import { postForm } from './helpers/browserless.js';
import { topCall } from './helpers/gateway.js';
import { chromiumSkipReason, launchChromium } from './helpers/console-chromium.js';
import { createWebAccount } from '../src/console/accounts.js';

const skip = await chromiumSkipReason();
if (skip) console.log(`# ${skip}`);

/**
 * The journeys in a real browser (Debian Chromium through playwright-core):
 * developer signs up → creates an app → copies the authorize URL; an operator approves it;
 * a seller authorizes it; the seller revokes it in the seller center and the token is
 * refused; the developer rotates the secret and both secrets work inside the window; the
 * operator suspends the app and its tokens stop working.
 */
describe('console journeys in Chromium', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const callback = 'https://shop-helper.example.com/oauth/cb';
  let appKey = '';
  let secret = '';
  let authorizeUrl = '';
  let dev: Page;
  let op: Page;
  let seller: Page;
  let lastCallback = '';

  async function newPage(lang = 'en'): Promise<Page> {
    const context = await browser.newContext({ locale: lang, extraHTTPHeaders: { 'accept-language': lang } });
    contexts.push(context);
    const page = await context.newPage();
    // The app's callback is not a real server: capture where the browser is sent.
    await page.route(/^https:\/\//, (route) => {
      lastCallback = route.request().url();
      return route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback reached' });
    });
    return page;
  }

  const clientAuthenticates = async (appSecret: string) => {
    const res = await postForm(`${s.url}/oauth/token`, {
      grant_type: 'authorization_code',
      code: 'not-a-code',
      redirect_uri: callback,
      client_id: appKey,
      client_secret: appSecret,
    });
    return res.json.error === 'invalid_grant';
  };

  async function authorizeAsSeller(): Promise<string> {
    const url = new URL(authorizeUrl);
    url.searchParams.set('state', `st-${Date.now()}`);
    await seller.goto(url.toString());
    if (await seller.locator('input[name=password]').count()) {
      await seller.fill('input[name=username]', s.seller.username);
      await seller.fill('input[name=password]', s.seller.password);
      await seller.click('button[type=submit]');
    }
    await seller.click('button[name=decision][value=approve]');
    await seller.waitForURL(/shop-helper\.example\.com/);
    const code = new URL(lastCallback).searchParams.get('code');
    assert.ok(code, `callback with a code: ${lastCallback}`);
    const res = await postForm(`${s.url}/oauth/token`, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: callback,
      client_id: appKey,
      client_secret: secret,
    });
    assert.equal(res.status, 200, res.text);
    return res.json.access_token as string;
  }
  /** A signed store.get at /router/rest: 'ok', or the error's sub_code. */
  const signedCall = async (session: string, appSecret: string) => {
    const res = await topCall(s, 'shouquan.store.get', {}, session, {
      override: { app_key: appKey },
      secret: appSecret,
    });
    return res.json.shouquan_store_get_response ? 'ok' : (res.json.error_response?.sub_code as string);
  };
  const apiStatus = async (token: string) =>
    (await fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${token}` } })).status;

  before(async () => {
    s = await startTestServer();
    await createWebAccount(s.core.storage, { realm: 'operator', username: 'ops', password: 'operator password' });
    browser = await launchChromium();
    dev = await newPage('zh-CN');
    op = await newPage();
    seller = await newPage();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await s?.close();
  });

  it('developer signs up, creates an app and copies the authorize URL', async () => {
    await dev.goto(`${s.url}/console/signup`);
    assert.equal(await dev.locator('h1').textContent(), '注册账号');
    await dev.getByLabel('账号').fill('isv-zhang');
    await dev.getByLabel('密码').fill('developer password');
    await dev.click('button[type=submit]');
    await dev.waitForURL(`${s.url}/console`);
    await dev.click('text=创建应用');
    await dev.getByLabel('应用名称').fill('Shop Helper');
    await dev.getByLabel('回调地址（每行一个）').fill(callback);
    await dev.click('button[type=submit].primary');
    appKey = await dev.inputValue('#app_key_once');
    secret = await dev.inputValue('#app_secret_once');
    authorizeUrl = await dev.inputValue('#authorize_url');
    assert.match(appKey, /^\d{8}$/);
    assert.match(secret, /^[0-9a-f]{32}$/);
    assert.equal(
      authorizeUrl,
      `${s.url}/oauth/authorize?response_type=code&client_id=${appKey}&redirect_uri=${encodeURIComponent(callback)}&state=YOUR_RANDOM_STATE`,
    );
    await dev.click('button:has-text("提交审核")');
    await dev.waitForURL(/done=submitted/);
    assert.match((await dev.locator('.badge').first().textContent()) ?? '', /审核中/);
  });

  it('operator approves the app', async () => {
    await op.goto(`${s.url}/admin/login`);
    await op.getByLabel('Username').fill('ops');
    await op.getByLabel('Password').fill('operator password');
    await op.click('button[type=submit]');
    // First sign-in: enrol TOTP (docs/adr/0161) with the code of the secret the page shows.
    await op.waitForURL(`${s.url}/admin/login/enrol`);
    const totpSecret = await op.inputValue('#totp-secret');
    await op.getByLabel('Code').fill(totp(base32Decode(totpSecret)!, Date.now()));
    await op.click('button[type=submit]');
    assert.equal(await op.locator('#recovery-codes li').count(), 10);
    await op.getByRole('link', { name: 'Continue to the operator admin' }).click();
    await op.waitForURL(`${s.url}/admin`);
    await op.getByRole('button', { name: 'Approve: Shop Helper' }).click();
    await op.waitForURL(/done=status/);
    assert.equal((await s.core.storage.apps.find(appKey))?.status, 'live');
  });

  it('seller authorizes it, then revokes it in the seller center and the token is refused', async () => {
    const token = await authorizeAsSeller();
    assert.equal(await apiStatus(token), 200);
    await seller.goto(`${s.url}/account`);
    assert.equal(await seller.locator('.item .name').first().textContent(), 'Shop Helper');
    await seller.getByRole('button', { name: 'Revoke: Shop Helper (Store One)' }).click();
    await seller.waitForURL(/done=revoked/);
    assert.match((await seller.locator('[role=status]').textContent()) ?? '', /Access revoked/);
    assert.equal(await apiStatus(token), 401);
  });

  it('developer rotates the secret and both secrets work inside the window', async () => {
    await dev.goto(`${s.url}/console/apps/${appKey}`);
    await dev.getByLabel('过渡期（小时，0 表示立即作废旧密钥）').fill('24');
    await dev.click('button:has-text("重置密钥")');
    const fresh = await dev.inputValue('#app_secret_once');
    assert.notEqual(fresh, secret);
    assert.equal(await clientAuthenticates(fresh), true);
    assert.equal(await clientAuthenticates(secret), true);
    // Signed API calls (/router/rest) take both secrets inside the window too.
    const session = await authorizeAsSeller();
    assert.equal(await signedCall(session, fresh), 'ok', 'signed with the new secret');
    assert.equal(await signedCall(session, secret), 'ok', 'signed with the old secret inside the window');
    await dev.click('button:has-text("立即作废旧密钥")');
    await dev.waitForURL(/done=previous-ended/);
    assert.equal(await clientAuthenticates(secret), false);
    assert.equal(await signedCall(session, secret), 'isv.invalid-signature', 'the old secret no longer signs');
    assert.equal(await signedCall(session, fresh), 'ok');
    secret = fresh;
  });

  it('operator suspends the app and its tokens stop working', async () => {
    const token = await authorizeAsSeller();
    assert.equal(await apiStatus(token), 200);
    await op.goto(`${s.url}/admin`);
    await op.getByRole('button', { name: 'Suspend: Shop Helper' }).click();
    await op.waitForURL(/done=status/);
    assert.equal(await apiStatus(token), 401);
    // The audit log in words (docs/adr/0162).
    await op.getByRole('link', { name: 'Audit log' }).click();
    assert.match(
      (await op.locator('table').textContent()) ?? '',
      new RegExp(`Operator opschanged app ${appKey} from “Live” to “Suspended”`),
    );
  });
});
