import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { DialectName } from './database.js';
import { precompile, precompileInsert } from './compiled-query.js';
import { appendAudit } from './audit.js';
import {
  createKyselyMessageOutbox,
  createKyselyMessageQueue,
  messageRoutesOf,
  type MessageTables,
} from './kysely-message-queue.js';
import { OUTBOX_DONE, outboxLane } from '../gateway-ports.js';
import { toApp } from './kysely-app-storage.js';
import type {
  CallFace,
  CallRecord,
  GatewayAppRecord,
  GatewayStorage,
  OrderLine,
  OrderRecord,
  OrderStatus,
  OutboxRecord,
  ProductRecord,
  ProductStatus,
  StoreSettings,
} from '../gateway-ports.js';

/** Gateway table shapes (migration 0002_gateway). */
export interface GatewayTables extends MessageTables {
  gateway_apps: {
    app_key: string;
    sealed_secret: string | null;
    webhook_url: string | null;
    webhook_since: number | null;
    permissions: string | null;
    quota_per_day: number | null;
    quota_per_second: number | null;
    /** 0005_gateway_calls. */
    previous_sealed_secret?: string | null;
    previous_secret_expires_at?: number | null;
    /** 0013_keys. */
    fragment_redirect?: string | null;
    client_side_flow_at?: number | null;
    /** 0019_receiver_quota. */
    receiver_quota_per_day?: number | null;
    /** 0018_messages: subscribed topics, space-separated. */
    topics?: string | null;
    /** 0023_authorization_topics: when the topics last gained an `authorization.*` topic. */
    authorization_since?: number | null;
  };
  /** 0005_gateway_calls: one row per gateway call, written in batches. */
  gateway_calls: {
    id: GeneratedId;
    app_key: string;
    method: string;
    face: string;
    store_id: number | null;
    seller_id: number | null;
    code: number | null;
    sub_code: string | null;
    http_status: number;
    duration_ms: number;
    at: number;
  };
  gateway_store_settings: { store_id: number; settings: string; updated_at: number };
  gateway_products: {
    product_id: GeneratedId;
    store_id: number;
    title: string;
    outer_id: string | null;
    price_cents: number;
    stock: number;
    status: string;
    created_at: number;
    updated_at: number;
  };
  gateway_orders: {
    order_id: GeneratedId;
    store_id: number;
    status: string;
    buyer_nick: string;
    receiver_name: string;
    receiver_phone: string;
    receiver_address: string;
    total_cents: number;
    lines: string;
    logistics_company: string | null;
    tracking_no: string | null;
    created_at: number;
    updated_at: number;
    shipped_at: number | null;
  };
  gateway_quota: { app_key: string; window: string; count: number; expires_at: number };
  gateway_webhook_outbox: {
    id: GeneratedId;
    app_key: string;
    grant_id: string;
    event: string;
    body: string;
    created_at: number;
    attempts: number;
    next_attempt_at: number;
    delivered_at: number | null;
    last_error: string | null;
    /** The event's lane: its body's `store_id` as JSON text, '' without one (migration 0028, docs/adr/0190). */
    store_key: import('kysely').Generated<string>;
  };
}
type GeneratedId = import('kysely').Generated<number>;
type Db = Kysely<Database & GatewayTables>;

const num = (v: unknown) => Number(v);
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toGatewayApp(r: GatewayTables['gateway_apps']): GatewayAppRecord {
  return {
    appKey: r.app_key,
    sealedSecret: r.sealed_secret,
    previousSealedSecret: r.previous_sealed_secret ?? null,
    previousSecretExpiresAt: r.previous_sealed_secret ? numOrNull(r.previous_secret_expires_at) : null,
    webhookUrl: r.webhook_url,
    webhookSince: numOrNull(r.webhook_since),
    permissions: r.permissions === null ? null : (JSON.parse(r.permissions) as string[]),
    quotaPerDay: numOrNull(r.quota_per_day),
    quotaPerSecond: numOrNull(r.quota_per_second),
    receiverQuotaPerDay: numOrNull(r.receiver_quota_per_day),
    fragmentRedirect:
      r.fragment_redirect === 'exact-callback' || r.fragment_redirect === 'redirect-rule' ? r.fragment_redirect : null,
    clientSideFlowAt: numOrNull(r.client_side_flow_at),
    topics: r.topics ? r.topics.split(' ') : null,
    authorizationSince: numOrNull(r.authorization_since),
  };
}

function toCall(r: any): CallRecord {
  return {
    appKey: r.app_key,
    method: r.method,
    face: r.face as CallFace,
    storeId: numOrNull(r.store_id),
    sellerId: numOrNull(r.seller_id),
    code: numOrNull(r.code),
    subCode: r.sub_code,
    httpStatus: num(r.http_status),
    durationMs: num(r.duration_ms),
    at: num(r.at),
  };
}

function toProduct(r: any): ProductRecord {
  return {
    productId: num(r.product_id),
    storeId: num(r.store_id),
    title: r.title,
    outerId: r.outer_id,
    priceCents: num(r.price_cents),
    stock: num(r.stock),
    status: r.status as ProductStatus,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

function toOrder(r: any): OrderRecord {
  return {
    orderId: num(r.order_id),
    storeId: num(r.store_id),
    status: r.status as OrderStatus,
    buyerNick: r.buyer_nick,
    receiverName: r.receiver_name,
    receiverPhone: r.receiver_phone,
    receiverAddress: r.receiver_address,
    totalCents: num(r.total_cents),
    lines: JSON.parse(r.lines) as OrderLine[],
    logisticsCompany: r.logistics_company,
    trackingNo: r.tracking_no,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    shippedAt: numOrNull(r.shipped_at),
  };
}

function toOutbox(r: any): OutboxRecord {
  return {
    id: num(r.id),
    appKey: r.app_key,
    grantId: r.grant_id,
    event: r.event,
    body: r.body,
    createdAt: num(r.created_at),
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    deliveredAt: numOrNull(r.delivered_at),
    lastError: r.last_error,
  };
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Insert or update an app's gateway settings; only the fields given change. */
export async function upsertGatewayApp(
  db: Kysely<any>,
  appKey: string,
  changes: Parameters<GatewayStorage['apps']['upsert']>[1],
): Promise<void> {
  const row: Partial<GatewayTables['gateway_apps']> = {};
  if (changes.sealedSecret !== undefined) row.sealed_secret = changes.sealedSecret;
  if (changes.previousSealedSecret !== undefined) row.previous_sealed_secret = changes.previousSealedSecret;
  if (changes.previousSecretExpiresAt !== undefined) row.previous_secret_expires_at = changes.previousSecretExpiresAt;
  if (changes.webhookUrl !== undefined) row.webhook_url = changes.webhookUrl;
  if (changes.webhookSince !== undefined) row.webhook_since = changes.webhookSince;
  if (changes.permissions !== undefined)
    row.permissions = changes.permissions === null ? null : JSON.stringify(changes.permissions);
  if (changes.quotaPerDay !== undefined) row.quota_per_day = changes.quotaPerDay;
  if (changes.quotaPerSecond !== undefined) row.quota_per_second = changes.quotaPerSecond;
  if (changes.receiverQuotaPerDay !== undefined) row.receiver_quota_per_day = changes.receiverQuotaPerDay;
  if (changes.fragmentRedirect !== undefined) row.fragment_redirect = changes.fragmentRedirect;
  if (changes.clientSideFlowAt !== undefined) row.client_side_flow_at = changes.clientSideFlowAt;
  if (changes.topics !== undefined)
    row.topics = changes.topics === null || changes.topics.length === 0 ? null : changes.topics.join(' ');
  if (changes.authorizationSince !== undefined) row.authorization_since = changes.authorizationSince;
  const q = (db as Db).insertInto('gateway_apps').values({ app_key: appKey, ...row });
  if (Object.keys(row).length === 0) await q.onConflict((oc) => oc.column('app_key').doNothing()).execute();
  else await q.onConflict((oc) => oc.column('app_key').doUpdateSet(row)).execute();
}

export function createKyselyGatewayStorage(database: Kysely<Database>, _dialect: DialectName): GatewayStorage {
  const db = database as unknown as Db;
  const insertCalls = precompileInsert<Omit<GatewayTables['gateway_calls'], 'id'>>(
    database,
    'gateway_calls',
    ['app_key', 'method', 'face', 'store_id', 'seller_id', 'code', 'sub_code', 'http_status', 'duration_ms', 'at'],
    500,
    // A full batch (CallLogWriter's default maxBatch) is one statement: SQLite spends ≈ 2.8 µs per
    // row in 50-row INSERTs and ≈ 2 µs in 200-row ones (docs/adr/0062).
    [1, 10, 100, 500],
  );
  // store.get's own read, on every call of the method (the signed router's benchmark workload): built once.
  const storeSettingsRow = precompile(database, ['storeId'], (p) =>
    db
      .selectFrom('gateway_store_settings')
      .selectAll()
      .where('store_id', '=', p.storeId as unknown as number),
  );
  return {
    messages: createKyselyMessageQueue(database, _dialect),
    messageRoutes: (sellerId) => messageRoutesOf(database, sellerId),
    messageOutbox: createKyselyMessageOutbox(database),
    transaction: (fn) =>
      database.isTransaction
        ? fn(createKyselyGatewayStorage(database, _dialect))
        : database.transaction().execute((trx) => fn(createKyselyGatewayStorage(trx, _dialect))),
    apps: {
      async find(appKey) {
        const r = await db.selectFrom('gateway_apps').selectAll().where('app_key', '=', appKey).executeTakeFirst();
        return r ? toGatewayApp(r) : undefined;
      },
      upsert: (appKey, changes) => upsertGatewayApp(db, appKey, changes),
      async findForCall(appKey) {
        // One read for a signed call: the app and its gateway settings (docs/adr/0130).
        const r = await db
          .selectFrom('apps')
          .leftJoin('gateway_apps as g', 'g.app_key', 'apps.app_key')
          .selectAll('apps')
          .select([
            'g.app_key as g_app_key',
            'g.sealed_secret',
            'g.previous_sealed_secret',
            'g.previous_secret_expires_at as g_previous_secret_expires_at',
            'g.webhook_url',
            'g.webhook_since',
            'g.permissions',
            'g.quota_per_day',
            'g.quota_per_second',
            'g.receiver_quota_per_day',
            'g.fragment_redirect',
            'g.client_side_flow_at',
            'g.topics',
            'g.authorization_since',
          ])
          .where('apps.app_key', '=', appKey)
          .executeTakeFirst();
        if (!r) return undefined;
        const settings =
          r.g_app_key === null
            ? undefined
            : toGatewayApp({
                app_key: r.g_app_key,
                sealed_secret: r.sealed_secret,
                previous_sealed_secret: r.previous_sealed_secret,
                previous_secret_expires_at: r.g_previous_secret_expires_at,
                webhook_url: r.webhook_url,
                webhook_since: r.webhook_since,
                permissions: r.permissions,
                quota_per_day: r.quota_per_day,
                quota_per_second: r.quota_per_second,
                receiver_quota_per_day: r.receiver_quota_per_day,
                fragment_redirect: r.fragment_redirect,
                client_side_flow_at: r.client_side_flow_at,
                topics: r.topics,
                authorization_since: r.authorization_since,
              });
        return { app: toApp(r), settings };
      },
    },
    data: {
      async storeSettings(storeId) {
        const r = (await storeSettingsRow({ storeId })).rows[0];
        return r
          ? {
              storeId: num(r.store_id),
              settings: JSON.parse(r.settings) as StoreSettings,
              updatedAt: num(r.updated_at),
            }
          : undefined;
      },
      async saveStoreSettings(rec) {
        const row = { settings: JSON.stringify(rec.settings), updated_at: rec.updatedAt };
        await db
          .insertInto('gateway_store_settings')
          .values({ store_id: rec.storeId, ...row })
          .onConflict((oc) => oc.column('store_id').doUpdateSet(row))
          .execute();
      },
      async products(q) {
        let base = db.selectFrom('gateway_products').where('store_id', '=', q.storeId);
        if (q.status) base = base.where('status', '=', q.status);
        if (q.updatedFrom !== undefined) base = base.where('updated_at', '>=', q.updatedFrom);
        if (q.updatedTo !== undefined) base = base.where('updated_at', '<=', q.updatedTo);
        const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        const rows = await base
          .selectAll()
          .orderBy('updated_at', 'desc')
          .orderBy('product_id', 'desc')
          .limit(q.limit)
          .offset(q.offset)
          .execute();
        return { items: rows.map(toProduct), total: num(total.n) };
      },
      async product(storeId, productId) {
        const r = await db
          .selectFrom('gateway_products')
          .selectAll()
          .where('store_id', '=', storeId)
          .where('product_id', '=', productId)
          .executeTakeFirst();
        return r ? toProduct(r) : undefined;
      },
      async createProduct(p) {
        const r = await db
          .insertInto('gateway_products')
          .values({
            store_id: p.storeId,
            title: p.title,
            outer_id: p.outerId,
            price_cents: p.priceCents,
            stock: p.stock,
            status: p.status,
            created_at: p.createdAt,
            updated_at: p.updatedAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toProduct(r);
      },
      async updateProduct(storeId, productId, changes, now) {
        const row: Record<string, unknown> = { updated_at: now };
        if (changes.title !== undefined) row.title = changes.title;
        if (changes.outerId !== undefined) row.outer_id = changes.outerId;
        if (changes.priceCents !== undefined) row.price_cents = changes.priceCents;
        if (changes.stock !== undefined) row.stock = changes.stock;
        if (changes.status !== undefined) row.status = changes.status;
        const r = await db
          .updateTable('gateway_products')
          .set(row)
          .where('store_id', '=', storeId)
          .where('product_id', '=', productId)
          .returningAll()
          .executeTakeFirst();
        return r ? toProduct(r) : undefined;
      },
      async orders(q) {
        let base = db.selectFrom('gateway_orders').where('store_id', '=', q.storeId);
        if (q.status) base = base.where('status', '=', q.status);
        if (q.createdFrom !== undefined) base = base.where('created_at', '>=', q.createdFrom);
        if (q.createdTo !== undefined) base = base.where('created_at', '<=', q.createdTo);
        if (q.updatedFrom !== undefined) base = base.where('updated_at', '>=', q.updatedFrom);
        if (q.updatedTo !== undefined) base = base.where('updated_at', '<=', q.updatedTo);
        const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        const rows = await base
          .selectAll()
          .orderBy('created_at', 'desc')
          .orderBy('order_id', 'desc')
          .limit(q.limit)
          .offset(q.offset)
          .execute();
        return { items: rows.map(toOrder), total: num(total.n) };
      },
      async order(storeId, orderId) {
        const r = await db
          .selectFrom('gateway_orders')
          .selectAll()
          .where('store_id', '=', storeId)
          .where('order_id', '=', orderId)
          .executeTakeFirst();
        return r ? toOrder(r) : undefined;
      },
      async createOrder(o) {
        const r = await db
          .insertInto('gateway_orders')
          .values({
            store_id: o.storeId,
            status: o.status,
            buyer_nick: o.buyerNick,
            receiver_name: o.receiverName,
            receiver_phone: o.receiverPhone,
            receiver_address: o.receiverAddress,
            total_cents: o.totalCents,
            lines: JSON.stringify(o.lines),
            logistics_company: o.logisticsCompany,
            tracking_no: o.trackingNo,
            created_at: o.createdAt,
            updated_at: o.updatedAt,
            shipped_at: o.shippedAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toOrder(r);
      },
      async shipOrder({ storeId, orderId, logisticsCompany, trackingNo, now }) {
        const r = await db
          .updateTable('gateway_orders')
          .set({
            status: 'WAIT_BUYER_CONFIRM_GOODS',
            logistics_company: logisticsCompany,
            tracking_no: trackingNo,
            shipped_at: now,
            updated_at: now,
          })
          .where('store_id', '=', storeId)
          .where('order_id', '=', orderId)
          .where('status', '=', 'WAIT_SELLER_SEND_GOODS')
          .returningAll()
          .executeTakeFirst();
        if (r) return { status: 'shipped', order: toOrder(r) };
        const current = await db
          .selectFrom('gateway_orders')
          .select('status')
          .where('store_id', '=', storeId)
          .where('order_id', '=', orderId)
          .executeTakeFirst();
        return current ? { status: 'wrong_status', current: current.status as OrderStatus } : { status: 'not_found' };
      },
      async countProducts(storeId) {
        const r = await db
          .selectFrom('gateway_products')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('store_id', '=', storeId)
          .executeTakeFirstOrThrow();
        return num(r.n);
      },
    },
    receiverReads: {
      async record(r) {
        await database.transaction().execute(async (trx) => {
          await trx
            .insertInto('receiver_reads')
            .values({ app_key: r.appKey, seller_id: r.sellerId, store_id: r.storeId, order_id: r.orderId, at: r.at })
            .execute();
          await appendAudit(trx, {
            at: r.at,
            event: 'order.receiver_read',
            actor: `client:${r.appKey}`,
            appKey: r.appKey,
            sellerId: r.sellerId,
            subject: `order:${r.orderId}`,
            detail: { storeId: r.storeId, orderId: r.orderId },
          });
        });
      },
      async ofSeller(sellerId, limit) {
        const rows = await database
          .selectFrom('receiver_reads as r')
          .leftJoin('apps as a', 'a.app_key', 'r.app_key')
          .select(['r.app_key', 'r.seller_id', 'r.store_id', 'r.order_id', 'r.at', 'a.name as app_name'])
          .where('r.seller_id', '=', sellerId)
          .orderBy('r.at', 'desc')
          .orderBy('r.id', 'desc')
          .limit(limit)
          .execute();
        return rows.map((r) => ({
          appKey: r.app_key,
          sellerId: Number(r.seller_id),
          storeId: Number(r.store_id),
          orderId: Number(r.order_id),
          at: Number(r.at),
          appName: r.app_name ?? r.app_key,
        }));
      },
    },
    calls: {
      async append(records) {
        if (records.length === 0) return;
        const rows = records.map((c) => ({
          app_key: c.appKey,
          method: c.method,
          face: c.face,
          store_id: c.storeId,
          seller_id: c.sellerId,
          code: c.code,
          sub_code: c.subCode,
          http_status: c.httpStatus,
          duration_ms: c.durationMs,
          at: c.at,
        }));
        // Statements of 50 / 10 / 1 rows compiled once (building a 500-row INSERT with Kysely cost
        // more than the gateway calls it records); one transaction, so a batch is still all or nothing.
        if (rows.length === 1) await insertCalls(rows);
        else await db.transaction().execute((trx) => insertCalls(rows, trx));
      },
      async recent(appKey, limit) {
        const rows = await db
          .selectFrom('gateway_calls')
          .selectAll()
          .where('app_key', '=', appKey)
          .orderBy('at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit)
          .execute();
        return rows.map(toCall);
      },
      async summary(appKey, since, topErrors) {
        const base = db.selectFrom('gateway_calls').where('app_key', '=', appKey).where('at', '>=', since);
        const totals = await base
          .select((eb) => [eb.fn.countAll<number>().as('calls'), eb.fn.count<number>('code').as('errors')])
          .executeTakeFirstOrThrow();
        const top = await base
          .select((eb) => ['code', 'sub_code', eb.fn.countAll<number>().as('n')])
          .where('code', 'is not', null)
          .groupBy(['code', 'sub_code'])
          .orderBy('n', 'desc')
          .orderBy('code')
          .orderBy('sub_code')
          .limit(topErrors)
          .execute();
        return {
          calls: num(totals.calls),
          errors: num(totals.errors),
          topErrors: top.map((r) => ({ code: num(r.code), subCode: r.sub_code, count: num(r.n) })),
        };
      },
    },
    outbox: {
      async pendingGrantEvents(limit, since) {
        let q = db
          .selectFrom('grants as g')
          .innerJoin('gateway_apps as a', 'a.app_key', 'g.app_key')
          .select(['g.grant_id', 'g.app_key', 'g.seller_id', 'g.store_id', 'g.revoked_at', 'g.revoked_reason'])
          .where('g.revoked_at', 'is not', null)
          // Apps with a webhook: grants revoked since the URL was set. Apps without one that subscribed
          // to the event's topic: grants revoked since they subscribed (docs/adr/0171).
          .where(
            sql<boolean>`(a.webhook_url is not null and g.revoked_at >= coalesce(a.webhook_since, 0))
              or (a.webhook_url is null and g.revoked_at >= a.authorization_since
                and (' ' || a.topics || ' ') like (case when g.revoked_reason = 'replaced'
                  then '% authorization.replaced %' else '% authorization.revoked %' end))`,
          )
          .where((eb) =>
            eb.not(
              eb.exists(
                eb.selectFrom('gateway_webhook_outbox as o').select('o.id').whereRef('o.grant_id', '=', 'g.grant_id'),
              ),
            ),
          )
          .orderBy('g.revoked_at')
          .limit(limit);
        if (since !== undefined) q = q.where('g.revoked_at', '>=', since);
        const rows = await q.execute();
        return rows.map((r) => ({
          grantId: r.grant_id,
          appKey: r.app_key,
          sellerId: num(r.seller_id),
          storeId: num(r.store_id),
          revokedAt: num(r.revoked_at),
          revokedReason: r.revoked_reason,
        }));
      },
      async enqueue(rec) {
        try {
          await db
            .insertInto('gateway_webhook_outbox')
            .values({
              app_key: rec.appKey,
              grant_id: rec.grantId,
              event: rec.event,
              body: rec.body,
              store_key: outboxLane(rec.body),
              created_at: rec.createdAt,
              attempts: 0,
              next_attempt_at: rec.nextAttemptAt,
            })
            .onConflict((oc) => oc.columns(['grant_id', 'event']).doNothing())
            .execute();
        } catch (e) {
          if (!isUniqueViolation(e)) throw e;
        }
      },
      async due(now, limit) {
        // Held back: rows of an app with an earlier row that failed and waits for its retry (or is
        // being retried). Those are few (a failing app's head), found through the due index's range
        // (now, OUTBOX_DONE); delivered rows sit at OUTBOX_DONE, out of both ranges.
        const rows = await db
          .selectFrom('gateway_webhook_outbox as o')
          .selectAll()
          .where('o.delivered_at', 'is', null)
          .where('o.next_attempt_at', '<=', now)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('gateway_webhook_outbox as b')
                  .select('b.id')
                  .where('b.next_attempt_at', '>', now)
                  .where('b.next_attempt_at', '<', OUTBOX_DONE)
                  .where('b.delivered_at', 'is', null)
                  .where('b.last_error', 'is not', null)
                  .whereRef('b.app_key', '=', 'o.app_key')
                  .whereRef('b.id', '<', 'o.id'),
              ),
            ),
          )
          // Nor rows behind their lane's head while it is held (another dispatcher's lease, or its retry): they
          // could not be claimed (docs/adr/0190), and a full batch of them would start the next round at once.
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('gateway_webhook_outbox as h')
                  .select('h.id')
                  .whereRef('h.app_key', '=', 'o.app_key')
                  .whereRef('h.store_key', '=', 'o.store_key')
                  .whereRef('h.id', '<', 'o.id')
                  .where('h.delivered_at', 'is', null)
                  .where('h.next_attempt_at', '>', now),
              ),
            ),
          )
          .orderBy('o.next_attempt_at')
          .orderBy('o.id')
          .limit(limit)
          .execute();
        return rows.map(toOutbox);
      },
      async claim(id, now, leaseUntil) {
        const r = await db
          .updateTable('gateway_webhook_outbox')
          .set({ next_attempt_at: leaseUntil, attempts: sql<number>`attempts + 1` })
          .where('id', '=', id)
          .where('delivered_at', 'is', null)
          .where('next_attempt_at', '<=', now)
          // Its app and store's earlier events first, whichever dispatcher holds them (docs/adr/0190).
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('gateway_webhook_outbox as b')
                  .select('b.id')
                  .whereRef('b.app_key', '=', 'gateway_webhook_outbox.app_key')
                  .whereRef('b.store_key', '=', 'gateway_webhook_outbox.store_key')
                  .whereRef('b.id', '<', 'gateway_webhook_outbox.id')
                  .where('b.delivered_at', 'is', null),
              ),
            ),
          )
          .executeTakeFirst();
        return Number(r.numUpdatedRows) === 1;
      },
      async markDelivered(id, now) {
        await db
          .updateTable('gateway_webhook_outbox')
          .set({ delivered_at: now, last_error: null, next_attempt_at: OUTBOX_DONE })
          .where('id', '=', id)
          .execute();
      },
      async markFailed(id, error, nextAttemptAt) {
        await db
          .updateTable('gateway_webhook_outbox')
          .set({ last_error: error.slice(0, 500), next_attempt_at: nextAttemptAt })
          .where('id', '=', id)
          .where('delivered_at', 'is', null)
          .execute();
      },
      async find(id) {
        const r = await db.selectFrom('gateway_webhook_outbox').selectAll().where('id', '=', id).executeTakeFirst();
        return r ? toOutbox(r) : undefined;
      },
      async undelivered(appKey, limit) {
        const rows = await db
          .selectFrom('gateway_webhook_outbox')
          .selectAll()
          .where('app_key', '=', appKey)
          .where('delivered_at', 'is', null)
          .orderBy('id')
          .limit(limit)
          .execute();
        return rows.map(toOutbox);
      },
      async list(appKey) {
        const rows = await db
          .selectFrom('gateway_webhook_outbox')
          .selectAll()
          .where('app_key', '=', appKey)
          .orderBy('id')
          .execute();
        return rows.map(toOutbox);
      },
    },
  };
}
