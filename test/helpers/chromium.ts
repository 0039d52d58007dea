import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The Debian Chromium the browser tests and the screenshot script drive (apt-get install chromium). */
export const CHROMIUM_PATH = process.env.SHOUQUAN_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests are skipped when there is no Chromium (the message test runners print). */
export const CHROMIUM_SKIP = `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set SHOUQUAN_CHROMIUM): browser tests skipped`;

/** `false` when Chromium is there, else the skip message, for `describe(name, { skip }, …)`. */
export function chromiumSkip(): string | false {
  return existsSync(CHROMIUM_PATH) ? false : CHROMIUM_SKIP;
}

/** Flags for a quiet, headless Chromium in a container: no sandbox, GPU, QUIC or background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchOptions {
  viewport?: { width: number; height: number };
  locale?: string;
  javaScriptEnabled?: boolean;
  isMobile?: boolean;
  deviceScaleFactor?: number;
}

/** A Chromium context on a fresh user-data directory; `close()` removes the directory. */
export async function launchChromium(
  opts: LaunchOptions = {},
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'shouquan-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: opts.viewport ?? { width: 1280, height: 800 },
      locale: opts.locale ?? 'en-US',
      javaScriptEnabled: opts.javaScriptEnabled ?? true,
      isMobile: opts.isMobile ?? false,
      hasTouch: opts.isMobile ?? false,
      deviceScaleFactor: opts.deviceScaleFactor ?? 1,
    });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
