import { createHmac, hash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

/**
 * Formats for opaque credentials. Both carry at least 128 bits from the CSPRNG
 * (RFC 6749 §10.10, RFC 6819 §5.1.4.2.2).
 * - `base64url`: 32 random bytes (256 bits), URL-safe.
 * - `hex32`: 16 random bytes (128 bits) as 32 lowercase hex characters, the shape the
 *   legacy platform docs show (`6a42dbd2ef9cf3489a4913039838e12b`).
 */
export type TokenFormat = 'base64url' | 'hex32';

/** Bytes fetched from the CSPRNG at a time (docs/adr/0091). */
const ENTROPY_POOL_BYTES = 4096;
const entropy = Buffer.alloc(ENTROPY_POOL_BYTES);
let entropyOffset = ENTROPY_POOL_BYTES;

/**
 * `n` bytes from the CSPRNG, encoded. They are taken from a 4 KiB buffer refilled by one
 * `randomFillSync` call when it runs out (as Node's own `randomUUID` caches its entropy): a
 * `randomBytes` call per token costs a native job object and an ArrayBuffer each, whose clean-up
 * lengthened every young-generation GC pause (docs/adr/0091). Bytes handed out are zeroed in the
 * buffer at once, so no issued credential stays behind in it; the bytes not yet handed out (at most
 * 4 KiB, the next ≈ 128 tokens) are in memory until used, as `randomUUID`'s are.
 */
function randomString(n: number, encoding: 'hex' | 'base64url'): string {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`a random value needs a whole number of bytes ≥ 1, not ${n}`);
  if (n > ENTROPY_POOL_BYTES) return randomBytes(n).toString(encoding);
  if (entropyOffset + n > ENTROPY_POOL_BYTES) {
    randomFillSync(entropy);
    entropyOffset = 0;
  }
  const end = entropyOffset + n;
  const s = entropy.toString(encoding, entropyOffset, end);
  entropy.fill(0, entropyOffset, end);
  entropyOffset = end;
  return s;
}

/** `n` random bytes from the same buffer (e.g. an AES-GCM nonce, src/crypto/seal.ts). */
export function randomBuffer(n: number): Buffer {
  return Buffer.from(randomString(n, 'hex'), 'hex');
}

/** A fresh random credential in the given format. */
export function randomToken(format: TokenFormat = 'base64url'): string {
  return format === 'hex32' ? randomString(16, 'hex') : randomString(32, 'base64url');
}

/** A random identifier for non-secret rows (grants, interactions). */
export function randomId(bytes = 16): string {
  return randomString(bytes, 'base64url');
}

/**
 * SHA-256 of a credential, hex: how tokens, codes and session ids are stored at rest.
 * `crypto.hash` is the one-shot form (Node ≥ 20.12): no Hash object per call (docs/adr/0091).
 */
export function sha256(value: string): string {
  return hash('sha256', value, 'hex');
}

/** SHA-256 of an ASCII/UTF-8 string, base64url (PKCE's S256, RFC 7636 §4.2). */
export function sha256Base64url(value: string): string {
  return hash('sha256', value, 'base64url');
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
