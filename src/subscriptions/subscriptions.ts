/**
 * Service subscriptions (issue 16 §1, docs/adr/0140): an operator records that a seller bought an
 * app in the platform's service market, until a time. An app marked `require_subscription` can only
 * be authorized by sellers with an active subscription, and its tokens never outlive it: the
 * authorize page refuses the others (403, with the app's purchase URL), code exchanges and refreshes
 * cap `expires_in` and the refresh lifetime at the subscription's end, and a cancellation or a
 * shortening renewal caps the live tokens at once (one UPDATE). The CLI (`shouquan subscription …`),
 * the management API (`/admin/api/v1/subscriptions`) and `/admin` call this module.
 */
import { randomId } from '../crypto/tokens.js';
import { ManagementError } from '../management/management-error.js';
import { decodeCursor, page, pageLimit, parseSellerId, type Page } from '../management/services.js';
import type { GatewayStorage } from '../storage/gateway-ports.js';
import type { Storage, SubscriptionEventKind, SubscriptionRecord } from '../storage/ports.js';

/** Days before the end that `subscription.expiring` is produced (`serve --subscription-expiring-days`). */
export const DEFAULT_EXPIRING_DAYS = 7;
/** The longest `--subscription-expiring-days`. */
export const MAX_EXPIRING_DAYS = 90;

/** A subscription's state at a time. */
export type SubscriptionStatus = 'active' | 'expired' | 'cancelled';

export function subscriptionStatus(s: SubscriptionRecord, now: number): SubscriptionStatus {
  if (s.cancelledAt !== null) return 'cancelled';
  return s.expiresAt > now ? 'active' : 'expired';
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The JSON of the management API and the CLI's `--json`. */
export function subscriptionJson(s: SubscriptionRecord, now: number) {
  return {
    subscription_id: s.subscriptionId,
    app_key: s.appKey,
    seller_id: String(s.sellerId),
    plan: s.plan,
    status: subscriptionStatus(s, now),
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
    expires_at: iso(s.expiresAt),
    cancelled_at: s.cancelledAt === null ? null : iso(s.cancelledAt),
  };
}

/** ISO 8601 with a zone: `2027-01-01T00:00:00Z`, `2027-01-01T08:00:00+08:00`, fractions of seconds allowed. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** An end time from a flag or a body: ISO 8601 with a zone, after `now`. */
export function parseExpiresAt(raw: string, now: number): number {
  const ms = ISO_8601.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(ms))
    throw new ManagementError(
      400,
      'invalid_request',
      `expires_at must be an ISO 8601 time with a zone, like 2027-01-01T00:00:00Z, got "${raw}"`,
    );
  if (ms <= now)
    throw new ManagementError(
      400,
      'invalid_request',
      `expires_at ${raw} is not in the future (to end a subscription now, cancel it)`,
    );
  return ms;
}

function checkPlan(plan: string | undefined): string | null {
  if (plan === undefined) return null;
  const p = plan.trim();
  if (p === '' || p.length > 100) throw new ManagementError(400, 'invalid_request', 'plan must be 1 to 100 characters');
  return p;
}

/** Who did it, for the audit line (`cli`, `token:<name>`, `operator:<username>`). */
export type Actor = string;

/** Record a seller's subscription to an app. One active subscription per seller and app: renew it instead. */
export async function createSubscription(
  storage: Storage,
  input: { appKey: string; sellerId: string; expiresAt: string; plan?: string },
  actor: Actor,
  now: number,
): Promise<SubscriptionRecord> {
  const sellerId = parseSellerId(input.sellerId);
  const expiresAt = parseExpiresAt(input.expiresAt, now);
  const plan = checkPlan(input.plan);
  if (!(await storage.apps.find(input.appKey)))
    throw new ManagementError(404, 'not_found', `no app with app_key ${input.appKey}`);
  if (!(await storage.sellers.find(sellerId)))
    throw new ManagementError(404, 'not_found', `no seller with seller_id ${sellerId}`);
  const [active] = await storage.subscriptions.list({
    appKey: input.appKey,
    sellerId,
    status: 'active',
    now,
    limit: 1,
  });
  if (active)
    throw new ManagementError(
      409,
      'conflict',
      `seller ${sellerId} already has an active subscription to app ${input.appKey} (${active.subscriptionId}, until ${iso(active.expiresAt)}): renew it instead`,
    );
  const sub: SubscriptionRecord = {
    subscriptionId: `sub_${randomId()}`,
    appKey: input.appKey,
    sellerId,
    plan,
    createdAt: now,
    updatedAt: now,
    expiresAt,
    cancelledAt: null,
    expiringEventFor: null,
    expiredEventAt: null,
  };
  await storage.subscriptions.create(sub, {
    at: now,
    event: 'subscription.created',
    actor,
    appKey: sub.appKey,
    sellerId,
    subject: sub.subscriptionId,
    detail: { plan, expires_at: iso(expiresAt) },
  });
  return sub;
}

/** A subscription, or a 404. */
export async function getSubscription(storage: Storage, subscriptionId: string): Promise<SubscriptionRecord> {
  const s = /^sub_[A-Za-z0-9_-]{1,64}$/.test(subscriptionId)
    ? await storage.subscriptions.find(subscriptionId)
    : undefined;
  if (!s) throw new ManagementError(404, 'not_found', `no subscription with subscription_id ${subscriptionId}`);
  return s;
}

/**
 * Move a subscription's end. A later end extends the seller's live grant without a new consent (the
 * next refresh gets tokens up to it); an earlier one caps the live tokens at once. Not for a
 * cancelled subscription (409): record a new one.
 */
export async function renewSubscription(
  storage: Storage,
  subscriptionId: string,
  rawExpiresAt: string,
  actor: Actor,
  now: number,
): Promise<SubscriptionRecord> {
  const before = await getSubscription(storage, subscriptionId);
  const expiresAt = parseExpiresAt(rawExpiresAt, now);
  const r = await storage.subscriptions.renew(subscriptionId, expiresAt, now, {
    at: now,
    event: 'subscription.renewed',
    actor,
    appKey: before.appKey,
    sellerId: before.sellerId,
    subject: subscriptionId,
    detail: { from: iso(before.expiresAt), to: iso(expiresAt) },
  });
  if (r.status === 'not_found')
    throw new ManagementError(404, 'not_found', `no subscription with subscription_id ${subscriptionId}`);
  if (r.status === 'cancelled')
    throw new ManagementError(
      409,
      'conflict',
      `subscription ${subscriptionId} was cancelled at ${iso(r.subscription.cancelledAt!)}; record a new one`,
    );
  return r.subscription;
}

/**
 * End a subscription now: the seller's tokens for the app stop at once (unless another subscription
 * is active). Idempotent.
 */
export async function cancelSubscription(
  storage: Storage,
  subscriptionId: string,
  actor: Actor,
  now: number,
): Promise<SubscriptionRecord> {
  const before = await getSubscription(storage, subscriptionId);
  const r = await storage.subscriptions.cancel(subscriptionId, now, {
    at: now,
    event: 'subscription.cancelled',
    actor,
    appKey: before.appKey,
    sellerId: before.sellerId,
    subject: subscriptionId,
    detail: { expires_at: iso(before.expiresAt) },
  });
  if (r.status === 'not_found')
    throw new ManagementError(404, 'not_found', `no subscription with subscription_id ${subscriptionId}`);
  return r.subscription;
}

/** Subscriptions by app, seller and status, newest first. */
export async function listSubscriptions(
  storage: Storage,
  q: { app_key?: string; seller_id?: string; status?: string; limit?: number | string; cursor?: string },
  now: number,
): Promise<Page<SubscriptionRecord>> {
  if (q.status !== undefined && q.status !== 'active' && q.status !== 'ended')
    throw new ManagementError(400, 'invalid_request', 'status must be active or ended');
  const limit = pageLimit(q.limit);
  const after = decodeCursor(
    q.cursor,
    (v): v is [number, string] =>
      Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string',
  );
  const sellerId =
    q.seller_id === undefined || q.seller_id === ''
      ? undefined
      : /^\d{1,15}$/.test(q.seller_id)
        ? Number(q.seller_id)
        : -1;
  if (sellerId === -1) return { items: [], nextCursor: null };
  const rows = await storage.subscriptions.list({
    appKey: q.app_key || undefined,
    sellerId,
    status: q.status as 'active' | 'ended' | undefined,
    now,
    after: after && { createdAt: after[0], subscriptionId: after[1] },
    limit: limit + 1,
  });
  return page(rows, limit, (s) => [s.createdAt, s.subscriptionId]);
}

/**
 * The body of a subscription event, as the app's webhook receives it (and, later, the message
 * service): one per subscription, kind and end (`event_id`), so a renewal gets its own.
 */
export function subscriptionEventBody(
  s: SubscriptionRecord,
  kind: SubscriptionEventKind,
  now: number,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    event: kind,
    event_id: `${s.subscriptionId}:${kind}:${s.expiresAt}`,
    app_key: s.appKey,
    seller_id: s.sellerId,
    subscription_id: s.subscriptionId,
    plan: s.plan,
    expires_at: iso(s.expiresAt),
  };
  if (kind === 'subscription.expired') {
    body.reason = s.cancelledAt !== null ? 'cancelled' : 'expired';
    body.occurred_at = iso(s.cancelledAt ?? s.expiresAt);
  } else {
    body.occurred_at = iso(now);
  }
  return body;
}

/**
 * Produce the subscription events owed at `now`, exactly once each (a conditional UPDATE of the
 * subscription's marker, in the same transaction as the webhook outbox row; restart-safe, and
 * several nodes never produce one twice). An app with a webhook gets it through the signed outbox
 * (docs/adr/0031); an app without one that subscribed to the topic through its pull queue (the
 * dispatcher forwards the outbox row, docs/adr/0171); otherwise the event is only recorded.
 * Returns how many were produced.
 */
export async function produceSubscriptionEvents(
  storage: Storage,
  gateway: GatewayStorage | undefined,
  opts: { now: number; expiringDays: number; limit?: number },
): Promise<number> {
  const owing = await storage.subscriptions.owingEvents(opts.now, opts.expiringDays * 86_400_000, opts.limit ?? 100);
  let produced = 0;
  for (const { subscription: s, kind } of owing) {
    const body = subscriptionEventBody(s, kind, opts.now);
    const settings = await gateway?.apps.find(s.appKey);
    const outbox =
      settings?.webhookUrl || settings?.topics?.includes(kind)
        ? { appKey: s.appKey, key: `${s.subscriptionId}@${s.expiresAt}`, event: kind, body: JSON.stringify(body) }
        : undefined;
    if (
      !(await storage.subscriptions.recordEvent({
        subscriptionId: s.subscriptionId,
        kind,
        expiresAt: s.expiresAt,
        now: opts.now,
        outbox,
      }))
    )
      continue;
    produced++;
  }
  return produced;
}
