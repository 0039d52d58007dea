import { sha256 } from '../crypto/tokens.js';
import type { TokenWithGrant } from '../storage/ports.js';
import type { CoreContext } from './context.js';
import { InvalidTokenError } from './errors.js';

/**
 * The bearer token from an `Authorization: Bearer` header value (RFC 6750 §2.1); undefined without
 * the header. The protected resources (src/server/routes/api.route.ts) and the gateway's REST face use it.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!m)
    throw new InvalidTokenError('the Authorization header must be "Bearer <access token>"', 'malformed bearer header');
  return m[1];
}

/** Is this token row usable right now? */
export function isLive(token: TokenWithGrant, now: number): boolean {
  return (
    token.revokedAt === null && token.grant.revokedAt === null && token.expiresAt > now && token.rotatedAt === null
  );
}

/** Validate a bearer access token at a protected resource (RFC 6750 §3). */
export async function authenticateBearer(ctx: CoreContext, accessToken: string | undefined): Promise<TokenWithGrant> {
  if (accessToken === undefined || accessToken === '') throw InvalidTokenError.missingToken();
  const token = await ctx.storage.tokens.find(sha256(accessToken));
  if (!token || token.kind !== 'access') throw new InvalidTokenError('the access token is invalid', 'unknown token');
  if (!isLive(token, ctx.now()))
    throw new InvalidTokenError('the access token expired or was revoked', 'token not live');
  // A suspended app's tokens stop working at once and work again if it is reinstated.
  const app = await ctx.storage.apps.find(token.appKey);
  if (!app || app.status === 'suspended')
    throw new InvalidTokenError('the app this token was issued to is suspended', 'app suspended');
  return token;
}
