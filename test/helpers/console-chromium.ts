/** Chromium for the console journeys and screenshots: one Browser, many contexts (fresh profile per launch). */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's Chromium (apt install chromium). */
export const CHROMIUM_PATH = process.env.SHOUQUAN_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests are skipped, or false when Chromium and playwright-core are there. */
export async function chromiumSkipReason(): Promise<string | false> {
  if (!existsSync(CHROMIUM_PATH))
    return `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium): browser tests skipped`;
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core is not installed: browser tests skipped';
  }
  return false;
}

/** Launch headless Chromium with a fresh profile and no background network chatter. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
