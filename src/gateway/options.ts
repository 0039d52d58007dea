import { DEFAULT_EXPIRING_DAYS } from '../subscriptions/subscriptions.js';
/** Gateway settings (serve flags / environment; see docs/gateway.md). */
export interface GatewayOptions {
  /** Accepted clock difference for `timestamp`, seconds (default 600). */
  timestampSkewSeconds?: number;
  /** Calls per app per GMT+8 day when the app sets none (default 100000). */
  defaultQuotaPerDay?: number;
  /** Calls per app per second when the app sets none (default 100). */
  defaultQuotaPerSecond?: number;
  /** Methods answered by the operator's services: full method name → URL. */
  upstreams?: Record<string, string>;
  /** Upstream answer time limit, ms (default 10000). */
  upstreamTimeoutMs?: number;
  /** Webhook dispatcher: how often to look for work, ms (default 1000); 0 disables it. */
  webhookPollMs?: number;
  /** First retry delay, ms; doubles per attempt up to `webhookMaxBackoffMs` (default 5000). */
  webhookBackoffMs?: number;
  /** Longest retry delay, ms (default 3600000). */
  webhookMaxBackoffMs?: number;
  /** Webhook answer time limit, ms (default 10000). */
  webhookTimeoutMs?: number;
  /**
   * Webhook POSTs in flight at once per node (default 16), one at a time per (app, store) so each
   * store's events arrive in order (docs/adr/0172).
   */
  webhookConcurrency?: number;
  /** Order receivers each app may decrypt per GMT+8 day (`orders.receiver.get`; default 1000). */
  receiverQuotaPerDay?: number;
  /**
   * Days before a subscription's end that `subscription.expiring` is sent (default 7; `serve
   * --subscription-expiring-days`).
   */
  subscriptionExpiringDays?: number;
  /** Message service: seconds a pulled message stays hidden before it is handed out again (default 60). */
  messageVisibilitySeconds?: number;
  /** Message service: days events are kept (default 3). */
  messageRetentionDays?: number;
  /**
   * Message service: ms between looks at the queue during a long poll not woken by a publish on this node (default
   * 500).
   */
  messagePollMs?: number;
}

/** Options with defaults filled in. */
export type ResolvedGatewayOptions = Required<GatewayOptions>;

/** Fill in defaults and check values. */
export function resolveGatewayOptions(o: GatewayOptions = {}): ResolvedGatewayOptions {
  const upstreams = o.upstreams ?? {};
  for (const [method, url] of Object.entries(upstreams)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(`gateway upstream for ${method} is not an absolute URL: "${url}"`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new Error(`gateway upstream for ${method} must be http or https`);
  }
  return {
    timestampSkewSeconds: o.timestampSkewSeconds ?? 600,
    defaultQuotaPerDay: o.defaultQuotaPerDay ?? 100_000,
    defaultQuotaPerSecond: o.defaultQuotaPerSecond ?? 100,
    upstreams,
    upstreamTimeoutMs: o.upstreamTimeoutMs ?? 10_000,
    webhookPollMs: o.webhookPollMs ?? 1000,
    receiverQuotaPerDay: o.receiverQuotaPerDay ?? 1000,
    webhookBackoffMs: o.webhookBackoffMs ?? 5000,
    webhookMaxBackoffMs: o.webhookMaxBackoffMs ?? 3_600_000,
    webhookTimeoutMs: o.webhookTimeoutMs ?? 10_000,
    webhookConcurrency: Math.max(1, o.webhookConcurrency ?? 16),
    subscriptionExpiringDays: o.subscriptionExpiringDays ?? DEFAULT_EXPIRING_DAYS,
    messageVisibilitySeconds: o.messageVisibilitySeconds ?? 60,
    messageRetentionDays: o.messageRetentionDays ?? 3,
    messagePollMs: o.messagePollMs ?? 500,
  };
}
