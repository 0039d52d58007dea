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

/** Secrets opened from one app record: by sealed text, with the keys they were opened under. */
type Opened = Map<string, { serverKey: Buffer; appKey: string; secret: string | undefined }>;
const openedByRecord = new WeakMap<object, Opened>();

/**
 * {@link openSecret}, remembered on the app record the sealed text came from (docs/adr/0188): a
 * signed call opens its app's secret once per record object instead of on every call. The record
 * is the app cache's entry (src/storage/app-cache.ts), so the opened secret lives exactly as long
 * as that entry: dropped by the same invalidation (a rotation through this process) and the same
 * TTL (a rotation by another process), never longer; a record read without the cache is a new
 * object each time and opens its secret each time. The answer is the same as `openSecret`'s for
 * the same keys and text, which are checked on every hit.
 */
export function openSecretOf(record: object, serverKey: Buffer, appKey: string, sealed: string): string | undefined {
  let opened = openedByRecord.get(record);
  const hit = opened?.get(sealed);
  if (hit !== undefined && hit.serverKey === serverKey && hit.appKey === appKey) return hit.secret;
  const secret = openSecret(serverKey, appKey, sealed);
  if (!opened) openedByRecord.set(record, (opened = new Map()));
  opened.set(sealed, { serverKey, appKey, secret });
  return secret;
}
