import { GATEWAY_CODES, GatewayError } from './errors.js';
import type { GatewayAppRecord } from '../storage/gateway-ports.js';
import type { ResolvedGatewayOptions } from './options.js';
import type { LimitStore } from '../storage/ports.js';
import { gmt8Day, msUntilNextGmt8Midnight } from './sign.js';

/**
 * Charge one call against the app's per-second and per-GMT+8-day quotas, held in the store every
 * node shares (docs/adr/0111). Over either: TOP code 7 with the seconds until the window resets,
 * for `Retry-After` (RFC 9110 §10.2.3). A call refused by the day window gives its second back.
 */
export async function chargeQuota(
  quota: QuotaLeases,
  options: ResolvedGatewayOptions,
  appKey: string,
  settings: GatewayAppRecord | undefined,
  now: number,
): Promise<void> {
  const perSecond = settings?.quotaPerSecond ?? options.defaultQuotaPerSecond;
  const perDay = settings?.quotaPerDay ?? options.defaultQuotaPerDay;
  const second = Math.floor(now / 1000);
  const secondKey = `q:${appKey}:s:${second}`;
  if (!(await quota.admit(secondKey, perSecond, (second + 2) * 1000))) {
    throw new GatewayError(
      GATEWAY_CODES.callLimited,
      'accesscontrol.limited-by-app-access-count',
      `this app may make ${perSecond} calls per second; retry in 1 second`,
      1,
    );
  }
  let day: boolean;
  try {
    day = await quota.admit(`q:${appKey}:d:${gmt8Day(now)}`, perDay, now + msUntilNextGmt8Midnight(now) + 60_000);
  } catch (e) {
    quota.release(secondKey);
    throw e;
  }
  if (!day) {
    quota.release(secondKey);
    const wait = Math.ceil(msUntilNextGmt8Midnight(now) / 1000);
    throw new GatewayError(
      GATEWAY_CODES.callLimited,
      'accesscontrol.limited-by-app-access-count',
      `this app may make ${perDay} calls per day (GMT+8); the quota resets in ${wait} seconds`,
      wait,
    );
  }
}

/** How often a node gives back quota it took but did not use (ms); also how long it trusts a full window. */
export const QUOTA_LEASE_MS = 100;
/** The most calls a node takes from one shared window in one statement. */
export const QUOTA_LEASE_MAX = 64;

/** Quota windows charged through leases on the shared {@link LimitStore} (docs/adr/0111). */
export interface QuotaLeases {
  /** Admit one call into window `key` if the shared count stays within `limit`; false: refused. */
  admit(key: string, limit: number, expiresAt: number): Promise<boolean>;
  /** Undo one admitted call (a later window refused it); the unit goes back to this node's lease. */
  release(key: string): void;
  /** Give back leased units nobody used since the last run (also runs every `leaseMs`). */
  flush(): Promise<void>;
  /** Stop the timer and give back every unused unit. */
  stop(): Promise<void>;
  /** Units this node holds and has not used, for tests. */
  readonly held: number;
}

interface Window {
  limit: number;
  expiresAt: number;
  /** Units taken from the shared counter and not used yet. */
  left: number;
  /** How many units the next `take` asks for (falls to 1 once the window is nearly full). */
  nextWant: number;
  /** Calls waiting for the `take` in flight. */
  waiting: number;
  taking: Promise<void> | undefined;
  /** The shared window was full: refuse without asking until `fullUntil` (monotonic ms, `performance.now()`). */
  fullUntil: number;
  /** Units being given back right now: a `take` waits for it, or it would find them still taken. */
  returning: Promise<void> | undefined;
  /** A call used this window since the last flush. */
  used: boolean;
}

/**
 * Quota windows in the shared store, charged through leases so that the hot path does not write
 * on every call: a node atomically *takes* a few units from a window's shared counter (never
 * past the limit: `LimitStore.take`), admits calls from them in memory, and gives back what it
 * did not use within `leaseMs`. The shared counter therefore never passes the limit: a quota is
 * never exceeded, on any number of nodes. The price is the other way round: units one node holds
 * are not available to another until used or given back (at most `maxLease` per node and window,
 * and one unit at a time once a `take` came back short, i.e. near the limit), and a node that
 * crashes loses what it held (the window admits that many fewer calls). Concurrent calls on one
 * node that find no units left wait for one `take` and share it.
 */
export function leaseQuota(
  store: LimitStore,
  options: { leaseMs?: number; maxLease?: number; now?: () => number } = {},
): QuotaLeases {
  const leaseMs = options.leaseMs ?? QUOTA_LEASE_MS;
  const maxLease = options.maxLease ?? QUOTA_LEASE_MAX;
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();
  let flushing: Promise<void> | undefined;

  const take = (key: string, w: Window): Promise<void> => {
    const want = Math.max(w.nextWant, w.waiting + 1);
    w.taking ??= store
      .take(key, want, w.limit, w.expiresAt, now())
      .then((got) => {
        w.left += got;
        if (got < want) {
          w.nextWant = 1;
          if (got === 0) w.fullUntil = performance.now() + leaseMs;
        }
      })
      .finally(() => {
        w.taking = undefined;
      });
    return w.taking;
  };

  /** Give `n` units of a window back to the shared counter; a failure only costs those units. */
  const giveBack = async (key: string, w: Window, n: number, at: number) => {
    const p = store.giveBack(key, n, at).catch(() => {});
    w.returning = p;
    await p;
    if (w.returning === p) w.returning = undefined;
  };

  const giveBackIdle = async (all: boolean) => {
    const at = now();
    for (const [key, w] of windows) {
      if (w.taking) continue;
      if (w.expiresAt <= at) {
        windows.delete(key); // the shared counter expired with it
        continue;
      }
      if (w.left > 0 && (all || !w.used)) {
        const n = w.left;
        w.left = 0;
        // Not given back (store unreachable): the window admits n fewer calls, never more.
        await giveBack(key, w, n, at);
      }
      w.used = false;
    }
  };
  const flush = () => {
    flushing ??= giveBackIdle(false).finally(() => {
      flushing = undefined;
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), leaseMs);
  timer.unref();

  return {
    async admit(key, limit, expiresAt) {
      let w = windows.get(key);
      if (!w) {
        w = {
          limit,
          expiresAt,
          left: 0,
          nextWant: Math.min(maxLease, Math.max(1, Math.ceil(limit / 16))),
          waiting: 0,
          taking: undefined,
          fullUntil: 0,
          returning: undefined,
          used: false,
        };
        windows.set(key, w);
      }
      if (w.limit !== limit) {
        // The app's quota changed: give back what was leased under the old one and lease afresh.
        w.limit = limit;
        w.nextWant = Math.min(maxLease, Math.max(1, Math.ceil(limit / 16)));
        w.fullUntil = 0;
        const held = w.left;
        w.left = 0;
        if (held > 0) await giveBack(key, w, held, now());
      }
      w.used = true;
      for (;;) {
        if (w.left > 0) {
          w.left -= 1;
          return true;
        }
        if (w.fullUntil > performance.now()) return false;
        if (w.returning) {
          await w.returning;
          continue;
        }
        if (w.taking) {
          w.waiting += 1;
          try {
            await w.taking;
          } finally {
            w.waiting -= 1;
          }
          continue;
        }
        await take(key, w);
        if (w.left === 0 && w.fullUntil > performance.now()) return false;
      }
    },
    release(key) {
      const w = windows.get(key);
      if (w) w.left += 1;
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flushing;
      await giveBackIdle(true);
    },
    get held() {
      let n = 0;
      for (const w of windows.values()) n += w.left;
      return n;
    },
  };
}
