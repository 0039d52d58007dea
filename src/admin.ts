import { randomInt } from 'node:crypto';
import { hashAppSecret } from './core/client-auth.js';
import { hashPassword } from './crypto/password.js';
import { randomToken } from './crypto/tokens.js';
import { sealSecret } from './gateway/secret-seal.js';
import { DuplicateError, type AppStatus, type Storage, type StoreRecord } from './storage/ports.js';

/** Check a callback URL as RFC 6749 §3.1.2 requires: absolute, no fragment; http(s) only. */
export function validateCallbackUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`callback "${raw}" is not an absolute URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`callback "${raw}" must use http or https`);
  if (u.hash || raw.includes('#')) throw new Error(`callback "${raw}" may not contain a fragment (RFC 6749 §3.1.2)`);
  if (u.username || u.password) throw new Error(`callback "${raw}" may not contain user info`);
  return raw;
}

export interface CreatedApp {
  appKey: string;
  appSecret: string;
}

/**
 * Register an app. The secret is returned once and stored only as a keyed hash.
 * AppKeys are 8 digits like the platforms' (`23075594`); a collision is retried.
 */
export async function createApp(
  storage: Storage,
  secretKey: Buffer,
  input: { name: string; callbacks: string[]; scopes?: string[]; status?: AppStatus; appKey?: string; appSecret?: string; now?: number },
): Promise<CreatedApp> {
  const name = input.name.trim();
  if (name === '') throw new Error('--name may not be empty');
  if (input.callbacks.length === 0) throw new Error('at least one --callback is required');
  const callbacks = input.callbacks.map(validateCallbackUrl);
  const appSecret = input.appSecret ?? randomToken('hex32');
  for (let attempt = 0; ; attempt++) {
    const appKey = input.appKey ?? String(randomInt(10_000_000, 100_000_000));
    try {
      await storage.apps.create({
        appKey,
        name,
        secretHash: hashAppSecret({ secretKey }, appSecret),
        callbackUrls: callbacks,
        scopes: input.scopes ?? ['seller'],
        status: input.status ?? 'live',
        createdAt: input.now ?? Date.now(),
      });
      // The gateway checks TOP signatures with the secret itself, kept sealed (docs/adr/0030).
      await storage.gateway?.apps.upsert(appKey, { sealedSecret: sealSecret(secretKey, appKey, appSecret) });
      return { appKey, appSecret };
    } catch (e) {
      if (!(e instanceof DuplicateError) || input.appKey !== undefined || attempt >= 5) throw e;
    }
  }
}

/** Check a new seller's username, password and store names; throws naming the first problem. */
export function checkSellerInput(input: { username: string; password: string; stores: string[] }): { username: string; stores: string[] } {
  const username = input.username.trim();
  if (!/^[\p{L}\p{N}_.@-]{3,64}$/u.test(username)) {
    throw new Error('--username must be 3 to 64 letters, digits or _ . @ -');
  }
  if (input.password.length < 8) throw new Error('--password must be at least 8 characters');
  const stores = input.stores.map((s) => s.trim());
  if (stores.length === 0) throw new Error('at least one --store is required');
  if (stores.some((s) => s === '')) throw new Error('--store may not be empty');
  return { username, stores };
}

/** Create a seller with stores. Passwords are hashed with argon2id. */
export async function createSeller(
  storage: Storage,
  input: { username: string; password: string; stores: string[]; now?: number },
): Promise<{ sellerId: number; stores: StoreRecord[] }> {
  const { username, stores } = checkSellerInput(input);
  const passwordHash = await hashPassword(input.password);
  const created = await storage.sellers.create({ username, passwordHash, createdAt: input.now ?? Date.now() }, stores);
  return { sellerId: created.seller.sellerId, stores: created.stores };
}
