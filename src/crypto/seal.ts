import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { randomBuffer } from './tokens.js';

/**
 * Seal a value with the server key: AES-256-GCM under `HMAC-SHA256(server key, purpose)`, bound
 * to `context` as associated data (a sealed value copied to another row does not open). The same
 * construction as the gateway's sealed AppSecrets (docs/adr/0030), for other purposes: each
 * purpose string gets its own key. Format `v1.<iv>.<ciphertext>.<tag>`, base64url parts.
 */
export function seal(serverKey: Buffer, purpose: string, context: string, plaintext: string): string {
  const iv = randomBuffer(12);
  const c = createCipheriv('aes-256-gcm', keyFor(serverKey, purpose), iv);
  c.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return `v1.${iv.toString('base64url')}.${ct.toString('base64url')}.${c.getAuthTag().toString('base64url')}`;
}

/** Open a value made by {@link seal}; undefined when it was sealed for another purpose, context or key, or altered. */
export function unseal(serverKey: Buffer, purpose: string, context: string, sealed: string): string | undefined {
  const [v, iv, ct, tag] = sealed.split('.');
  if (v !== 'v1' || !iv || ct === undefined || !tag) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', keyFor(serverKey, purpose), Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(context, 'utf8'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** Keys derived once per server key and purpose (a refresh seals on every call). */
const keys = new WeakMap<Buffer, Map<string, Buffer>>();
function keyFor(serverKey: Buffer, purpose: string): Buffer {
  let byPurpose = keys.get(serverKey);
  if (!byPurpose) keys.set(serverKey, (byPurpose = new Map()));
  let key = byPurpose.get(purpose);
  if (!key) {
    key = createHmac('sha256', serverKey).update(purpose).digest();
    byPurpose.set(purpose, key);
  }
  return key;
}
