import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { postForm } from '../helpers/browserless.js';
import { chromiumSkip, launchChromium } from '../helpers/chromium.js';

/**
 * A real browser (Debian Chromium through playwright-core) walks the seller's side of the
 * authorization code flow: login, pick the second store, approve, land on the callback.
 * The callback is the server's own /sandbox/callback, so the whole trip stays on 127.0.0.1.
 */
describe('authorization in a real browser (Chromium)', { skip: chromiumSkip(), timeout: 120_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ callback: (url) => `${url}/sandbox/callback` });
  });
  after(async () => s?.close());

  const authorizeUrl = (extra: Record<string, string> = {}) =>
    `${s.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'browser-state', ...extra })}`;

  async function withBrowser(
    opts: Parameters<typeof launchChromium>[0],
    fn: (page: Page, context: BrowserContext) => Promise<void>,
  ) {
    const browser = await launchChromium(opts);
    try {
      const page = browser.context.pages()[0] ?? (await browser.context.newPage());
      await fn(page, browser.context);
    } finally {
      await browser.close();
    }
  }

  it('logs in, ticks both stores, approves and lands on the callback with a code for both (no JavaScript)', async () => {
    await withBrowser({ javaScriptEnabled: false }, async (page) => {
      const first = await page.goto(authorizeUrl());
      assert.equal(first?.status(), 200);
      assert.match(new URL(page.url()).pathname, /^\/oauth\/interaction\/[^/]+$/);
      assert.equal(await page.title(), 'Sign in · Shouquan');
      assert.equal(await page.locator('h1').textContent(), 'Sign in');

      // The inputs are reachable by their labels (what screen readers announce).
      await page.getByLabel('Username').fill(s.seller.username);
      await page.getByLabel('Password').fill(s.seller.password);
      await page.getByRole('button', { name: 'Sign in' }).click();

      await page.waitForURL(/\/oauth\/interaction\/[^/?]+$/);
      assert.equal(await page.locator('h1').textContent(), 'Test App wants to access your store');
      // Standard profile: several stores in one grant, as store_id checkboxes (docs/adr/0135).
      const choose = page.getByRole('group', { name: 'Choose the stores to authorize (one or more)' });
      assert.equal(await choose.getByRole('checkbox').count(), 2);
      assert.deepEqual(
        await page
          .locator('input[name="store_id"]')
          .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)),
        s.seller.stores.map((x) => String(x.storeId)),
      );
      assert.equal(await page.getByLabel('Store One').isChecked(), true, 'the first store is preselected');
      assert.equal(await page.getByLabel('Store Two').isChecked(), false);
      await page.getByLabel('Store Two').check();
      assert.equal(await page.getByLabel('Store One').isChecked(), true, 'ticking one store keeps the other');

      await page.getByRole('button', { name: 'Authorize' }).click();
      await page.waitForURL((u) => u.pathname === '/sandbox/callback');

      const cb = new URL(page.url());
      assert.equal(`${cb.origin}${cb.pathname}`, s.client.callback);
      assert.equal(cb.searchParams.get('state'), 'browser-state');
      assert.equal(cb.searchParams.get('iss'), s.url);
      const code = cb.searchParams.get('code');
      assert.ok(code && code.length >= 22, `a code in ${cb.search}`);
      assert.equal(await page.locator('h1').textContent(), 'Authorization code received');

      // The code is for both stores; store_id picks one.
      const tokens = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(tokens.status, 200, tokens.text);
      const auth = { authorization: `Bearer ${tokens.json.access_token}` };
      const stores = await fetch(`${s.url}/api/v1/stores`, { headers: auth });
      assert.deepEqual(await stores.json(), {
        stores: s.seller.stores.map((x) => ({ store_id: x.storeId, name: x.name })),
      });
      const store = await fetch(`${s.url}/api/v1/store?store_id=${s.seller.stores[1]!.storeId}`, { headers: auth });
      assert.deepEqual(await store.json(), { store_id: s.seller.stores[1]!.storeId, name: 'Store Two' });
    });
  });

  it('shows a wrong password as an alert and keeps the username', async () => {
    await withBrowser({ javaScriptEnabled: false }, async (page) => {
      await page.goto(authorizeUrl());
      await page.getByLabel('Username').fill(s.seller.username);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState();
      assert.equal(await page.getByRole('alert').textContent(), 'The username or password is wrong.');
      assert.equal(await page.getByLabel('Username').inputValue(), s.seller.username);
      assert.equal(await page.getByLabel('Password').inputValue(), '');
    });
  });

  it('sends a denial back to the callback as access_denied', async () => {
    await withBrowser({ javaScriptEnabled: false, locale: 'zh-CN' }, async (page) => {
      await page.goto(authorizeUrl({ state: 'deny-state' }));
      assert.equal(await page.locator('h1').textContent(), '登录');
      await page.getByLabel('账号').fill(s.seller.username);
      await page.getByLabel('密码').fill(s.seller.password);
      await page.getByRole('button', { name: '登录' }).click();
      await page.waitForURL(/\/oauth\/interaction\/[^/?]+$/);
      await page.getByRole('button', { name: '取消' }).click();
      await page.waitForURL((u) => u.pathname === '/sandbox/callback');
      const cb = new URL(page.url());
      assert.equal(cb.searchParams.get('error'), 'access_denied');
      assert.equal(cb.searchParams.get('state'), 'deny-state');
      assert.equal(cb.searchParams.get('code'), null);
    });
  });

  it('shows a visible focus ring when moving through the login form with the keyboard', async () => {
    await withBrowser({}, async (page) => {
      await page.goto(authorizeUrl());
      // The username field has autofocus (applied by the browser shortly after load).
      await page.waitForFunction('document.activeElement && document.activeElement.id === "username"');
      // Evaluated in the page (a string, since this project type-checks without the DOM library).
      const focused = async () =>
        page.evaluate<{ id: string; outline: string }>(`(() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return { id: el.id || el.tagName.toLowerCase(), outline: style.outlineStyle + ' ' + style.outlineWidth };
        })()`);
      const seen = [await focused()];
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Tab');
        seen.push(await focused());
      }
      for (const f of seen) assert.equal(f.outline, 'solid 3px', `focus ring on ${f.id}`);
      assert.deepEqual(
        seen.map((f) => f.id),
        ['username', 'password', 'remember', 'button'], // remember me (issue 7) sits between password and submit
      );
    });
  });
});
