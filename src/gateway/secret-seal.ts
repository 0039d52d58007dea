import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * TOP signatures (MD5/HMAC with the AppSecret) can only be checked by a server that holds the
 * secret itself, so besides the one-way hash used at the token endpoint the gateway keeps the
 * secret sealed: AES-256-GCM under a key derived from the server key, bound to the AppKey
 * (docs/adr/0030).
 */
function sealKey(serverKey: Buffer): Buffer {
  let key = sealKeys.get(serverKey);
  if (!key) {
    key = createHmac('sha256', serverKey).update('shouquan/gateway/app-secret/v1').digest();
    sealKeys.set(serverKey, key);
  }
  return key;
}

/** The sealing key derived once per server key (a router call opens a secret on every call). */
const sealKeys = new WeakMap<Buffer, Buffer>();

/** Seal an AppSecret: `v1.<iv>.<ciphertext>.<tag>`, base64url parts. */
export function sealSecret(serverKey: Buffer, appKey: string, secret: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', sealKey(serverKey), iv);
  c.setAAD(Buffer.from(appKey, 'utf8'));
  const ct = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64url'), ct.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
}

/** Open a sealed AppSecret; undefined if it was not sealed for this AppKey under this server key. */
export function openSecret(serverKey: Buffer, appKey: string, sealed: string): string | undefined {
  const [v, iv, ct, tag] = sealed.split('.');
  if (v !== 'v1' || !iv || ct === undefined || !tag) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', sealKey(serverKey), Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(appKey, 'utf8'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
