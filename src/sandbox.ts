import { hashPassword } from './crypto/password.js';
import { randomToken } from './crypto/tokens.js';
import { createSeller } from './admin.js';
import { createApp, renewAppSecret } from './apps/apps.js';
import { fillSandboxData } from './gateway/sandbox-data.js';
import type { Storage, StoreRecord } from './storage/ports.js';

export const SANDBOX_APP_KEY = '10000001';
export const SANDBOX_USERNAME = 'demo-seller';

export interface SandboxCredentials {
  appKey: string;
  appSecret: string;
  callbacks: string[];
  username: string;
  password: string;
  stores: StoreRecord[];
}

/** The settings key a sandbox start leaves in its database (docs/adr/0120-sandbox-stays-a-sandbox.md). */
export const SANDBOX_MARKER = 'sandbox';

/** The sandbox app's redirect URIs for an issuer: its own callback page and the client demo's. */
export function sandboxCallbacks(issuer: string, extra: string[] = []): string[] {
  return [
    ...new Set([
      `${issuer}/sandbox/callback`,
      'http://127.0.0.1:8080/callback',
      'http://localhost:8080/callback',
      ...extra,
    ]),
  ];
}

/**
 * Make sure the demo app and the demo seller (two stores) exist, and give both fresh
 * credentials: secrets are stored hashed, so the only way to print them is to renew them.
 * The app's callbacks follow the issuer (a restart on another port keeps the printed authorize
 * URL working); `extraCallbacks` adds more (the client demo on another port).
 */
export async function ensureSandbox(
  storage: Storage,
  secretKey: Buffer,
  issuer: string,
  opts: { extraCallbacks?: string[] } = {},
): Promise<SandboxCredentials> {
  await storage.settings.setIfAbsent(SANDBOX_MARKER, 'true');
  const appSecret = randomToken('hex32');
  const password = randomToken('hex32').slice(0, 16);
  const callbacks = sandboxCallbacks(issuer, opts.extraCallbacks);
  // The hash and the sealed copy change together (one transaction, docs/adr/0130).
  const renewed = await renewAppSecret(storage, secretKey, SANDBOX_APP_KEY, appSecret, Date.now());
  if (renewed) await storage.apps.update(SANDBOX_APP_KEY, { callbackUrls: callbacks });
  else await createApp(storage, secretKey, { name: 'Demo App', callbacks, appKey: SANDBOX_APP_KEY, appSecret });

  const seller = await storage.sellers.findByUsername(SANDBOX_USERNAME);
  let stores: StoreRecord[];
  if (seller) {
    await storage.sellers.setPasswordHash(seller.sellerId, await hashPassword(password));
    stores = await storage.sellers.stores(seller.sellerId);
  } else {
    const created = await createSeller(storage, {
      username: SANDBOX_USERNAME,
      password,
      stores: ['Demo Store A', 'Demo Store B'],
    });
    stores = created.stores;
  }
  if (storage.gateway) await fillSandboxData(storage.gateway, stores, Date.now());
  return { appKey: SANDBOX_APP_KEY, appSecret, callbacks, username: SANDBOX_USERNAME, password, stores };
}

/**
 * A server started without `--sandbox` on a database a sandbox once ran on (its marker, or the
 * demo app as older versions made it): give the demo app and the demo seller credentials that
 * were never printed, so the secret and password a sandbox start showed stop working
 * (docs/adr/0120-sandbox-stays-a-sandbox.md). The next `--sandbox` start renews them anyway.
 * Returns true when it changed something.
 */
export async function retireSandboxCredentials(storage: Storage, secretKey: Buffer): Promise<boolean> {
  const app = await storage.apps.find(SANDBOX_APP_KEY);
  const marked = (await storage.settings.get(SANDBOX_MARKER)) === 'true';
  const legacyDemo = app?.name === 'Demo App' && app.callbackUrls.some((u) => u.endsWith('/sandbox/callback'));
  if (!marked && !legacyDemo) return false;
  let changed = false;
  if (app) {
    await renewAppSecret(storage, secretKey, SANDBOX_APP_KEY, randomToken('hex32'), Date.now());
    changed = true;
  }
  const seller = await storage.sellers.findByUsername(SANDBOX_USERNAME);
  if (seller) {
    await storage.sellers.setPasswordHash(seller.sellerId, await hashPassword(randomToken('hex32')));
    changed = true;
  }
  return changed;
}
