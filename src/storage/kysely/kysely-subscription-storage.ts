import type { CompiledQuery, Kysely, Selectable, Transaction } from 'kysely';
import { precompile } from './compiled-query.js';
import type { SubscriptionEventKind, SubscriptionRecord, SubscriptionRepository } from '../ports.js';
import { appendAudit } from './audit.js';
import type { Database } from './schema.js';
import { outboxLane } from '../gateway-ports.js';

type Db = Kysely<Database> | Transaction<Database>;

const numOrNull = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));

function toSubscription(r: Selectable<Database['subscriptions']>): SubscriptionRecord {
  return {
    subscriptionId: r.subscription_id,
    appKey: r.app_key,
    sellerId: Number(r.seller_id),
    plan: r.plan,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    expiresAt: Number(r.expires_at),
    cancelledAt: numOrNull(r.cancelled_at),
    expiringEventFor: numOrNull(r.expiring_event_for),
    expiredEventAt: numOrNull(r.expired_event_at),
  };
}

/** The latest end among the seller's active subscriptions to the app (not cancelled, ending after `now`). */
async function activeUntil(db: Db, appKey: string, sellerId: number, now: number): Promise<number | undefined> {
  const r = await db
    .selectFrom('subscriptions')
    .select((eb) => eb.fn.max('expires_at').as('until'))
    .where('app_key', '=', appKey)
    .where('seller_id', '=', sellerId)
    .where('cancelled_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return r?.until === null || r?.until === undefined ? undefined : Number(r.until);
}

/**
 * Cap the live tokens of the seller's live grant for the app at the seller's latest active end (now,
 * when none is active): one UPDATE, so the token lookup's own expiry check covers it (docs/adr/0140).
 * Nothing for apps that do not require a subscription. Returns how many tokens were capped.
 */
async function capTokens(trx: Transaction<Database>, appKey: string, sellerId: number, now: number): Promise<number> {
  const app = await trx
    .selectFrom('apps')
    .select('require_subscription')
    .where('app_key', '=', appKey)
    .executeTakeFirst();
  if (!app || Number(app.require_subscription ?? 0) !== 1) return 0;
  const end = (await activeUntil(trx, appKey, sellerId, now)) ?? now;
  const r = await trx
    .updateTable('tokens')
    .set({ expires_at: end })
    .where('expires_at', '>', end)
    .where('revoked_at', 'is', null)
    .where('grant_id', 'in', (eb) =>
      eb
        .selectFrom('grants')
        .select('grant_id')
        .where('app_key', '=', appKey)
        .where('seller_id', '=', sellerId)
        .where('revoked_at', 'is', null),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows ?? 0);
}

/** The Kysely implementation of the subscriptions (SQLite and PostgreSQL; docs/adr/0140). */
export function createKyselySubscriptionRepository(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
  read: <R>(q: CompiledQuery<R>) => Promise<R[]> = async (q) => (await db.executeQuery(q)).rows,
): SubscriptionRepository {
  // On every code exchange and refresh of a paid app: compiled once, and on SQLite's direct read
  // path when the connection is free (docs/adr/0054, 0058, 0140).
  const activeUntilQuery = precompile(db, ['appKey', 'sellerId', 'now'], (p) =>
    db
      .selectFrom('subscriptions')
      .select((eb) => eb.fn.max('expires_at').as('until'))
      .where('app_key', '=', p.appKey)
      .where('seller_id', '=', p.sellerId as unknown as number)
      .where('cancelled_at', 'is', null)
      .where('expires_at', '>', p.now as unknown as number),
  );
  /** The row, locked for the transaction on PostgreSQL (a concurrent renew and cancel apply one after the other). */
  const locked = async (trx: Transaction<Database>, id: string) => {
    const q = trx.selectFrom('subscriptions').selectAll().where('subscription_id', '=', id);
    const r = await (dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
    return r && toSubscription(r);
  };
  const find = async (id: string) => {
    const r = await db.selectFrom('subscriptions').selectAll().where('subscription_id', '=', id).executeTakeFirst();
    return r && toSubscription(r);
  };
  return {
    async create(s, audit) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('subscriptions')
          .values({
            subscription_id: s.subscriptionId,
            app_key: s.appKey,
            seller_id: s.sellerId,
            plan: s.plan,
            created_at: s.createdAt,
            updated_at: s.updatedAt,
            expires_at: s.expiresAt,
            cancelled_at: s.cancelledAt,
            expiring_event_for: null,
            expired_event_at: null,
          })
          .execute();
        await appendAudit(trx, audit);
      });
    },
    find,
    async list(q) {
      let query = db.selectFrom('subscriptions').selectAll();
      if (q.appKey !== undefined) query = query.where('app_key', '=', q.appKey);
      if (q.sellerId !== undefined) query = query.where('seller_id', '=', q.sellerId);
      if (q.status === 'active') query = query.where('cancelled_at', 'is', null).where('expires_at', '>', q.now);
      if (q.status === 'ended')
        query = query.where((eb) => eb.or([eb('cancelled_at', 'is not', null), eb('expires_at', '<=', q.now)]));
      if (q.after) {
        const { createdAt, subscriptionId } = q.after;
        query = query.where((eb) =>
          eb.or([
            eb('created_at', '<', createdAt),
            eb.and([eb('created_at', '=', createdAt), eb('subscription_id', '<', subscriptionId)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('subscription_id', 'desc')
        .limit(q.limit)
        .execute();
      return rows.map(toSubscription);
    },
    async activeUntil(appKey, sellerId, now) {
      const r = (await read(activeUntilQuery.bind({ appKey, sellerId, now })))[0] as
        { until: number | string | null } | undefined;
      return r?.until === null || r?.until === undefined ? undefined : Number(r.until);
    },
    async renew(id, expiresAt, now, audit) {
      return db.transaction().execute(async (trx) => {
        const before = await locked(trx, id);
        if (!before) return { status: 'not_found' as const };
        if (before.cancelledAt !== null) return { status: 'cancelled' as const, subscription: before };
        // The events start over for the new end: `expiring` before it, `expired` once it passed.
        await trx
          .updateTable('subscriptions')
          .set({
            expires_at: expiresAt,
            updated_at: now,
            expiring_event_for: null,
            ...(expiresAt > now ? { expired_event_at: null } : {}),
          })
          .where('subscription_id', '=', id)
          .execute();
        await capTokens(trx, before.appKey, before.sellerId, now);
        await appendAudit(trx, audit);
        return { status: 'renewed' as const, subscription: (await locked(trx, id))! };
      });
    },
    async cancel(id, now, audit) {
      return db.transaction().execute(async (trx) => {
        const before = await locked(trx, id);
        if (!before) return { status: 'not_found' as const };
        if (before.cancelledAt !== null) return { status: 'cancelled' as const, subscription: before, changed: false };
        await trx
          .updateTable('subscriptions')
          .set({ cancelled_at: now, updated_at: now })
          .where('subscription_id', '=', id)
          .execute();
        await capTokens(trx, before.appKey, before.sellerId, now);
        await appendAudit(trx, audit);
        return { status: 'cancelled' as const, subscription: (await locked(trx, id))!, changed: true };
      });
    },
    async owingEvents(now, windowMs, limit) {
      // Each through a partial index of what is still owed (0017_subscriptions): no history scans.
      const expiring = await db
        .selectFrom('subscriptions')
        .selectAll()
        .where('expiring_event_for', 'is', null)
        .where('expires_at', '>', now)
        .where('expires_at', '<=', now + windowMs)
        .where('cancelled_at', 'is', null)
        .orderBy('expires_at')
        .limit(limit)
        .execute();
      const ended = await db
        .selectFrom('subscriptions')
        .selectAll()
        .where('expired_event_at', 'is', null)
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(limit)
        .execute();
      const cancelled = await db
        .selectFrom('subscriptions')
        .selectAll()
        .where('expired_event_at', 'is', null)
        .where('cancelled_at', 'is not', null)
        .orderBy('cancelled_at')
        .limit(limit)
        .execute();
      const expired = [
        ...ended,
        ...cancelled.filter((c) => !ended.some((e) => e.subscription_id === c.subscription_id)),
      ];
      return [
        ...expiring.map((r) => ({
          subscription: toSubscription(r),
          kind: 'subscription.expiring' as SubscriptionEventKind,
        })),
        ...expired.map((r) => ({
          subscription: toSubscription(r),
          kind: 'subscription.expired' as SubscriptionEventKind,
        })),
      ];
    },
    async recordEvent({ subscriptionId, kind, expiresAt, now, outbox }) {
      return db.transaction().execute(async (trx) => {
        const q = trx
          .updateTable('subscriptions')
          .where('subscription_id', '=', subscriptionId)
          .where('expires_at', '=', expiresAt);
        const r =
          kind === 'subscription.expiring'
            ? await q
                .set({ expiring_event_for: expiresAt })
                .where((eb) => eb.or([eb('expiring_event_for', 'is', null), eb('expiring_event_for', '<>', expiresAt)]))
                .executeTakeFirst()
            : await q.set({ expired_event_at: now }).where('expired_event_at', 'is', null).executeTakeFirst();
        if (Number(r.numUpdatedRows ?? 0) !== 1) return false;
        if (outbox) {
          // Unique on (key, event): the outbox's own guarantee of one row per event (docs/adr/0031).
          await trx
            .insertInto('gateway_webhook_outbox')
            .values({
              app_key: outbox.appKey,
              grant_id: outbox.key,
              event: outbox.event,
              body: outbox.body,
              store_key: outboxLane(outbox.body),
              created_at: now,
              attempts: 0,
              next_attempt_at: now,
            })
            .onConflict((oc) => oc.columns(['grant_id', 'event']).doNothing())
            .execute();
        }
        return true;
      });
    },
  };
}
