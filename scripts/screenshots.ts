/**
 * Screenshots of the seller-facing pages for docs/screenshots/, taken with Debian Chromium.
 *
 *   node --import tsx scripts/screenshots.ts [outDir]
 *
 * Starts a throw-away server (fresh SQLite file, one app, one seller with two stores), walks
 * authorize → login → consent in English and Chinese at phone (390 px) and desktop (1280 px)
 * widths, and writes login-390-en.png, consent-1280-zh.png, error-390-en.png and so on.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSeller } from '../src/admin.js';
import { createApp } from '../src/apps/apps.js';
import { getProfile } from '../src/profiles/registry.js';
import { buildServer, createCoreContext, openStorage } from '../src/runtime.js';
import { CHROMIUM_PATH, chromiumSkip, launchChromium } from '../test/helpers/chromium.js';

const outDir = resolve(process.argv[2] ?? 'docs/screenshots');
const skip = chromiumSkip();
if (skip) {
  console.error(`screenshots: ${skip}`);
  process.exit(1);
}

const widths = [
  { width: 390, height: 844, isMobile: true, deviceScaleFactor: 2 },
  { width: 1280, height: 800, isMobile: false, deviceScaleFactor: 1 },
];
const langs = [
  { suffix: 'en', locale: 'en-US' },
  { suffix: 'zh', locale: 'zh-CN' },
];

const dir = mkdtempSync(join(tmpdir(), 'shouquan-screenshots-'));
const storage = await openStorage(`sqlite:${join(dir, 'screenshots.db')}`, { createIfMissing: true });
const core = await createCoreContext({ storage, profile: getProfile('standard'), issuer: 'http://127.0.0.1' });
const server = await buildServer({ core, logger: false, sandbox: true });
await server.listen({ host: '127.0.0.1', port: 0 });
const address = server.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
core.issuer = base;

const callback = `${base}/sandbox/callback`;
const app = await createApp(storage, core.secretKey, { name: '掌柜助手 ShopKeeper ERP', callbacks: [callback] });
const seller = { username: 'hangzhou-tea', password: 'correct horse battery' };
await createSeller(storage, {
  ...seller,
  stores: ['西湖龙井旗舰店 West Lake Tea Flagship', 'Hangzhou Tea Outlet 杭州茶叶折扣店'],
});

const authorizeUrl = `${base}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.appKey, redirect_uri: callback, state: 'screenshots' })}`;
const written: string[] = [];

try {
  mkdirSync(outDir, { recursive: true });
  for (const lang of langs) {
    for (const w of widths) {
      const browser = await launchChromium({
        viewport: { width: w.width, height: w.height },
        locale: lang.locale,
        isMobile: w.isMobile,
        deviceScaleFactor: w.deviceScaleFactor,
      });
      try {
        const page = browser.context.pages()[0] ?? (await browser.context.newPage());
        const shot = async (name: string) => {
          const path = join(outDir, `${name}-${w.width}-${lang.suffix}.png`);
          await page.screenshot({ path, fullPage: true });
          written.push(path);
        };
        await page.goto(authorizeUrl);
        await shot('login');
        await page.locator('#username').fill(seller.username);
        await page.locator('#password').fill(seller.password);
        await page.locator('button[type=submit]').click();
        await page.waitForURL(/\/oauth\/interaction\/[^/?]+$/);
        await shot('consent');
        if (w.isMobile) {
          // An authorization request the server must refuse without redirecting (unknown client).
          await page.goto(
            `${base}/oauth/authorize?response_type=code&client_id=99999999&redirect_uri=${encodeURIComponent(callback)}`,
          );
          await shot('error');
        }
      } finally {
        await browser.close();
      }
    }
  }
  console.log(`screenshots (Chromium at ${CHROMIUM_PATH}):\n${written.map((p) => `  ${p}`).join('\n')}`);
} finally {
  await server.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
