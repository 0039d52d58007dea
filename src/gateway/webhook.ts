import { publicStoreIdOf } from '../sellers/store-id.js';
import { traced, tracedFetch, type SpanAttributes } from '../tracing/tracing.js';
import { createHmac } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { CoreContext } from '../core/context.js';
import type { ResolvedGatewayOptions } from './options.js';
import {
  outboxLane,
  type GatewayStorage,
  type OutboxRecord,
  type PendingGrantEvent,
} from '../storage/gateway-ports.js';
import { openSecret } from './secret-seal.js';
import { produceSubscriptionEvents } from '../subscriptions/subscriptions.js';

/** How far back each incremental scan for revoked grants looks. */
const SCAN_MARGIN_MS = 10 * 60 * 1000;

/** Most outbox rows one dispatcher round attempts. */
const BATCH = 200;

/** What a round needs of an app to deliver its rows. */
interface AppTarget {
  url: string | null;
  secret: string | undefined;
  topics: readonly string[];
}

/** The store a webhook body names (`store_id`), as a lane key; '' when none (subscription events). */

/** Header carrying `sha256=<hex HMAC-SHA256 of the raw body, keyed with the AppSecret>`. */
export const SIGNATURE_HEADER = 'x-shouquan-signature';

/** The signature header value for a webhook body. */
export function webhookSignature(appSecret: string, body: string): string {
  return `sha256=${createHmac('sha256', Buffer.from(appSecret, 'utf8')).update(body, 'utf8').digest('hex')}`;
}

/** The event for a revoked grant: `authorization.replaced` when a newer authorization ended it. */
export function eventFor(g: PendingGrantEvent): string {
  return g.revokedReason === 'replaced' ? 'authorization.replaced' : 'authorization.revoked';
}

/** Delay before attempt n+1 after n failed attempts: base · 2^(n-1), capped. */
export function backoff(options: ResolvedGatewayOptions, attempts: number): number {
  return Math.min(options.webhookBackoffMs * 2 ** Math.max(0, attempts - 1), options.webhookMaxBackoffMs);
}

/**
 * Authorization-change push (docs/gateway.md). Two steps, both restart-safe:
 * 1. every revoked grant of an app with a webhook becomes one outbox row (unique per grant
 *    and event), so a revocation committed by any process is never missed;
 * 2. due rows are claimed (a lease, so concurrent dispatchers don't double-send), POSTed with
 *    an HMAC-SHA256 signature, and marked delivered on a 2xx or rescheduled with back-off.
 * Delivery is at least once: receivers dedupe by `event_id`.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Scan grants revoked since then; undefined: everything (the first round after start). */
  private scanFrom: number | undefined;
  /**
   * For a row of an app without a webhook URL: deliver it through the app's pull queue instead when
   * the app subscribed to its topic (the message service, docs/adr/0171); true when it did.
   */
  pull: ((rec: OutboxRecord, topics: readonly string[]) => Promise<boolean>) | undefined;

  constructor(
    private readonly core: CoreContext,
    private readonly storage: GatewayStorage,
    private readonly options: ResolvedGatewayOptions,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Start polling (no-op when `webhookPollMs` is 0). A round that found a full batch is followed at once. */
  start(): void {
    if (this.options.webhookPollMs <= 0 || this.timer) return;
    this.stopped = false;
    const tick = () => {
      let more = false;
      this.running = this.runOnce()
        .then((full) => void (more = full))
        .catch((e) => this.log.error({ err: e }, 'webhook dispatcher failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, more ? 0 : this.options.webhookPollMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stop polling and wait for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One round: enqueue new events, then attempt the due ones (up to {@link BATCH}): up to
   * `webhookConcurrency` POSTs at once, one at a time per (app, store) in event order; after a
   * failure the rest of that store's events wait (docs/adr/0172). True when the batch was full.
   */
  async runOnce(): Promise<boolean> {
    await this.enqueueNew();
    // subscription.expiring / subscription.expired, each produced exactly once (docs/adr/0140).
    await produceSubscriptionEvents(this.core.storage, this.storage, {
      now: this.core.now(),
      expiringDays: this.options.subscriptionExpiringDays,
    });
    const now = this.core.now();
    const due = await this.storage.outbox.due(now, BATCH);
    const lanes = new Map<string, OutboxRecord[]>();
    for (const rec of due) {
      const key = `${rec.appKey}\u0000${outboxLane(rec.body)}`;
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = []));
      lane.push(rec);
    }
    const apps = new Map<string, Promise<AppTarget>>();
    const target = (appKey: string) => {
      let t = apps.get(appKey);
      if (!t) apps.set(appKey, (t = this.target(appKey)));
      return t;
    };
    const queue = [...lanes.values()].map((lane) => lane.sort((a, b) => a.id - b.id));
    let claimed = 0;
    const worker = async () => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) {
        for (const rec of lane) {
          if (this.stopped) return;
          if (!(await this.storage.outbox.claim(rec.id, now, now + this.options.webhookTimeoutMs + 60_000))) break;
          claimed++;
          const delivered = await traced(
            'webhook delivery',
            {
              'shouquan.app_key': rec.appKey,
              'shouquan.webhook.event': rec.event,
              'shouquan.webhook.id': rec.id,
              'shouquan.webhook.attempt': rec.attempts + 1,
            },
            async (set) => this.attempt(rec, await target(rec.appKey), set),
          );
          if (!delivered) break; // the store's later events wait for this one
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.webhookConcurrency, queue.length) }, worker));
    // Another round at once only when this one made progress on a full batch: rows another dispatcher took
    // meanwhile would otherwise bring this one straight back.
    return due.length === BATCH && claimed > 0;
  }

  private async enqueueNew(): Promise<void> {
    // After one full scan, look only at recent revocations; the margin covers transactions
    // committed late and other processes' clocks. A restart scans everything again.
    const started = this.core.now();
    const pending = await this.storage.outbox.pendingGrantEvents(100, this.scanFrom);
    if (pending.length < 100) this.scanFrom = started - SCAN_MARGIN_MS;
    for (const g of pending) {
      const event = eventFor(g);
      const body: Record<string, unknown> = {
        event,
        event_id: `${g.grantId}:${event}`,
        app_key: g.appKey,
        seller_id: g.sellerId,
        store_id: await publicStoreIdOf(this.core.storage, g.storeId),
        reason: g.revokedReason ?? 'revoked',
        occurred_at: new Date(g.revokedAt).toISOString(),
      };
      if (event === 'authorization.replaced') {
        const live = await this.core.storage.grants.findLive(g.appKey, g.sellerId);
        if (live) body.new_store_id = await publicStoreIdOf(this.core.storage, live.storeId);
      }
      const now = this.core.now();
      await this.storage.outbox.enqueue({
        appKey: g.appKey,
        grantId: g.grantId,
        event,
        body: JSON.stringify(body),
        createdAt: now,
        nextAttemptAt: now,
      });
    }
  }

  /** An app's webhook URL, signing secret and topics, read once per round. */
  private async target(appKey: string): Promise<AppTarget> {
    const settings = await this.storage.apps.find(appKey);
    const secret = settings?.sealedSecret ? openSecret(this.core.secretKey, appKey, settings.sealedSecret) : undefined;
    return { url: settings?.webhookUrl ?? null, secret, topics: settings?.topics ?? [] };
  }

  /** One attempt of a claimed row; true when it was delivered (pushed, or moved to the pull queue). */
  private async attempt(
    rec: OutboxRecord,
    app: AppTarget,
    set: (attributes: SpanAttributes) => void = () => {},
  ): Promise<boolean> {
    const attempts = rec.attempts + 1;
    const fail = async (why: string) => {
      set({ 'shouquan.webhook.delivered': false, 'error.type': why });
      const next = this.core.now() + backoff(this.options, attempts);
      await this.storage.outbox.markFailed(rec.id, why, next);
      this.log.warn(
        { webhook: rec.id, appKey: rec.appKey, event: rec.event, attempts, error: why },
        'webhook delivery failed; will retry',
      );
      return false;
    };
    if (!app.url) {
      if (this.pull && (await this.pull(rec, app.topics))) {
        set({ 'shouquan.webhook.delivered': true, 'shouquan.webhook.pulled': true });
        this.log.info({ webhook: rec.id, appKey: rec.appKey, event: rec.event }, 'webhook event queued for pulling');
        return true;
      }
      return fail('the app has no webhook URL');
    }
    const secret = app.secret;
    if (secret === undefined) return fail('the app has no signing secret on file');
    let res: Response;
    try {
      res = await tracedFetch('POST webhook', app.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          [SIGNATURE_HEADER]: webhookSignature(secret, rec.body),
          'x-shouquan-event': rec.event,
          'x-shouquan-delivery': String(rec.id),
        },
        body: rec.body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.webhookTimeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
    } catch (e) {
      return fail(`no answer (${(e as Error).name})`);
    }
    if (res.status < 200 || res.status >= 300) return fail(`HTTP ${res.status}`);
    set({ 'shouquan.webhook.delivered': true });
    await this.storage.outbox.markDelivered(rec.id, this.core.now());
    this.log.info({ webhook: rec.id, appKey: rec.appKey, event: rec.event, attempts }, 'webhook delivered');
    return true;
  }
}
