import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseBasicAuthorization } from '../core/client-auth.js';
import { OAuthError } from '../core/errors.js';
import { param, type ParamBag } from '../core/params.js';
import { Counter } from 'prom-client';
import type { HttpContext } from './http-context.js';
import type { Lang } from './pages/i18n.js';

/** One failure budget: `max` failures within `windowMs` block the key for `blockMs`. */
export interface FailureRule {
  max: number;
  windowMs: number;
  blockMs: number;
}

/**
 * Throttling of failed credentials (RFC 6749 §10.10, RFC 6819 §5.1.4.2.3 and §5.2.3.7,
 * OWASP ASVS V2.2.1). The counters live in this process: with N nodes an attacker gets up
 * to N times the budget (docs/operations.md, docs/adr/0040).
 */
export interface SecurityLimits {
  /** Failed seller logins per username (account lockout). */
  sellerLoginPerUser: FailureRule;
  /** Failed seller logins per client IP. */
  sellerLoginPerIp: FailureRule;
  /** Failed client authentications per client_id. */
  clientAuthPerClient: FailureRule;
  /** Failed client authentications per client IP. */
  clientAuthPerIp: FailureRule;
}

const MINUTE = 60_000;

/** Defaults: 5 wrong passwords lock an account for 15 minutes; clients get more room. */
export const DEFAULT_LIMITS: SecurityLimits = {
  sellerLoginPerUser: { max: 5, windowMs: 15 * MINUTE, blockMs: 15 * MINUTE },
  sellerLoginPerIp: { max: 30, windowMs: 15 * MINUTE, blockMs: 15 * MINUTE },
  clientAuthPerClient: { max: 30, windowMs: MINUTE, blockMs: MINUTE },
  clientAuthPerIp: { max: 100, windowMs: MINUTE, blockMs: MINUTE },
};

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

/** Fixed-window failure counter with a block once the budget is spent. In memory, one process. */
export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly rule: FailureRule,
    private readonly now: () => number,
    /** Entries kept at most; the oldest are dropped past it (bounded memory under a flood of keys). */
    private readonly maxEntries = 100_000,
  ) {}

  /** Milliseconds until the key may try again, or 0 when it is not blocked. */
  retryAfter(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    const left = e.blockedUntil - this.now();
    return left > 0 ? left : 0;
  }

  /** Count a failure; returns the block in ms when this failure spent the budget, else 0. */
  fail(key: string): number {
    const now = this.now();
    let e = this.entries.get(key);
    if (!e || now - e.windowStart >= this.rule.windowMs) {
      e = { windowStart: now, failures: 0, blockedUntil: e?.blockedUntil ?? 0 };
    }
    this.entries.delete(key);
    this.entries.set(key, e); // most recent last, so the first keys are the oldest
    e.failures += 1;
    if (e.failures >= this.rule.max) {
      e.blockedUntil = now + this.rule.blockMs;
      e.failures = 0;
      e.windowStart = now;
    }
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return this.retryAfter(key);
  }

  /** Forget a key (a successful login ends its failure streak). */
  reset(key: string): void {
    this.entries.delete(key);
  }
}

/** The limiters of one server. */
export interface Throttle {
  limits: SecurityLimits;
  sellerPerUser: FailureLimiter;
  sellerPerIp: FailureLimiter;
  clientPerClient: FailureLimiter;
  clientPerIp: FailureLimiter;
  throttled: Counter<'kind'>;
}

/** Build the limiters on the server's clock. */
export function createThrottle(ctx: HttpContext, limits: Partial<SecurityLimits> = {}): Throttle {
  const all = { ...DEFAULT_LIMITS, ...limits };
  const now = () => ctx.core.now();
  return {
    limits: all,
    sellerPerUser: new FailureLimiter(all.sellerLoginPerUser, now),
    sellerPerIp: new FailureLimiter(all.sellerLoginPerIp, now),
    clientPerClient: new FailureLimiter(all.clientAuthPerClient, now),
    clientPerIp: new FailureLimiter(all.clientAuthPerIp, now),
    throttled: new Counter({
      name: 'shouquan_throttled_total',
      help: 'Requests refused or failures that started a block, by kind (seller_login, client_auth)',
      labelNames: ['kind'] as const,
      registers: [ctx.metrics.registry],
    }),
  };
}

/** Seconds for a Retry-After header (RFC 9110 §10.2.3), at least 1. */
export const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** Too many failed client authentications: 429 with `invalid_client` (RFC 6585 §4, RFC 6749 §5.2). */
export class ClientAuthThrottledError extends OAuthError {
  readonly code = 'invalid_client';
  override readonly status = 429;
}

/** The client id a request claims (Basic header or body), without authenticating it. */
function claimedClientId(ctx: HttpContext, request: FastifyRequest): string | undefined {
  try {
    const basic = parseBasicAuthorization(request.headers.authorization);
    if (basic) return basic.clientId;
  } catch {
    return undefined;
  }
  if (!(request.body instanceof Map)) return undefined;
  try {
    return param(request.body as ParamBag, ctx.core.profile.params.clientId);
  } catch {
    return undefined;
  }
}

/**
 * Refuse client authentication at the token, revocation and introspection endpoints while the
 * client id or the IP has spent its failure budget; count every `invalid_client`.
 * While blocked the secret is not even checked, so guessing gains nothing.
 */
export function installClientAuthThrottle(app: FastifyInstance, ctx: HttpContext, throttle: Throttle): void {
  const { paths } = ctx.core.profile;
  const guarded = new Set([paths.token, paths.revoke, paths.introspect]);
  const isGuarded = (request: FastifyRequest) => request.routeOptions.config?.kind === 'oauth' && guarded.has(request.routeOptions.url ?? '');

  // Callback style: this runs before every route's handler, and most routes are not guarded.
  app.addHook('preHandler', (request, reply, done) => {
    if (!isGuarded(request)) return done();
    const clientId = claimedClientId(ctx, request);
    const wait = Math.max(throttle.clientPerIp.retryAfter(request.ip), clientId === undefined ? 0 : throttle.clientPerClient.retryAfter(clientId));
    if (wait > 0) {
      throttle.throttled.inc({ kind: 'client_auth' });
      const seconds = retryAfterSeconds(wait);
      reply.header('retry-after', String(seconds));
      return done(new ClientAuthThrottledError(`too many failed client authentication attempts; try again in ${seconds} seconds`, `throttled client ${clientId ?? '-'} ip ${request.ip}`));
    }
    done();
  });

  app.addHook('onError', async (request, _reply, error) => {
    if (!isGuarded(request) || error instanceof ClientAuthThrottledError) return;
    if (!(error instanceof OAuthError) || error.code !== 'invalid_client') return;
    const clientId = claimedClientId(ctx, request);
    throttle.clientPerIp.fail(request.ip);
    if (clientId !== undefined) throttle.clientPerClient.fail(clientId);
  });
}

/** The lockout message on the login page, in the page's language. */
export function lockedMessage(lang: Lang, ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return lang === 'en'
    ? `Too many failed sign-in attempts. Sign-in is locked for ${minutes} minute${minutes === 1 ? '' : 's'}; try again later.`
    : `登录失败次数过多，已暂时锁定 ${minutes} 分钟，请稍后再试。`;
}
