import { keyedHash, safeEqual } from '../crypto/tokens.js';
import type { AppRecord } from '../storage/ports.js';
import type { AppCacheControls } from '../storage/app-cache.js';
import type { CoreContext } from './context.js';
import { InvalidClientError, InvalidRequestError } from './errors.js';
import { param, type ParamBag } from './params.js';

/** Credentials from an `Authorization: Basic` header, already percent-decoded (RFC 6749 §2.3.1). */
export interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * Parse an `Authorization: Basic` header value. The id and secret are form-urlencoded
 * before base64 (RFC 6749 §2.3.1), so they are decoded here. Returns undefined for other schemes.
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=._~-]*)\s*$/i.exec(header);
  if (!m) {
    if (/^Basic\b/i.test(header))
      throw new InvalidClientError('malformed Basic credentials', 'basic header not base64');
    return undefined;
  }
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) throw new InvalidClientError('malformed Basic credentials', 'no colon in basic credentials');
  try {
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    const creds = { clientId: dec(decoded.slice(0, colon)), clientSecret: dec(decoded.slice(colon + 1)) };
    // Control characters are never part of a client id or secret (and NUL breaks PostgreSQL text).
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    if (/[\u0000-\u001f\u007f]/.test(creds.clientId + creds.clientSecret)) {
      throw new InvalidClientError('malformed Basic credentials', 'control characters in basic credentials');
    }
    return creds;
  } catch (e) {
    if (e instanceof InvalidClientError) throw e;
    throw new InvalidClientError('malformed Basic credentials', 'bad percent-encoding in basic credentials');
  }
}

/** The stored form of an app secret: HMAC-SHA256 under the server key (docs/adr/0003). */
export function hashAppSecret(ctx: Pick<CoreContext, 'secretKey'>, secret: string): string {
  return keyedHash(ctx.secretKey, secret);
}

const DUMMY_HASH = '0'.repeat(64);

/**
 * Does the presented secret's hash match the app's current secret, or its previous one during a
 * rotation's overlap (docs/adr/0060)? Both comparisons always run, against a dummy hash for an
 * unknown app, so the answer takes the same time either way.
 */
function secretMatches(ctx: CoreContext, app: AppRecord | undefined, presented: string): boolean {
  const current = safeEqual(presented, app?.secretHash ?? DUMMY_HASH);
  const previousLive = !!app?.previousSecretHash && (app.previousSecretExpiresAt ?? 0) > ctx.now();
  const previous =
    safeEqual(presented, previousLive ? (app?.previousSecretHash ?? DUMMY_HASH) : DUMMY_HASH) && previousLive;
  return !!app && (current || previous);
}

/**
 * Authenticate the client at the token, revocation and introspection endpoints
 * (RFC 6749 §2.3.1: `client_secret_basic` and `client_secret_post`; exactly one method).
 * Unknown clients and wrong secrets take the same path and time.
 */
export async function authenticateClient(
  ctx: CoreContext,
  params: ParamBag,
  basic: BasicCredentials | undefined,
): Promise<AppRecord> {
  const { clientId: idNames, clientSecret: secretNames } = ctx.profile.params;
  const bodyId = param(params, idNames);
  const bodySecret = param(params, secretNames);
  let clientId: string | undefined;
  let secret: string | undefined;
  if (basic) {
    if (bodySecret !== undefined)
      throw new InvalidRequestError('use one client authentication method, not both Basic and a body secret');
    if (bodyId !== undefined && bodyId !== basic.clientId)
      throw new InvalidRequestError('client_id in the body differs from the Basic credentials');
    clientId = basic.clientId;
    secret = basic.clientSecret;
  } else {
    clientId = bodyId;
    secret = bodySecret;
  }
  if (clientId === undefined) throw new InvalidClientError('client authentication failed', 'no client_id');
  // Every failed authentication costs exactly one database read of the app, known or unknown
  // (issue 15 finding 5): a record this process has cached is checked first; a miss reads the
  // database, and so does a mismatch against a cached record (it may be stale: a secret rotated
  // by another node). Only a right secret against a fresh cached record skips the read, and that
  // tells nothing to someone without the secret.
  const apps = ctx.storage.apps as typeof ctx.storage.apps & Partial<AppCacheControls<AppRecord>>;
  const presented = hashAppSecret(ctx, secret ?? '');
  const peeked = apps.peek?.(clientId);
  let app = peeked?.hit ? peeked.value : apps.refresh ? await apps.refresh(clientId) : await apps.find(clientId);
  let ok = secretMatches(ctx, app, presented) && secret !== undefined;
  if (peeked?.hit && apps.refresh && !ok) {
    app = await apps.refresh(clientId);
    ok = secretMatches(ctx, app, presented) && secret !== undefined;
  } else if (!ok) {
    secretMatches(ctx, app, presented); // the same comparisons as the path above
  }
  if (!app || secret === undefined || !ok) {
    throw new InvalidClientError(
      'client authentication failed',
      !app ? `unknown client ${clientId}` : secret === undefined ? 'no secret' : 'wrong secret',
    );
  }
  if (app.status === 'suspended') throw new InvalidClientError('client authentication failed', 'app suspended');
  return app;
}
