import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../core/errors.js';
import { param, type ParamBag } from '../core/params.js';
import { randomToken, safeEqual, sha256 } from '../crypto/tokens.js';
import type { WebAccount, WebRealm } from '../storage/console-ports.js';
import { formParams, type HttpContext } from '../server/http-context.js';
import { pickLang, type Lang } from '../server/pages/i18n.js';
import { ct } from '../server/pages/console-i18n.js';
import { sellerSessionCookie } from './seller-session.js';

/** Sellers with more stores than this get a store search on the consent page. */
export const STORE_SEARCH_THRESHOLD = 5;

/**
 * A refusal rendered as an HTML error page with the request id (route kind `page`).
 * `description` is already in the page's language.
 */
export class PageError extends OAuthError {
  readonly code = 'access_denied';
  override readonly status: number;
  constructor(status: number, description: string, detail?: string) {
    super(description, detail);
    this.status = status;
  }
}

/** Cookie names and flags shared by the web consoles. */
export function webCookies(ctx: HttpContext) {
  const secure = ctx.cookieSecure;
  return {
    /** The seller's login session, the same one the authorize pages use (seller-session.ts). */
    seller: sellerSessionCookie(ctx),
    developer: secure ? '__Host-sq_dev' : 'sq_dev',
    operator: secure ? '__Host-sq_op' : 'sq_op',
    csrf: secure ? '__Host-sq_csrf' : 'sq_csrf',
    lang: 'sq_lang',
    base: { httpOnly: true, sameSite: 'lax' as const, secure, path: '/' },
  };
}

/**
 * The page language: `?lang=` (remembered in a cookie), then the cookie, then
 * `Accept-Language`, then the profile's default.
 */
export function pageLang(ctx: HttpContext, request: FastifyRequest, reply?: FastifyReply): Lang {
  const q = (request.query as Record<string, unknown> | undefined)?.lang;
  if ((q === 'en' || q === 'zh-CN') && reply)
    reply.setCookie(webCookies(ctx).lang, q, {
      path: '/',
      sameSite: 'lax',
      secure: ctx.cookieSecure,
      maxAge: 365 * 86400,
    });
  const cookie = request.cookies[webCookies(ctx).lang];
  return pickLang(typeof q === 'string' ? q : cookie, request.headers['accept-language'], ctx.core.profile.defaultLang);
}

/**
 * CSRF protection for every console form (synchronizer token, OWASP CSRF cheat sheet):
 * a random per-browser cookie (SameSite=Strict, HttpOnly) and a hidden form field holding
 * HMAC(server key, cookie). A POST must carry both; an `Origin` header, when sent and not
 * `null`, must be this server's own, and `Sec-Fetch-Site`, when sent, must not be cross-site.
 */
export function csrfToken(ctx: HttpContext, request: FastifyRequest, reply: FastifyReply): string {
  const names = webCookies(ctx);
  let secret = request.cookies[names.csrf];
  if (!secret || secret.length < 32) {
    secret = randomToken();
    reply.setCookie(names.csrf, secret, { httpOnly: true, sameSite: 'strict', secure: ctx.cookieSecure, path: '/' });
    request.cookies[names.csrf] = secret;
  }
  return createHmac('sha256', ctx.core.secretKey).update(`web-csrf|${secret}`).digest('base64url');
}

/** Parse a console form and refuse it unless its CSRF token and origin check out. */
export function checkedForm(ctx: HttpContext, request: FastifyRequest): ParamBag {
  const lang = pageLang(ctx, request);
  const form = formParams(request);
  const origin = request.headers.origin;
  if (
    origin !== undefined &&
    origin !== 'null' &&
    origin !== new URL(ctx.core.issuer).origin &&
    origin !== `${request.protocol}://${request.host}`
  ) {
    throw new PageError(403, ct(lang).csrf, `cross-site form post from ${origin}`);
  }
  // Pages send Referrer-Policy: no-referrer, so browsers send `Origin: null` even for our own
  // forms; Fetch Metadata (Sec-Fetch-Site) tells a cross-site post apart where it is sent.
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site')
    throw new PageError(403, ct(lang).csrf, `form post with sec-fetch-site ${site}`);
  const secret = request.cookies[webCookies(ctx).csrf];
  const sent = param(form, 'csrf_token');
  const expected = secret
    ? createHmac('sha256', ctx.core.secretKey).update(`web-csrf|${secret}`).digest('base64url')
    : undefined;
  if (!expected || !sent || !safeEqual(sent, expected))
    throw new PageError(403, ct(lang).csrf, 'csrf token missing or wrong');
  return form;
}

/** A form field, trimmed ('' when absent). */
export function field(form: ParamBag, name: string): string {
  return (param(form, name) ?? '').trim();
}

/** The developer or operator logged in for a realm, if any. */
export async function currentAccount(
  ctx: HttpContext,
  request: FastifyRequest,
  realm: WebRealm,
): Promise<WebAccount | undefined> {
  const raw = request.cookies[webCookies(ctx)[realm]];
  if (!raw) return undefined;
  const session = await ctx.core.storage.console.findSession(sha256(raw), realm, ctx.core.now());
  return session ? ctx.core.storage.console.account(session.accountId) : undefined;
}

/** Start a developer or operator session (fresh id, the old one deleted). */
export async function startAccountSession(
  ctx: HttpContext,
  request: FastifyRequest,
  reply: FastifyReply,
  account: WebAccount,
): Promise<void> {
  const name = webCookies(ctx)[account.realm];
  const old = request.cookies[name];
  if (old) await ctx.core.storage.console.deleteSession(sha256(old));
  const id = randomToken();
  const now = ctx.core.now();
  await ctx.core.storage.console.createSession({
    idHash: sha256(id),
    realm: account.realm,
    accountId: account.accountId,
    createdAt: now,
    expiresAt: now + ctx.core.lifetimes.session * 1000,
  });
  reply.setCookie(name, id, { ...webCookies(ctx).base, maxAge: ctx.core.lifetimes.session });
}

/** End the developer or operator session behind the cookie and clear the cookie. */
export async function endSession(
  ctx: HttpContext,
  request: FastifyRequest,
  reply: FastifyReply,
  realm: WebRealm,
): Promise<void> {
  const name = webCookies(ctx)[realm];
  const raw = request.cookies[name];
  if (raw) await ctx.core.storage.console.deleteSession(sha256(raw));
  reply.clearCookie(name, webCookies(ctx).base);
}

/** Record a console action in the append-only audit log (docs/adr/0041); never a credential. */
export async function audit(
  ctx: HttpContext,
  entry: {
    actor: string;
    event: string;
    appKey?: string | null;
    sellerId?: number | null;
    subject?: string | null;
    detail?: Record<string, unknown> | null;
  },
): Promise<void> {
  await ctx.core.storage.audit?.append({
    at: ctx.core.now(),
    actor: entry.actor,
    event: entry.event,
    appKey: entry.appKey ?? null,
    sellerId: entry.sellerId ?? null,
    subject: entry.subject ?? null,
    detail: entry.detail ?? null,
  });
}
