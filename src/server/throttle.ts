import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseBasicAuthorization } from '../core/client-auth.js';
import { OAuthError } from '../core/errors.js';
import { param, type ParamBag } from '../core/params.js';
import { Counter, type Registry } from 'prom-client';
import type { CoreContext } from '../core/context.js';
import type { HttpContext } from './http-context.js';
import type { Lang } from './pages/i18n.js';
import type { LimitStore } from '../storage/ports.js';

/** One failure budget: `max` failures within `windowMs` block the key for `blockMs`. */
export interface FailureRule {
  max: number;
  windowMs: number;
  blockMs: number;
}

/**
 * Throttling of failed credentials (RFC 6749 §10.10, RFC 6819 §5.1.4.2.3 and §5.2.3.7,
 * OWASP ASVS V2.2.1). The counters and lockouts live in the {@link LimitStore} every node shares
 * (the database, or Redis with `serve --redis`), so N nodes or workers give an attacker the same
 * budget as one (docs/adr/0110).
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

/**
 * One failure budget in the shared store: a fixed-window counter `f:<name>:<key>` (it starts with
 * the first failure and lasts `windowMs`) and a lockout marker `b:<name>:<key>` that lives
 * `blockMs`. Keys are usernames, IPs or client ids; they are stored as given (not secrets).
 */
export class SharedFailureLimiter {
  constructor(
    readonly rule: FailureRule,
    private readonly store: LimitStore,
    /** Namespace of this budget's keys (`login-user`, `login-ip`, `client`, `client-ip`). */
    readonly name: string,
    private readonly now: () => number,
  ) {}

  /** The failure counter's key in the store. */
  counterKey(key: string): string {
    return `f:${this.name}:${key}`;
  }

  /** The lockout marker's key in the store. */
  blockKey(key: string): string {
    return `b:${this.name}:${key}`;
  }

  /** Milliseconds until the key may try again, or 0 when it is not blocked. */
  async retryAfter(key: string): Promise<number> {
    const now = this.now();
    const until = await this.store.liveUntil([this.blockKey(key)], now);
    return until > now ? until - now : 0;
  }

  /**
   * Count one attempt (or failure) in the window and return its number: counted before the
   * credential is checked, so concurrent attempts on any node are numbered and never more than
   * `max` are checked.
   */
  attempt(key: string): Promise<number> {
    const now = this.now();
    return this.store.add(this.counterKey(key), 1, now + this.rule.windowMs, now);
  }

  /** Take an attempt back (it was refused, or it succeeded and is not a failure). */
  undo(key: string): Promise<void> {
    return this.store.giveBack(this.counterKey(key), 1, this.now());
  }

  /**
   * Spend the budget: block the key for `blockMs`; returns `blockMs`. The counter stays until its
   * window ends, so an attempt that read "not blocked" just before the block was set still finds
   * the budget spent (with the default rules the window ends before the block does).
   */
  async block(key: string): Promise<number> {
    const now = this.now();
    await this.store.block(this.blockKey(key), now + this.rule.blockMs, now);
    return this.rule.blockMs;
  }

  /** Count a failure; returns the block in ms when this failure spent the budget, else 0. */
  async fail(key: string): Promise<number> {
    const n = await this.attempt(key);
    return n >= this.rule.max ? this.block(key) : 0;
  }

  /** Forget a key's failures and lockout (a successful login ends its failure streak). */
  reset(key: string): Promise<void> {
    return this.store.delete([this.counterKey(key), this.blockKey(key)]);
  }
}

/** The limiters of one server, over its storage's shared {@link LimitStore}. */
export interface Throttle {
  limits: SecurityLimits;
  store: LimitStore;
  sellerPerUser: SharedFailureLimiter;
  sellerPerIp: SharedFailureLimiter;
  clientPerClient: SharedFailureLimiter;
  clientPerIp: SharedFailureLimiter;
  throttled: Counter<'kind'>;
}

/** Build the limiters on the server's clock and shared store. */
export function createThrottle(core: CoreContext, registry: Registry, limits: Partial<SecurityLimits> = {}): Throttle {
  const all = { ...DEFAULT_LIMITS, ...limits };
  const now = () => core.now();
  const store = core.storage.limits;
  return {
    limits: all,
    store,
    sellerPerUser: new SharedFailureLimiter(all.sellerLoginPerUser, store, 'login-user', now),
    sellerPerIp: new SharedFailureLimiter(all.sellerLoginPerIp, store, 'login-ip', now),
    clientPerClient: new SharedFailureLimiter(all.clientAuthPerClient, store, 'client', now),
    clientPerIp: new SharedFailureLimiter(all.clientAuthPerIp, store, 'client-ip', now),
    throttled: new Counter({
      name: 'shouquan_throttled_total',
      help: 'Requests refused or failures that started a block, by kind (seller_login, client_auth)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
}

/** One sign-in attempt under the per-username and per-IP budgets (see {@link beginLogin}). */
export interface LoginAttempt {
  /** ms the caller must wait before the password may even be checked; 0: check it. */
  wait: number;
  /** The password was wrong: returns the block it started in ms (0: none), the lockout page's wait. */
  failed(): Promise<number>;
  /** The password was right: the user's failure streak ends; the attempt does not count against the IP. */
  succeeded(): Promise<void>;
  /** Nothing was decided (the seller directory did not answer): the attempt is taken back from both budgets. */
  cancelled(): Promise<void>;
}

/**
 * Start a sign-in (seller, developer or operator; OWASP ASVS V2.2.1) on every node's shared
 * budgets: refused while the username or the IP is locked out; otherwise the attempt is counted
 * before the password is checked, so that of any number of concurrent attempts on any nodes at
 * most `max` reach the password check (the 6th wrong password is refused wherever it is sent).
 * A wrong password that spends a budget locks the username (or IP) for `blockMs`.
 */
export async function beginLogin(
  throttle: Throttle | undefined,
  userKey: string,
  ip: string,
  now: () => number,
): Promise<LoginAttempt> {
  if (!throttle) return { wait: 0, failed: async () => 0, succeeded: async () => {}, cancelled: async () => {} };
  const { sellerPerUser: user, sellerPerIp: perIp } = throttle;
  const started = now();
  const blockedUntil = await throttle.store.liveUntil([user.blockKey(userKey), perIp.blockKey(ip)], started);
  const refused = (wait: number): LoginAttempt => ({
    wait,
    failed: async () => wait,
    succeeded: async () => {},
    cancelled: async () => {},
  });
  if (blockedUntil > started) return refused(blockedUntil - started);
  const [u, i] = await Promise.all([user.attempt(userKey), perIp.attempt(ip)]);
  if (u > user.rule.max || i > perIp.rule.max) {
    // Attempts still being checked elsewhere used up the budget: refuse without counting this one.
    await Promise.all([user.undo(userKey), perIp.undo(ip)]);
    return refused(Math.max(u > user.rule.max ? user.rule.blockMs : 0, i > perIp.rule.max ? perIp.rule.blockMs : 0));
  }
  return {
    wait: 0,
    async failed() {
      const [a, b] = await Promise.all([
        u >= user.rule.max ? user.block(userKey) : 0,
        i >= perIp.rule.max ? perIp.block(ip) : 0,
      ]);
      return Math.max(a, b);
    },
    async succeeded() {
      await Promise.all([user.reset(userKey), perIp.undo(ip)]);
    },
    async cancelled() {
      await Promise.all([user.undo(userKey), perIp.undo(ip)]);
    },
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
  const isGuarded = (request: FastifyRequest) =>
    request.routeOptions.config?.kind === 'oauth' && guarded.has(request.routeOptions.url ?? '');

  // Callback style: this runs before every route's handler, and most routes are not guarded;
  // only the guarded ones pay for the shared store's read (one query for both budgets).
  app.addHook('preHandler', (request, reply, done) => {
    if (!isGuarded(request)) return done();
    const clientId = claimedClientId(ctx, request);
    const now = ctx.core.now();
    const keys = [throttle.clientPerIp.blockKey(request.ip)];
    if (clientId !== undefined) keys.push(throttle.clientPerClient.blockKey(clientId));
    throttle.store.liveUntil(keys, now).then(
      (until) => {
        if (until <= now) return done();
        throttle.throttled.inc({ kind: 'client_auth' });
        const seconds = retryAfterSeconds(until - now);
        reply.header('retry-after', String(seconds));
        done(
          new ClientAuthThrottledError(
            `too many failed client authentication attempts; try again in ${seconds} seconds`,
            `throttled client ${clientId ?? '-'} ip ${request.ip}`,
          ),
        );
      },
      (e: Error) => done(e),
    );
  });

  app.addHook('onError', async (request, _reply, error) => {
    if (!isGuarded(request) || error instanceof ClientAuthThrottledError) return;
    if (!(error instanceof OAuthError) || error.code !== 'invalid_client') return;
    const clientId = claimedClientId(ctx, request);
    // Counted in the shared store; a store outage must not turn the 401 into something else.
    await Promise.all([
      throttle.clientPerIp.fail(request.ip),
      clientId === undefined ? 0 : throttle.clientPerClient.fail(clientId),
    ]).catch((e) => request.log.warn({ err: e }, 'could not count a failed client authentication'));
  });
}

/** The lockout message on the login page, in the page's language. */
export function lockedMessage(lang: Lang, ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return lang === 'en'
    ? `Too many failed sign-in attempts. Sign-in is locked for ${minutes} minute${minutes === 1 ? '' : 's'}; try again later.`
    : `登录失败次数过多，已暂时锁定 ${minutes} 分钟，请稍后再试。`;
}
