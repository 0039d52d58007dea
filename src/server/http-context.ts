import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CoreContext } from '../core/context.js';
import { parseFormEncoded, type ParamBag } from '../core/params.js';
import { InvalidRequestError } from '../core/errors.js';
import type { Metrics } from './metrics.js';
import { pickLang, type Lang } from './pages/i18n.js';

/**
 * What every route module gets: the core context plus HTTP-only settings, built whole before any route (docs/adr/0167).
 */
export interface HttpContext {
  core: CoreContext;
  metrics: Metrics;
  /** Set `Secure` (and the `__Host-` prefix) on cookies: on when the issuer is https. */
  cookieSecure: boolean;
  /** Failure throttling (seller login, client authentication); see throttle.ts. */
  readonly throttle: import('./throttle.js').Throttle;
  /** Gateway call records for the developer console (src/gateway/call-log.ts); absent without gateway tables. */
  readonly calls?: import('../gateway/call-log.js').CallTracker;
  /** The message service (issue 16 §2); absent without gateway tables. */
  readonly messages?: import('../messages/service.js').MessageService;
  /** How sellers sign in: built-in accounts or the platform's seller directory (src/sellers/, docs/adr/0125). */
  sellerSignIn: import('../sellers/seller-sign-in.js').SellerSignIn;
  /** Seller login at the platform's OpenID Connect IdP (docs/adr/0160); absent unless configured. */
  sellerOidc?: import('../sellers/seller-oidc.js').SellerOidcLogin;
}

/** Which kind of answer a route gives, so errors are rendered the same way. */
export type RouteKind = 'oauth' | 'page' | 'api' | 'plain';

declare module 'fastify' {
  interface FastifyContextConfig {
    kind?: RouteKind;
  }
}

/** The query string of a request as a strict parameter bag (duplicates kept, bad encoding refused). */
export function queryParams(request: FastifyRequest): ParamBag {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  return parseFormEncoded(q === -1 ? '' : url.slice(q + 1));
}

/** The form body of a request; anything but `application/x-www-form-urlencoded` is refused. */
export function formParams(request: FastifyRequest): ParamBag {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' || !(request.body instanceof Map)) {
    throw new InvalidRequestError('the request body must be application/x-www-form-urlencoded');
  }
  return request.body as ParamBag;
}

/** The page language for this request. */
export function requestLang(ctx: HttpContext, request: FastifyRequest): Lang {
  const q = (request.query as Record<string, unknown> | undefined)?.lang;
  return pickLang(
    typeof q === 'string' ? q : undefined,
    request.headers['accept-language'],
    ctx.core.profile.defaultLang,
  );
}

/** Send an HTML page. */
export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

/** A 303 See Other (the right redirect after a POST, RFC 9110 §15.4.4). */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).send();
}
