import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomToken, sha256 } from '../crypto/tokens.js';
import type { IdpSessionLink, SellerRecord } from '../storage/ports.js';
import type { HttpContext } from '../server/http-context.js';

/** How long "keep me signed in" keeps a seller signed in (seconds). */
export const REMEMBER_ME_SECONDS = 30 * 86400;

/**
 * The seller's browser session, one for the authorize pages and the seller center (docs/adr/0174):
 * a random id in an HttpOnly, SameSite=Lax cookie (`__Host-` prefixed over HTTPS, RFC 6265bis §4.1.3.2),
 * only its SHA-256 stored (`seller_sessions`), a fresh id at every sign-in (no session fixation,
 * OWASP ASVS V3.2.1).
 */
export function sellerSessionCookie(ctx: HttpContext): string {
  return ctx.cookieSecure ? '__Host-sq_session' : 'sq_session';
}

/** The seller signed in in this browser, if any: one read (`sessions.findSeller`). */
export async function currentSeller(ctx: HttpContext, request: FastifyRequest): Promise<SellerRecord | undefined> {
  const raw = request.cookies[sellerSessionCookie(ctx)];
  if (!raw) return undefined;
  return ctx.core.storage.sessions.findSeller(sha256(raw), ctx.core.now());
}

/**
 * Start a seller session: the browser's old session (if any) is deleted and a new id issued.
 * `lifetimeSeconds` is the session lifetime unless "keep me signed in" asked for longer.
 */
export async function startSellerSession(
  ctx: HttpContext,
  request: FastifyRequest,
  reply: FastifyReply,
  sellerId: number,
  lifetimeSeconds: number = ctx.core.lifetimes.session,
  /** The IdP's `sub`, `sid` and sealed ID token, for a sign-in at the platform's OpenID Connect IdP (docs/adr/0176). */
  idp?: IdpSessionLink,
): Promise<void> {
  const name = sellerSessionCookie(ctx);
  const old = request.cookies[name];
  if (old) await ctx.core.storage.sessions.delete(sha256(old));
  const id = randomToken();
  const now = ctx.core.now();
  await ctx.core.storage.sessions.create({
    idHash: sha256(id),
    sellerId,
    createdAt: now,
    expiresAt: now + lifetimeSeconds * 1000,
    ...(idp ? { idp } : {}),
  });
  reply.setCookie(name, id, {
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.cookieSecure,
    path: '/',
    maxAge: lifetimeSeconds,
  });
}

/** Sign out: delete the session behind the cookie and clear the cookie. */
export async function endSellerSession(ctx: HttpContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const name = sellerSessionCookie(ctx);
  const raw = request.cookies[name];
  if (raw) await ctx.core.storage.sessions.delete(sha256(raw));
  reply.clearCookie(name, { path: '/' });
}

/**
 * A failed sign-in on the authorize pages: the browser forgets its session cookie (the rest of this
 * request sees none), the stored session is left to expire.
 */
export function forgetSellerCookie(ctx: HttpContext, request: FastifyRequest, reply: FastifyReply): void {
  const name = sellerSessionCookie(ctx);
  reply.clearCookie(name, { path: '/' });
  request.cookies[name] = undefined;
}
