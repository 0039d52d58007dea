import { sql, type Kysely } from 'kysely';
import type { DialectName } from './database.js';
import type { EventToQueue, MessageOutbox, MessageQueue, MessageRoute, QueuedMessage } from '../../messages/ports.js';
import { messageWebhookBody } from '../../messages/render.js';
import { splitScope } from './grant-row.js';
import { outboxLane } from '../gateway-ports.js';
import { splitStoreIds } from './store-ids.js';

/** Message service tables (migration 0018_messages). */
export interface MessageTables {
  message_events: {
    id: import('kysely').Generated<number>;
    topic: string;
    seller_id: number;
    store_id: number;
    data: string;
    created_at: number;
  };
  message_queue: {
    id: import('kysely').Generated<number>;
    app_key: string;
    event_id: number;
    /** 0022_message_queue_store: the event's store (null only in rows written before it, backfilled there). */
    store_id: number | null;
    created_at: number;
    visible_at: number;
    deliveries: number;
    delivered_at: number | null;
    acked_at: number | null;
  };
}

const chunks = <T>(xs: T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

const isId = (s: string) => /^[1-9]\d{0,15}$/.test(s);

/**
 * The database queue (docs/adr/0145): an event and its entries (and its webhook pushes) are written
 * in one transaction, so an event acknowledged to the publisher survives `kill -9`. The claim is one
 * `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`: on PostgreSQL the inner select takes
 * `FOR UPDATE SKIP LOCKED`, so consumers on several nodes never get the same entry inside the
 * visibility timeout; SQLite has one writer at a time, so the statement alone is enough.
 */
export function createKyselyMessageQueue(database: Kysely<any>, dialect: DialectName): MessageQueue {
  const db = database as Kysely<MessageTables & Record<string, any>>;
  const lockQ = dialect === 'postgres' ? sql`for update of q skip locked` : sql``;
  const materialized = sql`materialized`;
  return {
    kind: 'database',
    async publish(events: EventToQueue[]) {
      if (events.length === 0) return [];
      // Inside a caller's transaction (a gateway write and its events, GatewayStorage.transaction),
      // the caller's; otherwise its own.
      const inTransaction = <T>(fn: (trx: Kysely<MessageTables & Record<string, any>>) => Promise<T>) =>
        db.isTransaction ? fn(db) : db.transaction().execute(fn);
      return inTransaction(async (trx) => {
        // Public store ids (docs/adr/0125) for the webhook bodies.
        const pushStores = new Map<number, number | string>();
        const wanted = [...new Set(events.filter((e) => e.push.length > 0).map((e) => e.storeId))];
        if (wanted.length > 0) {
          for (const r of await trx
            .selectFrom('stores')
            .select(['store_id', 'external_id'])
            .where('store_id', 'in', wanted)
            .execute()) {
            pushStores.set(Number(r.store_id), r.external_id ?? Number(r.store_id));
          }
        }
        const ids: number[] = [];
        for (const part of chunks(events, 500)) {
          const rows = await trx
            .insertInto('message_events')
            .values(
              part.map((e) => ({
                topic: e.topic,
                seller_id: e.sellerId,
                store_id: e.storeId,
                data: e.data,
                created_at: e.createdAt,
              })),
            )
            .returning('id')
            .execute();
          // Ids are assigned in VALUES order; RETURNING's order is not promised, so sort.
          ids.push(...rows.map((r) => Number(r.id)).sort((a, b) => a - b));
        }
        const entries: Array<{
          app_key: string;
          event_id: number;
          store_id: number;
          created_at: number;
          visible_at: number;
          deliveries: number;
        }> = [];
        const pushes: Array<Record<string, unknown>> = [];
        events.forEach((e, i) => {
          const eventId = ids[i]!;
          for (const app of e.pull)
            entries.push({
              app_key: app,
              event_id: eventId,
              store_id: e.storeId,
              created_at: e.createdAt,
              visible_at: e.createdAt,
              deliveries: 0,
            });
          for (const app of e.push) {
            const body = messageWebhookBody(String(eventId), app, {
              ...e,
              storeId: pushStores.get(e.storeId) ?? e.storeId,
            });
            pushes.push({
              app_key: app,
              grant_id: `msg:${eventId}:${app}`,
              event: e.topic,
              body,
              store_key: outboxLane(body),
              created_at: e.createdAt,
              attempts: 0,
              next_attempt_at: e.createdAt,
            });
          }
        });
        for (const part of chunks(entries, 500)) await trx.insertInto('message_queue').values(part).execute();
        for (const part of chunks(pushes, 200)) await trx.insertInto('gateway_webhook_outbox').values(part).execute();
        return ids.map(String);
      });
    },

    async receive(appKey, max, now, visibilityMs) {
      // A read first: idle long polls look every half second, and an empty queue should cost a
      // read (concurrent in SQLite's WAL), not a write transaction.
      const any = await db
        .selectFrom('message_queue')
        .select('id')
        .where('app_key', '=', appKey)
        .where('acked_at', 'is', null)
        .where('visible_at', '<=', now)
        .limit(1)
        .executeTakeFirst();
      if (!any) return [];
      // FIFO per (app, store), like SQS message groups (docs/adr/0145, "Order per store"): `c` is
      // the oldest visible entries (on PostgreSQL those no other consumer holds locked); an entry of
      // `c` is claimed only if every earlier unacknowledged entry of its store is in `c` too. So
      // while entry N of a store is in flight (or being claimed on another node), N+1 waits; once
      // N's visibility timeout passes, N comes again before N+1. `limit 1 offset 0` keeps the
      // NOT EXISTS a per-candidate index probe: without it PostgreSQL turns it into an anti-join over
      // every unacknowledged entry of the app, each claim O(backlog) (105 deliveries/s at 30 000).
      const claimed = await sql<{ id: number; event_id: number; deliveries: number }>`
        with c as ${materialized} (
          select q.id, q.store_id from message_queue q
          where q.app_key = ${appKey} and q.acked_at is null and q.visible_at <= ${now}
          order by q.id limit ${max} ${lockQ}
        )
        update message_queue set visible_at = ${now + visibilityMs}, deliveries = deliveries + 1, delivered_at = ${now}
        where id in (
          select c.id from c
          where not exists (
            select 1 from message_queue p
            where p.app_key = ${appKey} and p.store_id = c.store_id and p.acked_at is null and p.id < c.id
              and p.id not in (select id from c)
            limit 1 offset 0
          )
        )
        returning id, event_id, deliveries`.execute(db);
      if (claimed.rows.length === 0) return [];
      const rows = claimed.rows
        .map((r) => ({ id: Number(r.id), eventId: Number(r.event_id), deliveries: Number(r.deliveries) }))
        .sort((a, b) => a.id - b.id);
      const events = await db
        .selectFrom('message_events')
        .select(['id', 'topic', 'seller_id', 'store_id', 'data', 'created_at'])
        .where('id', 'in', [...new Set(rows.map((r) => r.eventId))])
        .execute();
      const byId = new Map(events.map((e) => [Number(e.id), e]));
      const out: QueuedMessage[] = [];
      for (const r of rows) {
        const e = byId.get(r.eventId);
        if (!e) continue; // dropped by retention between the two statements
        out.push({
          id: String(r.id),
          eventId: String(r.eventId),
          topic: e.topic,
          sellerId: Number(e.seller_id),
          storeId: Number(e.store_id),
          data: e.data,
          createdAt: Number(e.created_at),
          deliveries: r.deliveries,
        });
      }
      return out;
    },

    async ack(appKey, ids, now) {
      const numeric = [...new Set(ids.filter(isId))].map(Number);
      let n = 0;
      for (const part of chunks(numeric, 500)) {
        const r = await db
          .updateTable('message_queue')
          .set({ acked_at: now })
          .where('app_key', '=', appKey)
          .where('acked_at', 'is', null)
          .where('id', 'in', part)
          .executeTakeFirst();
        n += Number(r.numUpdatedRows);
      }
      return n;
    },

    async stats(appKey, now, recent) {
      const c = await sql<{
        backlog: number | string | null;
        in_flight: number | string | null;
        redelivered: number | string | null;
        oldest: number | string | null;
      }>`
        select count(*) as backlog,
               sum(case when visible_at > ${now} and deliveries > 0 then 1 else 0 end) as in_flight,
               sum(case when deliveries > 1 then 1 else 0 end) as redelivered,
               min(created_at) as oldest
        from message_queue where app_key = ${appKey} and acked_at is null`.execute(db);
      const row = c.rows[0];
      const last = await db
        .selectFrom('message_queue as q')
        .innerJoin('message_events as e', 'e.id', 'q.event_id')
        .select(['q.id', 'e.topic', 'e.store_id', 'q.created_at', 'q.delivered_at', 'q.deliveries', 'q.acked_at'])
        .where('q.app_key', '=', appKey)
        .where('q.delivered_at', 'is not', null)
        .orderBy('q.delivered_at', 'desc')
        .orderBy('q.id', 'desc')
        .limit(recent)
        .execute();
      const p = await sql<{ pending: number | string | null; failing: number | string | null }>`
        select count(*) as pending, sum(case when last_error is not null then 1 else 0 end) as failing
        from gateway_webhook_outbox where app_key = ${appKey} and grant_id like 'msg:%' and delivered_at is null`.execute(
        db,
      );
      return {
        pushPending: Number(p.rows[0]?.pending ?? 0),
        pushFailing: Number(p.rows[0]?.failing ?? 0),
        backlog: Number(row?.backlog ?? 0),
        inFlight: Number(row?.in_flight ?? 0),
        redelivered: Number(row?.redelivered ?? 0),
        oldestAt: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest),
        recent: last.map((r) => ({
          id: String(r.id),
          topic: r.topic,
          storeId: Number(r.store_id),
          createdAt: Number(r.created_at),
          deliveredAt: Number(r.delivered_at),
          deliveries: Number(r.deliveries),
          ackedAt: r.acked_at === null ? null : Number(r.acked_at),
        })),
      };
    },

    async purge(before, limit) {
      const rows = await db
        .selectFrom('message_queue')
        .select(['id', 'acked_at'])
        .where('created_at', '<', before)
        .orderBy('id')
        .limit(limit)
        .execute();
      if (rows.length > 0) {
        for (const part of chunks(
          rows.map((r) => Number(r.id)),
          500,
        ))
          await db.deleteFrom('message_queue').where('id', 'in', part).execute();
      }
      const unacked = rows.filter((r) => r.acked_at === null).length;
      if (rows.length < limit) {
        // Every entry of these events is gone (entries share their event's publish time).
        await db
          .deleteFrom('message_events')
          .where('id', 'in', db.selectFrom('message_events').select('id').where('created_at', '<', before).limit(limit))
          .execute();
      }
      return { dropped: rows.length, unacked };
    },

    async close() {},
  };
}

/**
 * The message tables read as an outbox for the NATS JetStream relay (docs/adr/0180): the oldest
 * events with the apps of their unacknowledged entries; `remove` deletes events and entries.
 */
export function createKyselyMessageOutbox(database: Kysely<any>): MessageOutbox {
  const db = database as Kysely<MessageTables & Record<string, any>>;
  return {
    async take(limit) {
      const events = await db
        .selectFrom('message_events')
        .select(['id', 'topic', 'seller_id', 'store_id', 'data', 'created_at'])
        .orderBy('id')
        .limit(limit)
        .execute();
      if (events.length === 0) return [];
      const pull = new Map<number, string[]>();
      for (const part of chunks(
        events.map((e) => Number(e.id)),
        500,
      )) {
        const rows = await db
          .selectFrom('message_queue')
          .select(['event_id', 'app_key'])
          .where('event_id', 'in', part)
          .where('acked_at', 'is', null)
          .orderBy('id')
          .execute();
        for (const r of rows) {
          const id = Number(r.event_id);
          pull.set(id, [...(pull.get(id) ?? []), r.app_key]);
        }
      }
      return events.map((e) => ({
        eventId: String(e.id),
        topic: e.topic,
        sellerId: Number(e.seller_id),
        storeId: Number(e.store_id),
        data: e.data,
        createdAt: Number(e.created_at),
        pull: pull.get(Number(e.id)) ?? [],
        push: [],
      }));
    },
    async remove(eventIds) {
      const ids = eventIds.filter(isId).map(Number);
      for (const part of chunks(ids, 500))
        await db.transaction().execute(async (trx) => {
          await trx.deleteFrom('message_queue').where('event_id', 'in', part).execute();
          await trx.deleteFrom('message_events').where('id', 'in', part).execute();
        });
    },
  };
}

/** A seller's live grants of apps that subscribed to topics: who may receive the seller's events. */
export async function messageRoutesOf(database: Kysely<any>, sellerId: number): Promise<MessageRoute[]> {
  const rows = await database
    .selectFrom('grants as g')
    .innerJoin('gateway_apps as a', 'a.app_key', 'g.app_key')
    .innerJoin('apps as p', 'p.app_key', 'g.app_key')
    .select(['g.app_key', 'g.store_id', 'g.store_ids', 'g.scope', 'a.topics', 'a.permissions', 'a.webhook_url'])
    .where('g.seller_id', '=', sellerId)
    .where('g.revoked_at', 'is', null)
    .where('a.topics', 'is not', null)
    .where('p.status', '!=', 'suspended')
    .execute();
  return rows.map((r: any) => ({
    appKey: r.app_key,
    storeIds: splitStoreIds(r.store_ids, r.store_id),
    scope: splitScope(r.scope),
    topics: splitScope(r.topics ?? ''),
    permissions: r.permissions === null ? null : (JSON.parse(r.permissions) as string[]),
    webhookUrl: r.webhook_url,
  }));
}
