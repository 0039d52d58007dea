import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomToken, sha256 } from '../crypto/tokens.js';
import { SELLER_OIDC_CALLBACK_PATH, SELLER_OIDC_FLOW_SECONDS, type SellerOidcLogin } from '../sellers/seller-oidc.js';
import { DIRECTORY_RETRY_AFTER_SECONDS } from '../sellers/seller-sign-in.js';
import type { IdpSessionLink, SellerRecord } from '../storage/ports.js';
import { seeOther, type HttpContext } from '../server/http-context.js';

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
  const session = sellerSessionOf(ctx, request);
  return session && ctx.core.storage.sessions.findSeller(session.idHash, session.now);
}

/** What {@link currentSeller} looks up (the session cookie's SHA-256, and now), for a read joined to others. */
export function sellerSessionOf(
  ctx: HttpContext,
  request: FastifyRequest,
): { idHash: string; now: number } | undefined {
  const raw = request.cookies[sellerSessionCookie(ctx)];
  return raw ? { idHash: sha256(raw), now: ctx.core.now() } : undefined;
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
  reply.setCookie(name, id, { ...sellerSessionFlags(ctx), maxAge: lifetimeSeconds });
}

/**
 * The session cookie's attributes, for setting and for clearing it: a clearing `Set-Cookie` without `Secure`
 * is ignored for a `__Host-` name (RFC 6265bis §5.6), so the browser would keep the cookie.
 */
function sellerSessionFlags(ctx: HttpContext) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: ctx.cookieSecure, path: '/' };
}

/** Sign out: delete the session behind the cookie and clear the cookie. */
export async function endSellerSession(ctx: HttpContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const name = sellerSessionCookie(ctx);
  const raw = request.cookies[name];
  if (raw) await ctx.core.storage.sessions.delete(sha256(raw));
  reply.clearCookie(name, sellerSessionFlags(ctx));
}

/**
 * A failed sign-in on the authorize pages: the browser forgets its session cookie (the rest of this
 * request sees none), the stored session is left to expire.
 */
export function forgetSellerCookie(ctx: HttpContext, request: FastifyRequest, reply: FastifyReply): void {
  const name = sellerSessionCookie(ctx);
  reply.clearCookie(name, sellerSessionFlags(ctx));
  request.cookies[name] = undefined;
}

/** The cookie carrying the sealed flow (state, nonce, PKCE verifier, where to resume) to the callback only. */
export const sellerOidcFlowCookie = (ctx: HttpContext): string => (ctx.cookieSecure ? '__Secure-sq_oidc' : 'sq_oidc');

/**
 * Send the seller to the platform's IdP (docs/adr/0160), from the authorize pages or the seller
 * center; the callback (src/server/routes/seller-oidc.route.ts) starts the seller session. When the
 * IdP cannot be discovered, `unavailable` renders the page the seller came from with a 503 (no
 * lockout: nothing was checked).
 */
export async function startSellerOidc(
  ctx: HttpContext,
  login: SellerOidcLogin,
  request: FastifyRequest,
  reply: FastifyReply,
  returnTo: string,
  unavailable: () => FastifyReply | Promise<FastifyReply>,
): Promise<FastifyReply> {
  let started;
  try {
    started = await login.start(returnTo);
  } catch (e) {
    const err = e as Error & { code?: string; cause?: { code?: string } };
    request.log.warn(
      { sellerOidc: { reason: 'discovery', detail: err.cause?.code ?? err.code ?? err.message } },
      `seller sign-in unavailable: the OpenID Connect IdP could not be discovered (${err.message})`,
    );
    reply.header('retry-after', String(DIRECTORY_RETRY_AFTER_SECONDS));
    return unavailable();
  }
  reply.setCookie(sellerOidcFlowCookie(ctx), started.cookie, {
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.cookieSecure,
    path: SELLER_OIDC_CALLBACK_PATH,
    maxAge: SELLER_OIDC_FLOW_SECONDS,
  });
  return seeOther(reply, started.url);
}

/**
 * Where a seller who signs out of Shouquan goes next: the IdP's end_session_endpoint (RP-Initiated Logout 1.0)
 * when the session was started there and the IdP advertises one, else undefined. Read before the session ends.
 */
export async function sellerIdpLogoutUrl(ctx: HttpContext, request: FastifyRequest): Promise<string | undefined> {
  const raw = request.cookies[sellerSessionCookie(ctx)];
  if (!ctx.sellerOidc || !raw) return undefined;
  const link = await ctx.core.storage.sessions.idpOf(sha256(raw));
  return link ? ctx.sellerOidc.endSessionUrl(link) : undefined;
}
