import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Formats for opaque credentials. Both carry at least 128 bits from the CSPRNG
 * (RFC 6749 §10.10, RFC 6819 §5.1.4.2.2).
 * - `base64url`: 32 random bytes (256 bits), URL-safe.
 * - `hex32`: 16 random bytes (128 bits) as 32 lowercase hex characters, the shape the
 *   legacy platform docs show (`6a42dbd2ef9cf3489a4913039838e12b`).
 */
export type TokenFormat = 'base64url' | 'hex32';

/** A fresh random credential in the given format. */
export function randomToken(format: TokenFormat = 'base64url'): string {
  return format === 'hex32' ? randomBytes(16).toString('hex') : randomBytes(32).toString('base64url');
}

/** A random identifier for non-secret rows (grants, interactions). */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 of a credential, hex: how tokens, codes and session ids are stored at rest. */
export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** HMAC-SHA256 with a server key, hex: how app secrets are stored (see docs/adr/0003). */
export function keyedHash(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/** Constant-time comparison of two strings (lengths leak only when they differ). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    // Compare against itself so both branches do similar work.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
