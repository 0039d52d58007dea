/**
 * Screenshots of the seller center, developer console and operator admin at 390 px and
 * 1280 px, in English and Simplified Chinese: docs/screenshots/console-*.png.
 * Run: npx tsx scripts/screenshots-console.ts   (needs /usr/bin/chromium)
 */
import { mkdirSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createSeller } from '../src/admin.js';
import { createApp } from '../src/apps/apps.js';
import { createWebAccount } from '../src/console/accounts.js';
import { updateApp } from '../src/apps/apps.js';
import { getProfile } from '../src/profiles/registry.js';
import { buildServer, createCoreContext, openStorage } from '../src/runtime.js';
import { chromiumSkipReason, launchChromium } from '../test/helpers/console-chromium.js';

const OUT = 'docs/screenshots';

const skip = await chromiumSkipReason();
if (skip) {
  console.error(skip);
  process.exit(1);
}
mkdirSync(OUT, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'shouquan-shots-'));
const storage = await openStorage(`sqlite:${join(dir, 'shots.db')}`, { createIfMissing: true });
const core = await createCoreContext({
  storage,
  profile: getProfile(process.env.SHOUQUAN_PROFILE ?? 'standard'),
  issuer: 'http://127.0.0.1',
});
const server = await buildServer({ core, logger: false });
await server.listen({ host: '127.0.0.1', port: 0 });
const addr = server.server.address();
const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
core.issuer = base;

// Data: a seller with two authorizations, a developer with apps, an operator.
const seller = await createSeller(storage, {
  username: 'lin-store',
  password: 'seller password',
  stores: ['林记茶行 旗舰店', 'Lin Tea Outlet'],
});
const erp = await createApp(storage, core.secretKey, { name: '聚星 ERP', callbacks: ['https://erp.example.com/cb'] });
await updateApp(storage, erp.appKey, { logoUrl: 'https://cdn.example.com/erp-logo.svg' }, Date.now());
await createSeller(storage, {
  username: 'chain-store',
  password: 'seller password',
  stores: [
    '星河数码 北京店',
    '星河数码 上海店',
    '星河数码 广州店',
    '星河数码 深圳店',
    'Galaxy Digital HK',
    'Galaxy Digital Outlet',
    '星河数码 成都店',
    '星河数码 杭州店',
  ],
});
const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 44 44"><rect width="44" height="44" rx="10" fill="#1d4ed8"/><path d="M22 8l4 9 10 1-7.5 6.5L31 34l-9-5-9 5 2.5-9.5L8 18l10-1z" fill="#fde047"/></svg>';
const crm = await createApp(storage, core.secretKey, {
  name: 'Orderly CRM',
  callbacks: ['https://crm.example.com/cb'],
});
const now = Date.now();
for (const [appKey, store, age] of [
  [erp.appKey, seller.stores[0]!.storeId, 30],
  [crm.appKey, seller.stores[1]!.storeId, 3],
] as const) {
  const grantId = `g-${appKey}`;
  await storage.grants.createWithTokens({
    now: now - age * 86400_000,
    grant: {
      grantId,
      appKey,
      sellerId: seller.sellerId,
      storeId: store,
      scope: ['seller'],
      createdAt: now - age * 86400_000,
      revokedAt: null,
      revokedReason: null,
    },
    tokens: [
      {
        tokenHash: `h-${appKey}`,
        kind: 'access',
        grantId,
        appKey,
        scope: ['seller'],
        createdAt: now - 3600_000 * (age + 1),
        expiresAt: now + 7200_000,
        revokedAt: null,
        rotatedAt: null,
      },
    ],
  });
}
const devAccount = await createWebAccount(storage, {
  realm: 'developer',
  username: 'zhang.dev',
  password: 'developer password',
});
const mine = await createApp(storage, core.secretKey, {
  name: 'Inventory Sync',
  callbacks: ['https://sync.example.com/oauth/callback'],
  status: 'testing',
});
await updateApp(
  storage,
  mine.appKey,
  {
    developerId: devAccount.accountId,
    description: 'Keeps stock levels in step across stores.',
    webhookUrl: 'https://sync.example.com/hooks/shouquan',
  },
  now,
);
const review = await createApp(storage, core.secretKey, {
  name: '小票打印助手',
  callbacks: ['https://print.example.com/cb'],
  status: 'submitted',
});
await updateApp(storage, review.appKey, { developerId: devAccount.accountId, description: '订单自动打印小票。' }, now);
// Recent gateway calls of "Inventory Sync" for its console page (as the gateway's call log writes them).
const methods = [
  'shouquan.products.list',
  'shouquan.store.get',
  'shouquan.orders.list',
  'shouquan.products.update',
  'shouquan.orders.ship',
];
const outcomes: Array<[number | null, string | null, number]> = [
  [null, null, 200],
  [null, null, 200],
  [null, null, 200],
  [25, 'isv.invalid-signature', 200],
  [null, null, 200],
  [11, 'isv.permission-api-package-empty', 200],
  [null, null, 200],
  [27, 'invalid-sessionkey', 200],
];
await storage.gateway!.calls.append(
  Array.from({ length: 36 }, (_, i) => {
    const [code, subCode, httpStatus] = outcomes[(i * 5) % outcomes.length]!;
    return {
      appKey: mine.appKey,
      method: methods[(i * 3) % methods.length]!,
      face: 'router' as const,
      storeId: seller.stores[0]!.storeId,
      sellerId: seller.sellerId,
      code,
      subCode,
      httpStatus,
      durationMs: 4 + ((i * 37) % 90),
      at: now - (36 - i) * 7 * 60_000,
    };
  }),
);
await createWebAccount(storage, { realm: 'operator', username: 'ops-wang', password: 'operator password' });
await storage.audit?.append({
  at: now - 600_000,
  actor: 'developer:zhang.dev',
  event: 'console.app_submitted',
  appKey: review.appKey,
  sellerId: null,
  subject: null,
  detail: null,
});

const browser = await launchChromium();
const shots: string[] = [];
async function shoot(page: Page, name: string) {
  const file = `${OUT}/console-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
}
async function fill(page: Page, fields: Record<string, string>) {
  for (const [k, v] of Object.entries(fields)) await page.fill(`[name="${k}"]`, v);
}

for (const lang of ['en', 'zh-CN'] as const) {
  for (const width of [390, 1280]) {
    const tag = `${lang === 'en' ? 'en' : 'zh'}-${width}`;
    const context = await browser.newContext({
      viewport: { width, height: width === 390 ? 844 : 800 },
      locale: lang,
      extraHTTPHeaders: { 'accept-language': lang },
    });
    const page = await context.newPage();
    await page.route(/^https:\/\//, (route) =>
      route.request().url().endsWith('.svg')
        ? route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO })
        : route.fulfill({ status: 404, body: '' }),
    );

    // Seller center.
    await page.goto(`${base}/account/login`);
    await shoot(page, `account-login-${tag}`);
    await fill(page, { username: 'lin-store', password: 'seller password' });
    await page.click('button[type=submit].primary');

    await page.waitForURL(`${base}/account`);
    await shoot(page, `account-home-${tag}`);

    // Operator admin.
    await page.goto(`${base}/admin/login`);
    await shoot(page, `admin-login-${tag}`);
    await fill(page, { username: 'ops-wang', password: 'operator password' });
    await page.click('button[type=submit].primary');
    await page.waitForURL(`${base}/admin`);
    await page.goto(`${base}/admin?seller=lin-store`);
    await shoot(page, `admin-home-${tag}`);

    // Developer console.
    await page.goto(`${base}/console/signup`);
    await shoot(page, `dev-signup-${tag}`);
    await page.goto(`${base}/console/login`);
    await fill(page, { username: 'zhang.dev', password: 'developer password' });
    await page.click('button[type=submit].primary');
    await page.waitForURL(`${base}/console`);
    await shoot(page, `dev-home-${tag}`);
    await page.goto(`${base}/console/apps/new`);
    await fill(page, {
      name: lang === 'en' ? 'Price Watch' : '价格监控',
      description: lang === 'en' ? 'Alerts when prices change.' : '价格变动时提醒。',
      callback_urls: 'https://watch.example.com/cb',
    });
    await shoot(page, `dev-new-app-${tag}`);
    await page.click('button[type=submit].primary');
    await page.waitForSelector('#app_secret_once');
    await shoot(page, `dev-app-created-${tag}`);
    await page.goto(`${base}/console/apps/${mine.appKey}`);
    await shoot(page, `dev-app-${tag}`);

    // An error page (a form from elsewhere).
    await page.goto(`${base}/account`);
    await page.evaluate(() =>
      document.querySelectorAll<HTMLInputElement>('input[name=csrf_token]').forEach((i) => (i.value = 'forged')),
    );
    await page.click('header form button');
    await page.waitForLoadState();
    await shoot(page, `error-csrf-${tag}`);

    // Authorize pages: logo, remember me, store search (many stores), a testing app refused.
    const other = await browser.newContext({
      viewport: { width, height: width === 390 ? 844 : 800 },
      locale: lang,
      extraHTTPHeaders: { 'accept-language': lang },
    });
    const p2 = await other.newPage();
    await p2.route(/^https:\/\//, (route) =>
      route.request().url().endsWith('.svg')
        ? route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO })
        : route.fulfill({ status: 404, body: '' }),
    );
    await p2.goto(
      `${base}/oauth/authorize?response_type=code&client_id=${erp.appKey}&redirect_uri=${encodeURIComponent('https://erp.example.com/cb')}&state=s`,
    );
    await p2.waitForLoadState('networkidle');
    await shoot(p2, `authorize-login-${tag}`);
    await fill(p2, { username: 'chain-store', password: 'seller password' });
    await p2.check('input[name=remember]');
    await p2.click('button[type=submit].primary');
    await p2.waitForSelector('input[name=store_id]');
    await p2.waitForLoadState('networkidle');
    await shoot(p2, `authorize-consent-stores-${tag}`);
    await p2.fill('#store-q', '上海');
    await p2.click('.store-search button');
    await p2.waitForLoadState('networkidle');
    await shoot(p2, `authorize-consent-search-${tag}`);
    await p2.goto(
      `${base}/oauth/authorize?response_type=code&client_id=${mine.appKey}&redirect_uri=${encodeURIComponent('https://sync.example.com/oauth/callback')}&state=s`,
    );
    await p2.waitForSelector('p.error[role=alert]');
    await shoot(p2, `authorize-testing-refused-${tag}`);
    await other.close();
    await context.close();
  }
}
await browser.close();
await server.close();
await storage.close();
rmSync(dir, { recursive: true, force: true });
console.log(shots.join('\n'));
