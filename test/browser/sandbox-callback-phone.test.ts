import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { chromiumSkip, launchChromium } from '../helpers/chromium.js';

/**
 * The sandbox callback page on a 390 px phone: the code, the state and the long curl line wrap
 * inside the page instead of widening it (issue 17: `code` had no wrap rule).
 */
describe('sandbox callback page on a 390 px phone (Chromium)', { skip: chromiumSkip(), timeout: 120_000 }, () => {
  let s: TestServer;
  let dir: string;
  before(async () => {
    s = await startTestServer({ callback: (url) => `${url}/sandbox/callback` });
    dir = mkdtempSync(join(tmpdir(), 'shouquan-shot-'));
  });
  after(async () => {
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('nothing is wider than the screen', async () => {
    const browser = await launchChromium({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      deviceScaleFactor: 2,
    });
    try {
      const page = browser.context.pages()[0] ?? (await browser.context.newPage());
      // Codes and states are long unbroken tokens; an ISV's state can be longer still.
      const q = new URLSearchParams({
        code: 'Xq3v9Lr0aZkPp2b7TnWc4YdHs1uJe8FgRm5oKiQx6NlVw',
        state: 'a'.repeat(80),
        iss: s.url,
      });
      const res = await page.goto(`${s.url}/sandbox/callback?${q}`);
      assert.equal(res?.status(), 200);
      const widths = await page.evaluate(() => ({
        doc: document.documentElement.scrollWidth,
        body: document.body.scrollWidth,
        viewport: window.innerWidth,
      }));
      assert.equal(widths.viewport, 390);
      assert.ok(widths.doc <= 390 && widths.body <= 390, `page is ${widths.doc}px wide on a 390px screen`);
      const file = join(dir, 'sandbox-callback-390.png');
      await page.screenshot({
        path: process.env.SHOUQUAN_SHOT_DIR ? join(process.env.SHOUQUAN_SHOT_DIR, 'sandbox-callback-390.png') : file,
        fullPage: true,
      });
      if (!process.env.SHOUQUAN_SHOT_DIR) assert.ok(statSync(file).size > 0);
    } finally {
      await browser.close();
    }
  });
});
