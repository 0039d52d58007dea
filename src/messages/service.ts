import type { CoreContext } from '../core/context.js';
import { covers, scopePermissions } from '../gateway/permissions.js';
import { publicStoreId } from '../sellers/store-id.js';
import type { StoreRecord } from '../storage/ports.js';
import type { GatewayStorage, OutboxRecord } from '../storage/gateway-ports.js';
import type { EventToQueue, MessageQueue, MessageRoute, QueueStats } from './ports.js';
import { messageJson } from './render.js';
import { PUBLISHABLE_TOPICS, topicPermission, topicSpec } from './topics.js';

/** Defaults of the message service's settings (serve flags, docs/gateway.md). */
export const DEFAULT_MESSAGE_VISIBILITY_SECONDS = 60;
export const DEFAULT_MESSAGE_RETENTION_DAYS = 3;
/** Most events in one `POST /admin/api/v1/events`. */
export const MAX_PUBLISH_BATCH = 1000;
/** Most messages one pull answers, and the longest long poll (seconds). */
export const MAX_PULL = 100;
export const MAX_WAIT_SECONDS = 20;
/** Largest `data` of one event, as JSON text. */
export const MAX_EVENT_DATA_BYTES = 64 * 1024;

export interface MessageServiceOptions {
  /** How long a handed-out message stays hidden before it is handed out again, ms. */
  visibilityMs?: number;
  /** How long events are kept, ms. */
  retentionMs?: number;
  /** How often a long poll looks at the queue again when no publish on this node woke it, ms. */
  pollMs?: number;
  onPublished?: (events: number, entries: number) => void;
  onDelivered?: (messages: number) => void;
  onExpired?: (unacked: number) => void;
}

/** An event as the operator's systems send it (`POST /admin/api/v1/events`, `shouquan event publish`). */
export interface PublishInput {
  topic: unknown;
  seller_id: unknown;
  store_id: unknown;
  data: unknown;
}

/** A refused publish: which event (index in the batch) and why. */
export class PublishError extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Published {
  eventId: string;
  /** How many apps it reached (pull and push). */
  recipients: number;
}

/**
 * The message service (issue 16 §2, docs/adr/0145): validates and routes published events to the
 * apps entitled to them, hands them out to pulling consumers with long polls, takes
 * acknowledgements, and drops events past retention. The queue itself is a port
 * ({@link MessageQueue}): the database by default, NATS JetStream with `--message-broker`.
 */
export class MessageService {
  readonly visibilityMs: number;
  readonly retentionMs: number;
  private readonly pollMs: number;
  private readonly waiters = new Map<string, Set<() => void>>();
  private closing = false;
  private relaying: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly core: Pick<CoreContext, 'storage' | 'profile' | 'now'>,
    private readonly options: MessageServiceOptions = {},
  ) {
    this.visibilityMs = options.visibilityMs ?? DEFAULT_MESSAGE_VISIBILITY_SECONDS * 1000;
    this.retentionMs = options.retentionMs ?? DEFAULT_MESSAGE_RETENTION_DAYS * 86_400_000;
    this.pollMs = options.pollMs ?? 500;
  }

  /** Which queue the storage has (`database`, `nats`); undefined without the gateway's tables. */
  get queueKind(): MessageQueue['kind'] | undefined {
    return this.core.storage.gateway?.messages.kind;
  }

  get queue(): MessageQueue {
    const gw = this.core.storage.gateway;
    if (!gw) throw new Error('this storage has no gateway tables (run "shouquan migrate")');
    return gw.messages;
  }

  /**
   * Validate, route and enqueue a batch from the operator's systems, all or nothing: the answer
   * comes once every event and its queue entries are durable. Throws {@link PublishError}.
   */
  async publish(inputs: PublishInput[]): Promise<Published[]> {
    if (inputs.length > MAX_PUBLISH_BATCH)
      throw new PublishError(
        MAX_PUBLISH_BATCH,
        `at most ${MAX_PUBLISH_BATCH} events per request, got ${inputs.length}`,
      );
    const stores = new Map<number, StoreRecord[]>();
    const now = this.core.now();
    const events: Array<Omit<EventToQueue, 'pull' | 'push'>> = [];
    for (const [i, input] of inputs.entries()) {
      const topic = input.topic;
      if (typeof topic !== 'string' || !topicSpec(topic))
        throw new PublishError(
          i,
          `topic must be one of ${PUBLISHABLE_TOPICS.join(', ')}, got ${JSON.stringify(topic)}`,
        );
      if (!PUBLISHABLE_TOPICS.includes(topic))
        throw new PublishError(i, `topic ${topic} is published by Shouquan itself, not through this API`);
      const sellerRaw = typeof input.seller_id === 'number' ? String(input.seller_id) : input.seller_id;
      if (typeof sellerRaw !== 'string' || !/^[1-9]\d{0,15}$/.test(sellerRaw))
        throw new PublishError(
          i,
          `seller_id must be a seller id (a positive whole number), got ${JSON.stringify(input.seller_id)}`,
        );
      const sellerId = Number(sellerRaw);
      let list = stores.get(sellerId);
      if (!list) {
        list = await this.core.storage.sellers.stores(sellerId);
        stores.set(sellerId, list);
      }
      const storeRaw = typeof input.store_id === 'number' ? String(input.store_id) : input.store_id;
      if (typeof storeRaw !== 'string' || storeRaw === '')
        throw new PublishError(i, `store_id must be a store id, got ${JSON.stringify(input.store_id)}`);
      const store = list.find((s) => String(publicStoreId(s)) === storeRaw);
      if (!store) throw new PublishError(i, `seller ${sellerId} has no store ${storeRaw.slice(0, 64)}`);
      const data = input.data ?? {};
      if (typeof data !== 'object' || Array.isArray(data) || data === null)
        throw new PublishError(i, 'data must be a JSON object');
      const text = JSON.stringify(data);
      if (Buffer.byteLength(text) > MAX_EVENT_DATA_BYTES)
        throw new PublishError(i, `data must be at most ${MAX_EVENT_DATA_BYTES} bytes of JSON`);
      events.push({ topic, sellerId, storeId: store.storeId, data: text, createdAt: now });
    }
    return this.enqueue(events);
  }

  /**
   * Publish an event of one of the seller's stores (Shouquan's store number) from inside the
   * server: the gateway's own writes (`orders.ship`, `products.update`), the sandbox.
   */
  async publishStoreEvent(
    topic: string,
    sellerId: number,
    storeId: number,
    data: Record<string, unknown>,
  ): Promise<Published> {
    if (!topicSpec(topic)) throw new Error(`unknown topic ${topic}`);
    const [done] = await this.enqueue([
      { topic, sellerId, storeId, data: JSON.stringify(data), createdAt: this.core.now() },
    ]);
    return done!;
  }

  /**
   * A gateway write and the events it publishes (`orders.ship` → `trade.shipped`, products →
   * `item.*`), all or nothing (docs/adr/0145, "Own writes"): the write, the events and their
   * fan-out are one database transaction; if queueing fails, the write rolls back and the error
   * reaches the caller. With NATS JetStream (`--message-broker`) the database's message tables are
   * the outbox: after the commit the relay forwards the events to JetStream ({@link relayOutbox},
   * docs/adr/0180); if that fails, the node's relay timer forwards them later (the write stands).
   * `events` maps the write's result to the events of the store `storeId` (none: nothing published).
   */
  async writeAndPublish<T>(
    gateway: GatewayStorage,
    sellerId: number,
    storeId: number,
    write: (gw: GatewayStorage) => Promise<T>,
    events: (result: T) => Array<{ topic: string; data: Record<string, unknown> }>,
  ): Promise<T> {
    const toQueue = (result: T) =>
      events(result).map((e) => {
        if (!topicSpec(e.topic)) throw new Error(`unknown topic ${e.topic}`);
        return { topic: e.topic, sellerId, storeId, data: JSON.stringify(e.data), createdAt: this.core.now() };
      });
    if (gateway.transaction) {
      const woken = new Set<string>();
      let queued = false;
      const result = await gateway.transaction(async (trx) => {
        const r = await write(trx);
        const evs = toQueue(r);
        if (evs.length > 0) for (const app of await this.route(evs, trx)) woken.add(app);
        queued = evs.length > 0;
        return r;
      });
      if (queued && this.queue.kind === 'nats')
        // Forwarded before the call answers when JetStream answers; otherwise by the relay timer.
        await this.relayOutbox().catch(() => 0);
      for (const app of woken) this.wake(app);
      return result;
    }
    // A storage without transactions: the write first, then its events.
    const r = await write(gateway);
    const evs = toQueue(r);
    if (evs.length > 0) await this.enqueue(evs);
    return r;
  }

  /**
   * With NATS JetStream: forward the events waiting in the database's outbox (the gateway's own
   * writes, queued in their transaction) to JetStream, oldest first, and remove them
   * (docs/adr/0180). A relay that dies between the two steps forwards them again on its next run;
   * JetStream's deduplication (`Nats-Msg-Id` = event id and app, 2 minutes) drops the repeat.
   * Runs one at a time per node, each call after the ones before it. Answers the events forwarded.
   */
  relayOutbox(): Promise<number> {
    const run = this.relaying.then(() => this.relayOnce());
    this.relaying = run.catch(() => 0);
    return run;
  }

  private async relayOnce(): Promise<number> {
    const outbox = this.core.storage.gateway?.messageOutbox;
    if (this.queue.kind !== 'nats' || !outbox) return 0;
    let n = 0;
    for (;;) {
      const batch = await outbox.take(500);
      if (batch.length === 0) return n;
      await this.queue.publish(batch.filter((e) => e.pull.length > 0));
      await outbox.remove(batch.map((e) => e.eventId));
      n += batch.length;
      for (const app of new Set(batch.flatMap((e) => e.pull))) this.wake(app);
      if (batch.length < 500) return n;
    }
  }

  /**
   * Sandbox (issue 16 §2): realistic sample events of every topic the app subscribed to, for each
   * store of its live grants (only sellers `sellerAllowed` accepts, e.g. the developer's sandbox
   * sellers), delivered to this app alone and only where it is entitled to them.
   */
  async sample(
    appKey: string,
    sellerAllowed: (sellerId: number) => boolean | Promise<boolean> = () => true,
  ): Promise<Published[]> {
    const settings = await this.core.storage.gateway?.apps.find(appKey);
    const topics = (settings?.topics ?? []).filter((t) => PUBLISHABLE_TOPICS.includes(t));
    if (topics.length === 0) return [];
    const grants = await this.core.storage.management.grants({ appKey, status: 'live', limit: 50 });
    const now = this.core.now();
    const events: EventToQueue[] = [];
    let n = 0;
    for (const g of grants) {
      if (!(await sellerAllowed(g.sellerId))) continue;
      const route = (await this.core.storage.gateway!.messageRoutes(g.sellerId)).find((r) => r.appKey === appKey);
      if (!route) continue;
      for (const storeId of route.storeIds) {
        for (const topic of topics) {
          if (!this.entitled(route, topic, storeId)) continue;
          n++;
          const data = sampleData(topic, storeId * 1000 + n, now);
          events.push({
            topic,
            sellerId: g.sellerId,
            storeId,
            data: JSON.stringify(data),
            createdAt: now,
            pull: route.webhookUrl ? [] : [appKey],
            push: route.webhookUrl ? [appKey] : [],
          });
        }
      }
    }
    if (events.length === 0) return [];
    const ids = await this.queue.publish(events);
    this.options.onPublished?.(events.length, events.length);
    this.wake(appKey);
    return ids.map((eventId) => ({ eventId, recipients: 1 }));
  }

  /**
   * Deliver the webhook-outbox rows of an app without a webhook URL through its pull queue instead
   * (docs/adr/0171): `rec` and every other undelivered row of the app on a topic it subscribed to,
   * oldest first, so they keep their order. Shouquan's own events (`authorization.*`,
   * `subscription.*`) carry the webhook body as `data`; messages pushed before the app cleared its
   * webhook carry their `data`. On the database queue the entries and the rows' delivery are one
   * transaction; with NATS JetStream the entries are published first, so a crash in between moves
   * them again, and JetStream drops the repeat within its duplicate window (2 minutes; the event id
   * is `webhook-<row id>`, docs/adr/0180), else delivers them twice (at least once). The store is
   * the one the event names, else the seller's first store the app's live grant covers (0 without
   * one). False: `rec` is on a topic the app did not subscribe to (it stays in the outbox).
   */
  async forwardToPull(rec: OutboxRecord, topics: readonly string[]): Promise<boolean> {
    if (!topics.includes(rec.event)) return false;
    const gw = this.core.storage.gateway!;
    const rows = (await gw.outbox.undelivered(rec.appKey, 500)).filter((r) => topics.includes(r.event));
    if (!rows.some((r) => r.id === rec.id)) rows.push(rec);
    const moved: OutboxRecord[] = [];
    const events: EventToQueue[] = [];
    for (const r of rows.sort((a, b) => a.id - b.id)) {
      const e = await this.outboxEvent(r);
      if (!e) continue;
      moved.push(r);
      events.push(e);
    }
    if (!moved.some((r) => r.id === rec.id)) return false;
    const now = this.core.now();
    const deliver = async (g: GatewayStorage) => {
      for (const r of moved) await g.outbox.markDelivered(r.id, now);
    };
    if (this.queue.kind === 'database' && gw.transaction)
      await gw.transaction(async (trx) => {
        await trx.messages.publish(events);
        await deliver(trx);
      });
    else {
      await this.queue.publish(events);
      await deliver(gw);
    }
    this.options.onPublished?.(events.length, events.length);
    this.wake(rec.appKey);
    return true;
  }

  /** The pull queue entry of a webhook-outbox row (see {@link forwardToPull}); undefined when its body is unusable. */
  private async outboxEvent(rec: OutboxRecord): Promise<EventToQueue | undefined> {
    let body: { seller_id?: unknown; store_id?: unknown; data?: unknown };
    try {
      body = JSON.parse(rec.body) as typeof body;
    } catch {
      return undefined;
    }
    const sellerId = Number(body.seller_id);
    if (!Number.isSafeInteger(sellerId)) return undefined;
    let storeId: number | undefined;
    if (body.store_id !== undefined && body.store_id !== null)
      storeId = (await this.core.storage.sellers.stores(sellerId)).find(
        (st) => String(publicStoreId(st)) === String(body.store_id),
      )?.storeId;
    storeId ??=
      (await this.core.storage.gateway!.messageRoutes(sellerId)).find((r) => r.appKey === rec.appKey)?.storeIds[0] ?? 0;
    return {
      topic: rec.event,
      sellerId,
      storeId,
      data: rec.grantId.startsWith('msg:') ? JSON.stringify(body.data ?? {}) : rec.body,
      createdAt: rec.createdAt,
      pull: [rec.appKey],
      push: [],
      // NATS JetStream's deduplication id derives from it: a move repeated after a crash (published,
      // not yet marked delivered) is dropped within the duplicate window (docs/adr/0180).
      eventId: `webhook-${rec.id}`,
    };
  }

  /** Route events to apps (subscribed, live grant covering the store, permission package) and enqueue them. */
  private async enqueue(events: Array<Omit<EventToQueue, 'pull' | 'push'>>): Promise<Published[]> {
    const { published, woken } = await this.routeAndQueue(events, this.core.storage.gateway!);
    for (const app of woken) this.wake(app);
    return published;
  }

  /** {@link enqueue} inside a caller's transaction: answers the apps to wake once it commits. */
  private async route(events: Array<Omit<EventToQueue, 'pull' | 'push'>>, gw: GatewayStorage): Promise<Set<string>> {
    return (await this.routeAndQueue(events, gw)).woken;
  }

  private async routeAndQueue(
    events: Array<Omit<EventToQueue, 'pull' | 'push'>>,
    gw: GatewayStorage,
  ): Promise<{ published: Published[]; woken: Set<string> }> {
    const routes = new Map<number, MessageRoute[]>();
    const routed: EventToQueue[] = [];
    let entries = 0;
    for (const e of events) {
      let rs = routes.get(e.sellerId);
      if (!rs) {
        rs = await gw.messageRoutes(e.sellerId);
        routes.set(e.sellerId, rs);
      }
      const pull: string[] = [];
      const push: string[] = [];
      for (const r of rs) {
        if (!this.entitled(r, e.topic, e.storeId)) continue;
        if (pull.includes(r.appKey) || push.includes(r.appKey)) continue;
        (r.webhookUrl ? push : pull).push(r.appKey);
      }
      entries += pull.length + push.length;
      routed.push({ ...e, pull, push });
    }
    const ids = await gw.messages.publish(routed);
    this.options.onPublished?.(routed.length, entries);
    const woken = new Set(routed.flatMap((e) => e.pull));
    return {
      published: ids.map((eventId, i) => ({ eventId, recipients: routed[i]!.pull.length + routed[i]!.push.length })),
      woken,
    };
  }

  /**
   * (a) subscribed to the topic, (b) a live grant covering the store, (c) the topic's package
   * granted to the app and by the seller.
   */
  entitled(r: MessageRoute, topic: string, storeId: number): boolean {
    if (!r.topics.includes(topic) || !r.storeIds.includes(storeId)) return false;
    const permission = topicPermission(topic);
    if (permission === undefined) return true;
    return (
      covers(r.permissions ?? ['*'], permission) && covers(scopePermissions(this.core.profile, r.scope), permission)
    );
  }

  /**
   * Up to `max` messages of an app as the JSON text of `{"messages":[…]}`; with `waitMs`, waits
   * until one arrives or the time is up (woken at once by a publish on this node, otherwise it
   * looks again every `pollMs`).
   */
  async receiveJson(
    appKey: string,
    max: number,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<{ json: string; count: number }> {
    const items = await this.receive(appKey, max, waitMs, signal);
    return { json: `{"messages":[${items.join(',')}]}`, count: items.length };
  }

  /** Like {@link receiveJson}, one JSON text per message. */
  async receive(appKey: string, max: number, waitMs: number, signal?: AbortSignal): Promise<string[]> {
    const deadline = Date.now() + Math.max(0, waitMs);
    for (;;) {
      const got = await this.queue.receive(appKey, max, this.core.now(), this.visibilityMs);
      if (got.length > 0) {
        this.options.onDelivered?.(got.length);
        const out: string[] = [];
        for (const m of got) {
          const store = await this.core.storage.sellers.store(m.storeId);
          out.push(
            messageJson({
              id: m.id,
              topic: m.topic,
              sellerId: m.sellerId,
              storeId: store ? publicStoreId(store) : m.storeId,
              createdAt: m.createdAt,
              data: m.data,
            }),
          );
        }
        return out;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closing || signal?.aborted) return [];
      await this.sleep(appKey, Math.min(left, this.pollMs), signal);
    }
  }

  async ack(appKey: string, ids: string[]): Promise<number> {
    return this.queue.ack(appKey, ids, this.core.now());
  }

  async stats(appKey: string, recent = 10): Promise<QueueStats> {
    return this.queue.stats(appKey, this.core.now(), recent);
  }

  /** Drop events past retention, in batches; answers entries dropped and how many were never acknowledged. */
  async purgeExpired(batch = 5000): Promise<{ dropped: number; unacked: number }> {
    const before = this.core.now() - this.retentionMs;
    const total = { dropped: 0, unacked: 0 };
    for (;;) {
      const r = await this.queue.purge(before, batch);
      total.dropped += r.dropped;
      total.unacked += r.unacked;
      if (r.unacked > 0) this.options.onExpired?.(r.unacked);
      if (r.dropped < batch) return total;
    }
  }

  /** Wake the long polls of an app waiting on this node. */
  wake(appKey: string): void {
    const set = this.waiters.get(appKey);
    if (!set) return;
    this.waiters.delete(appKey);
    for (const f of set) f();
  }

  /** End every long poll (the server is closing): they answer with what they have. */
  close(): void {
    this.closing = true;
    for (const app of [...this.waiters.keys()]) this.wake(app);
  }

  private sleep(appKey: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(appKey);
      if (!set) this.waiters.set(appKey, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.get(appKey)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }
}

/** A topic's example data with fresh ids and times (the sandbox's sample events). */
export function sampleData(topic: string, seq: number, now: number): Record<string, unknown> {
  const data: Record<string, unknown> = { ...(topicSpec(topic)?.example ?? {}), sandbox: true };
  if ('order_id' in data) data.order_id = 900_000_000 + seq;
  if ('product_id' in data) data.product_id = 800_000_000 + seq;
  if ('refund_id' in data) data.refund_id = 700_000_000 + seq;
  if ('paid_at' in data) data.paid_at = new Date(now + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
  return data;
}
