/**
 * The message queues in NATS JetStream (`serve --message-broker nats://HOST:PORT`, docs/adr/0145):
 * one stream per deployment (`?stream=NAME`, default `SHOUQUAN`) holding a subject per app
 * (`<stream>.app.<app>`), and a durable pull consumer per app with explicit acknowledgement and
 * `ack_wait` = the visibility timeout. A message's `id` carries its JetStream acknowledgement
 * subject, so any node can acknowledge it; it changes when the message is delivered again.
 * Routing and the webhook pushes stay in the database (the outbox).
 */
import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  headers,
  nanos,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import type { OutboxRepository } from '../storage/gateway-ports.js';
import type { EventToQueue, MessageQueue, QueuedMessage, QueueStats } from './ports.js';
import { messageWebhookBody } from './render.js';

export interface NatsQueueOptions {
  /** `nats://HOST:PORT[?stream=NAME]`. */
  url: string;
  /** Events older than this are dropped by the stream (`max_age`). */
  retentionMs: number;
  /** Where pushes to apps with a webhook go (the database's webhook outbox). */
  outbox: OutboxRepository;
  /** A store's public id for webhook bodies (docs/adr/0125). */
  publicStoreId: (storeId: number) => Promise<number | string>;
}

/** A subject token for an app key (letters, digits, `_` and `-` kept; anything else hex-escaped). */
const token = (appKey: string) => appKey.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);

const enc = new TextEncoder();
const dec = new TextDecoder();

/** `nats://host:port?stream=NAME` → the server and the stream name. */
export function parseNatsUrl(url: string): { servers: string; stream: string } {
  const u = new URL(url);
  if (u.protocol !== 'nats:')
    throw new Error(`--message-broker must be a nats://HOST:PORT URL, got a ${u.protocol.replace(/:$/, '')} URL`);
  const stream = u.searchParams.get('stream') ?? 'SHOUQUAN';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream))
    throw new Error(`--message-broker: stream must be letters, digits, _ or -, got "${stream}"`);
  return { servers: `${u.hostname}:${u.port || '4222'}`, stream };
}

export async function openNatsMessageQueue(o: NatsQueueOptions): Promise<MessageQueue> {
  const { servers, stream } = parseNatsUrl(o.url);
  let nc: NatsConnection;
  try {
    nc = await connect({ servers, timeout: 3000, name: 'shouquan' });
  } catch (e) {
    throw new Error(
      `the message broker at nats://${servers} does not answer (${(e as Error).message}); start NATS with JetStream (nats-server -js) or leave out --message-broker`,
    );
  }
  const jsm: JetStreamManager = await nc.jetstreamManager();
  const js: JetStreamClient = nc.jetstream();
  try {
    await jsm.streams.info(stream);
  } catch {
    await jsm.streams.add({
      name: stream,
      subjects: [`${stream}.app.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(o.retentionMs),
      duplicate_window: nanos(120_000),
    });
  }
  const subject = (appKey: string) => `${stream}.app.${token(appKey)}`;
  const consumerName = (appKey: string) => `app_${token(appKey)}`;
  const ackPrefix = (appKey: string) => `$JS.ACK.${stream}.${consumerName(appKey)}.`;
  const ready = new Map<string, number>();

  /** The app's durable pull consumer, with `ack_wait` = the visibility timeout. */
  async function ensureConsumer(appKey: string, visibilityMs: number): Promise<void> {
    if (ready.get(appKey) === visibilityMs) return;
    const name = consumerName(appKey);
    try {
      const info = await jsm.consumers.info(stream, name);
      if (info.config.ack_wait !== nanos(visibilityMs))
        await jsm.consumers.update(stream, name, { ack_wait: nanos(visibilityMs) });
    } catch {
      await jsm.consumers.add(stream, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(visibilityMs),
        deliver_policy: DeliverPolicy.All,
        filter_subject: subject(appKey),
        max_ack_pending: 100_000,
      });
    }
    ready.set(appKey, visibilityMs);
  }

  return {
    kind: 'nats',
    async publish(events: EventToQueue[]) {
      const ids: string[] = [];
      const acks: Array<Promise<unknown>> = [];
      for (const e of events) {
        const eventId = randomUUID();
        ids.push(eventId);
        const body = `{"e":"${eventId}","t":${JSON.stringify(e.topic)},"s":${e.sellerId},"st":${e.storeId},"c":${e.createdAt},"d":${e.data}}`;
        for (const app of e.pull) {
          const h = headers();
          h.set('Nats-Msg-Id', `${eventId}:${app}`);
          acks.push(js.publish(subject(app), enc.encode(body), { headers: h }));
        }
        for (const app of e.push) {
          const storeId = await o.publicStoreId(e.storeId);
          await o.outbox.enqueue({
            appKey: app,
            grantId: `msg:${eventId}:${app}`,
            event: e.topic,
            body: messageWebhookBody(eventId, app, { ...e, storeId }),
            createdAt: e.createdAt,
            nextAttemptAt: e.createdAt,
          });
        }
      }
      // Answered once JetStream has stored every entry (its PubAck).
      await Promise.all(acks);
      return ids;
    },

    async receive(appKey, max, _now, visibilityMs) {
      await ensureConsumer(appKey, visibilityMs);
      const out: QueuedMessage[] = [];
      for await (const m of js.fetch(stream, consumerName(appKey), { batch: max, no_wait: true })) {
        const v = JSON.parse(dec.decode(m.data)) as {
          e: string;
          t: string;
          s: number;
          st: number;
          c: number;
          d: unknown;
        };
        out.push({
          id: Buffer.from((m as unknown as { reply?: string }).reply ?? '').toString('base64url'),
          eventId: v.e,
          topic: v.t,
          sellerId: v.s,
          storeId: v.st,
          createdAt: v.c,
          data: JSON.stringify(v.d),
          deliveries: m.info.redeliveryCount,
        });
      }
      return out;
    },

    async ack(appKey, ids) {
      const prefix = ackPrefix(appKey);
      let n = 0;
      await Promise.all(
        [...new Set(ids)].map(async (id) => {
          const reply = Buffer.from(id, 'base64url').toString('utf8');
          // Only this app's own deliveries: the subject names the app's consumer.
          if (!reply.startsWith(prefix) || !/^[\x21-\x7e]+$/.test(reply)) return;
          try {
            await nc.request(reply, enc.encode('+ACK'), { timeout: 3000 });
            n++;
          } catch {
            // Not acknowledged (the server did not answer): it will be delivered again.
          }
        }),
      );
      return n;
    },

    async stats(appKey): Promise<QueueStats> {
      try {
        const info = await jsm.consumers.info(stream, consumerName(appKey));
        return {
          backlog: info.num_pending + info.num_ack_pending,
          inFlight: info.num_ack_pending,
          redelivered: info.num_redelivered,
          oldestAt: null,
          pushPending: 0,
          pushFailing: 0,
          recent: [],
        };
      } catch {
        return { backlog: 0, inFlight: 0, redelivered: 0, oldestAt: null, pushPending: 0, pushFailing: 0, recent: [] };
      }
    },

    // The stream's max_age drops old events itself; JetStream does not count them.
    async purge() {
      return { dropped: 0, unacked: 0 };
    },

    async close() {
      await nc.drain().catch(() => nc.close());
    },
  };
}
