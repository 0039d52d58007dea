import { hashPassword } from './crypto/password.js';
import type { Storage, StoreRecord } from './storage/ports.js';

/** Apps moved to their own module (docs/adr/0130); re-exported for imports written before it. */
export { createApp, validateCallbackUrl, validateScopeToken, type CreatedApp } from './apps/apps.js';

/** Check a new seller's username, password and store names; throws naming the first problem. */
export function checkSellerInput(input: { username: string; password: string; stores: string[] }): {
  username: string;
  stores: string[];
} {
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
