import { hashPassword } from '../crypto/password.js';
import type { Storage } from '../storage/ports.js';
import type { WebAccount, WebRealm } from '../storage/console-ports.js';

/**
 * Create a developer or operator account (argon2id password). Throws `DuplicateError` when the
 * username is taken in that realm, and an Error naming the rule for a bad username or password.
 */
export async function createWebAccount(
  storage: Storage,
  input: { realm: WebRealm; username: string; password: string; now?: number },
): Promise<WebAccount> {
  const username = input.username.trim();
  if (!/^[\p{L}\p{N}_.@-]{3,64}$/u.test(username))
    throw new Error('--username must be 3 to 64 letters, digits or _ . @ -');
  if (input.password.length < 8) throw new Error('--password must be at least 8 characters');
  return storage.console.createAccount({
    realm: input.realm,
    username,
    passwordHash: await hashPassword(input.password),
    createdAt: input.now ?? Date.now(),
  });
}
