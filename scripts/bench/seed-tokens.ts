import { randomBytes } from 'node:crypto';
import type { Storage, TokenRecord } from '../../src/storage/ports.js';

/** The micro-benches' fixtures (storage-micro.ts, pg-driver.ts): written through the storage, as the server does. */
export const hex = (): string => randomBytes(32).toString('hex');

/** Register the bench's app, `app`. */
export async function createBenchApp(storage: Storage): Promise<void> {
  await storage.apps.create(
    {
      appKey: 'app',
      name: 'A',
      secretHash: hex(),
      callbackUrls: ['https://a/cb'],
      scopes: ['seller'],
      status: 'live',
      createdAt: Date.now(),
    },
    { sealedSecret: hex() },
  );
}

/** A live token of the bench's app for a grant, an hour long. */
export const benchToken = (grantId: string, kind: 'access' | 'refresh', now: number): TokenRecord => ({
  tokenHash: hex(),
  kind,
  grantId,
  appKey: 'app',
  scope: ['seller'],
  createdAt: now,
  expiresAt: now + 3_600_000,
  revokedAt: null,
  rotatedAt: null,
});

/** `count` grants of the bench's app, one seller each, each with one live access token; their hashes. */
export async function seedAccessTokens(storage: Storage, count: number, now = Date.now()): Promise<string[]> {
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) {
    const grant = {
      grantId: `g${i}`,
      appKey: 'app',
      sellerId: i + 1,
      storeId: 1,
      scope: ['seller'],
      createdAt: now,
      revokedAt: null,
      revokedReason: null,
    };
    const t = benchToken(grant.grantId, 'access', now);
    hashes.push(t.tokenHash);
    await storage.grants.createWithTokens({ now, grant, tokens: [t] });
  }
  return hashes;
}
