import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebRealm } from '../storage/console-ports.js';
import type { HttpContext } from '../server/http-context.js';
import type { Lang } from '../server/pages/i18n.js';
import { beginLogin, lockedMessage, retryAfterSeconds, type LoginAttempt } from '../server/throttle.js';

/**
 * The login lockout (src/server/throttle.ts, OWASP ASVS V2.2.1) of every sign-in with a password or
 * a second factor: the authorize pages, the seller center, the developer console and the operator
 * admin (docs/adr/0174). Sellers have one budget on the authorize pages and the seller center (same
 * key), developers and operators keys of their own realm (`<realm>:<username>`, so no username of one realm
 * is another realm's key); every sign-in shares the per-IP budget.
 */
export function loginGuard(ctx: HttpContext, request: FastifyRequest, realm: 'seller' | WebRealm, username: string) {
  const throttle = ctx.throttle;
  // Every realm its own key space: a seller's username is any string the platform's directory or IdP uses, so a
  // seller named "developer:dave" must not count towards (or, signing in, reset) the developer dave's failures.
  const userKey = `${realm}:${username.toLowerCase()}`;
  let attempt: LoginAttempt | undefined;
  return {
    /**
     * ms the caller must wait before a password is even checked (0: go ahead). Counts the attempt
     * in the budgets every node shares (src/server/throttle.ts, docs/adr/0110); call it once.
     */
    async waitBefore(): Promise<number> {
      attempt = await beginLogin(throttle, userKey, request.ip, () => ctx.core.now());
      return attempt.wait;
    },
    /** The password was wrong: ms of the block it started (0: none). */
    async failed(): Promise<number> {
      return attempt ? attempt.failed() : 0;
    },
    /** The password was right. */
    async succeeded(): Promise<void> {
      await attempt?.succeeded();
    },
    /** Nothing was decided (the seller directory did not answer): not a failure. */
    async cancelled(): Promise<void> {
      await attempt?.cancelled();
    },
    /** Answer 429 with Retry-After and the page the caller renders with this message. */
    locked(reply: FastifyReply, wait: number, lang: Lang): string {
      throttle?.throttled.inc({ kind: 'seller_login' });
      reply.header('retry-after', String(retryAfterSeconds(wait)));
      return lockedMessage(lang, wait);
    },
  };
}
