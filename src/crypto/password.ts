import argon2 from 'argon2';

/**
 * Seller and operator passwords: argon2id at OWASP's minimum (m=19 MiB, t=2, p=1),
 * computed on libuv's thread pool so the event loop keeps serving token requests.
 * See OWASP Password Storage Cheat Sheet.
 */
export const PASSWORD_HASH_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Hash a password for storage (PHC string). */
export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, PASSWORD_HASH_OPTIONS);
}

/** A hash of a random password, used to spend equal time when a username is unknown. */
let dummyHash: Promise<string> | undefined;

/** Verify a password; with `hash` undefined it still spends the time of one verification. */
export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  if (hash === undefined) {
    dummyHash ??= hashPassword('dummy-password-for-timing');
    await argon2.verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
