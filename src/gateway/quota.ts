import { GatewayError } from './errors.js';
import type { GatewayAppRecord, QuotaRepository } from './ports.js';
import type { ResolvedGatewayOptions } from './options.js';
import { gmt8Day, msUntilNextGmt8Midnight } from './sign.js';

/**
 * Count one call against the app's per-second and per-GMT+8-day quotas (counters in the
 * database, so every server process shares them). Over either: TOP code 7 with the seconds
 * until the window resets, for `Retry-After` (RFC 9110 §10.2.3).
 */
export async function chargeQuota(repo: QuotaRepository, options: ResolvedGatewayOptions, appKey: string, settings: GatewayAppRecord | undefined, now: number): Promise<void> {
  const perSecond = settings?.quotaPerSecond ?? options.defaultQuotaPerSecond;
  const perDay = settings?.quotaPerDay ?? options.defaultQuotaPerDay;
  const second = Math.floor(now / 1000);
  const secondCount = await repo.hit(appKey, `s:${second}`, (second + 2) * 1000);
  if (secondCount > perSecond) {
    throw new GatewayError(7, 'App Call Limited', 'accesscontrol.limited-by-app-access-count', `this app may make ${perSecond} calls per second; retry in 1 second`, 1);
  }
  const dayCount = await repo.hit(appKey, `d:${gmt8Day(now)}`, now + msUntilNextGmt8Midnight(now) + 60_000);
  if (dayCount > perDay) {
    const wait = Math.ceil(msUntilNextGmt8Midnight(now) / 1000);
    throw new GatewayError(7, 'App Call Limited', 'accesscontrol.limited-by-app-access-count', `this app may make ${perDay} calls per day (GMT+8); the quota resets in ${wait} seconds`, wait);
  }
  // Per-second rows pile up quickly: drop expired ones now and then.
  if (second % 60 === 0 && secondCount === 1) await repo.prune(now);
}

/** How often a node writes its quota counts to the shared counters (ms). */
export const QUOTA_FLUSH_MS = 100;

/** A {@link QuotaRepository} that counts in memory and writes the sums in batches; `stop` writes the rest. */
export interface BatchedQuota extends QuotaRepository {
  /** Write every pending count now (also runs every `flushMs`). */
  flush(): Promise<void>;
  /** Stop the timer and write what is pending. */
  stop(): Promise<void>;
  /** Counts that could not be written yet (database unreachable), for tests. */
  readonly pending: number;
}

/**
 * Quota counters counted in process and written to the shared table every `flushMs` (docs/adr/0035).
 * Charging a call used to be two write statements (upserts on the per-second and per-day rows),
 * which made a signed call several times the cost of the bearer call reading the same store. Now a
 * call adds to an in-memory count and is judged on (the shared count at the last write) + (this
 * node's calls since): exact on one node; with several nodes each sees the others' calls within
 * `flushMs`, so a burst can pass a quota by at most what the other nodes admitted in that time.
 * If the database is unreachable the counts stay pending and are written when it answers again.
 */
export function batchQuota(repo: QuotaRepository, options: { flushMs?: number; now?: () => number } = {}): BatchedQuota {
  const flushMs = options.flushMs ?? QUOTA_FLUSH_MS;
  const now = options.now ?? Date.now;
  // known: the shared count at the last write; writing: counts being written right now; pending: since.
  const entries = new Map<string, { appKey: string; window: string; expiresAt: number; known: number; writing: number; pending: number }>();
  let flushing: Promise<void> | undefined;

  const writeAll = async () => {
    for (const [key, e] of entries) {
      if (e.pending === 0) {
        if (e.expiresAt < now()) entries.delete(key);
        continue;
      }
      e.writing = e.pending;
      e.pending = 0;
      try {
        // The shared total, other nodes' calls included; calls counted meanwhile stay pending.
        e.known = await repo.hit(e.appKey, e.window, e.expiresAt, e.writing);
      } catch {
        e.pending += e.writing;
      } finally {
        e.writing = 0;
      }
    }
  };
  const flush = () => {
    flushing ??= writeAll().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();

  return {
    async hit(appKey, window, expiresAt, by = 1) {
      const key = `${appKey}\u0000${window}`;
      let e = entries.get(key);
      if (!e) entries.set(key, (e = { appKey, window, expiresAt, known: 0, writing: 0, pending: 0 }));
      e.pending += by;
      return e.known + e.writing + e.pending;
    },
    prune: (at) => repo.prune(at),
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
      await flush();
    },
    get pending() {
      let n = 0;
      for (const e of entries.values()) n += e.pending + e.writing;
      return n;
    },
  };
}
