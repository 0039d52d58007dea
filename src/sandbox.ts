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

/**
 * Make sure the demo app and the demo seller (two stores) exist, and give both fresh
 * credentials: secrets are stored hashed, so the only way to print them is to renew them.
 */
export async function ensureSandbox(storage: Storage, secretKey: Buffer, issuer: string): Promise<SandboxCredentials> {
  const appSecret = randomToken('hex32');
  const password = randomToken('hex32').slice(0, 16);
  const callbacks = [`${issuer}/sandbox/callback`, 'http://127.0.0.1:8080/callback', 'http://localhost:8080/callback'];
  // The hash and the sealed copy change together (one transaction, docs/adr/0130).
  const renewed = await renewAppSecret(storage, secretKey, SANDBOX_APP_KEY, appSecret, Date.now());
  if (!renewed) await createApp(storage, secretKey, { name: 'Demo App', callbacks, appKey: SANDBOX_APP_KEY, appSecret });
  const app = await storage.apps.find(SANDBOX_APP_KEY);

  let seller = await storage.sellers.findByUsername(SANDBOX_USERNAME);
  let stores: StoreRecord[];
  if (seller) {
    await storage.sellers.setPasswordHash(seller.sellerId, await hashPassword(password));
    stores = await storage.sellers.stores(seller.sellerId);
  } else {
    const created = await createSeller(storage, { username: SANDBOX_USERNAME, password, stores: ['Demo Store A', 'Demo Store B'] });
    stores = created.stores;
  }
  if (storage.gateway) await fillSandboxData(storage.gateway, stores, Date.now());
  return { appKey: SANDBOX_APP_KEY, appSecret, callbacks: app?.callbackUrls ?? callbacks, username: SANDBOX_USERNAME, password, stores };
}
