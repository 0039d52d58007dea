/**
 * The message queues in NATS JetStream (`serve --message-broker nats://HOST:PORT`, docs/adr/0145
 * and docs/adr/0180): one stream per deployment (`?stream=NAME`, default `SHOUQUAN`) holding a
 * subject per (app, store) (`<stream>.app.<app>.<store>`), and a key-value bucket
 * (`<stream>_claims`) holding one claim per (app, store) that a consumer holds for the visibility
 * timeout. The stream holds exactly the unacknowledged messages: an acknowledgement deletes the
 * message. A message's `id` is its stream sequence, the same on every delivery. FIFO per (app,
 * store) as on the database queue: a store whose claim is live hands out nothing; once the claim
 * ends, its oldest messages (the redelivered ones) come first. Routing and the webhook pushes stay
 * in the database (the outbox).
 */
import { randomUUID } from 'node:crypto';
import {
  connect,
  headers,
  nanos,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type KV,
  type NatsConnection,
  type StoredMsg,
} from 'nats';
import type { OutboxRepository } from '../storage/gateway-ports.js';
import type { EventToQueue, MessageQueue, QueuedMessage, QueueStats } from './ports.js';
import { messageWebhookBody } from './render.js';

export interface NatsQueueOptions {
  /** `nats://HOST:PORT[?stream=NAME]`. */
  url: string;
  /**
   * Events are dropped (and counted) after this by `purge`; the stream's own `max_age` is one hour
   * longer, a backstop for a deployment whose nodes stopped purging.
   */
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
const isSeq = (s: string) => /^[1-9]\d{0,15}$/.test(s);
/** Most stores one pull looks at (the oldest message of each decides the order). */
const MAX_STORES_PER_PULL = 200;

interface DirectGets {
  getMessage(stream: string, query: { seq: number; next_by_subj?: string }): Promise<StoredMsg>;
}

/** A claim on one (app, store): until when, and the messages handed out under it with their delivery counts. */
interface Claim {
  /** Epoch ms; 0: released. */
  u: number;
  /** Stream sequences handed out, oldest first. */
  s: number[];
  /** How many times each was handed out. */
  d: number[];
}

interface Body {
  e: string;
  t: string;
  s: number;
  st: number;
  c: number;
  d: unknown;
}

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

/**
 * Open the JetStream queue: connect, create the stream (or let an existing one serve direct reads)
 * and the claims bucket. The stream is a plain limits stream; `purge` drops by publish time.
 */
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
  // The client has direct gets (`$JS.API.DIRECT.GET`, served without the stream's API queue) but
  // does not export their interface.
  const direct = (jsm as JetStreamManager & { direct: DirectGets }).direct;
  const js = nc.jetstream();
  const maxAge = nanos(o.retentionMs + 3_600_000);
  try {
    const info = await jsm.streams.info(stream);
    if (!info.config.allow_direct || info.config.max_age !== maxAge)
      await jsm.streams.update(stream, { ...info.config, allow_direct: true, max_age: maxAge });
  } catch (e) {
    if (!/stream not found/i.test((e as Error).message)) throw e;
    await jsm.streams.add({
      name: stream,
      subjects: [`${stream}.app.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: maxAge,
      duplicate_window: nanos(120_000),
      allow_direct: true,
    });
  }
  const claims: KV = await js.views.kv(`${stream}_claims`, { history: 1, ttl: o.retentionMs + 3_600_000 });
  const appPrefix = (appKey: string) => `${stream}.app.${token(appKey)}.`;
  const subject = (appKey: string, storeId: number) => `${appPrefix(appKey)}${storeId}`;
  const claimKey = (appKey: string, storeId: number | string) => `${token(appKey)}.${storeId}`;

  /** The first message at or after `seq` on `subj` (wildcards allowed); null when there is none. */
  async function next(subj: string, seq: number): Promise<StoredMsg | null> {
    try {
      return await direct.getMessage(stream, { seq, next_by_subj: subj });
    } catch (e) {
      if ((e as { code?: string }).code === '404') return null;
      throw e;
    }
  }

  /**
   * Up to `want` messages of a subject from `first` on, in order. The reads go out `want` at a time
   * (each "the next message at or after seq + i"), so a store's run of messages costs one round trip
   * when they are contiguous in the stream; duplicates from gaps are dropped.
   */
  async function run(subj: string, first: StoredMsg, want: number): Promise<StoredMsg[]> {
    const got = [first];
    for (;;) {
      const need = want - got.length;
      if (need <= 0) return got;
      const from = got[got.length - 1]!.seq + 1;
      const reads = await Promise.all(Array.from({ length: need }, (_, i) => next(subj, from + i)));
      for (const m of reads) {
        if (m === null) return got;
        if (m.seq > got[got.length - 1]!.seq) got.push(m);
      }
    }
  }

  const readClaim = async (key: string): Promise<{ claim: Claim; revision: number } | null> => {
    const e = await claims.get(key);
    if (!e || e.operation !== 'PUT' || e.value.length === 0)
      return e ? { claim: { u: 0, s: [], d: [] }, revision: e.revision } : null;
    return { claim: JSON.parse(dec.decode(e.value)) as Claim, revision: e.revision };
  };

  const toMessage = (m: StoredMsg, deliveries: number): QueuedMessage => {
    const v = JSON.parse(dec.decode(m.data)) as Body;
    return {
      id: String(m.seq),
      eventId: v.e,
      topic: v.t,
      sellerId: v.s,
      storeId: v.st,
      createdAt: v.c,
      data: JSON.stringify(v.d),
      deliveries,
    };
  };

  return {
    kind: 'nats',
    async publish(events: EventToQueue[]) {
      const ids: string[] = [];
      const acks: Array<Promise<unknown>> = [];
      for (const e of events) {
        const eventId = e.eventId ?? randomUUID();
        ids.push(eventId);
        const body = `{"e":${JSON.stringify(eventId)},"t":${JSON.stringify(e.topic)},"s":${e.sellerId},"st":${e.storeId},"c":${e.createdAt},"d":${e.data}}`;
        for (const app of e.pull) {
          const h = headers();
          // Deduplication inside the stream's duplicate window (2 min): a publish (or an outbox
          // relay) repeated after a failure does not queue the entry twice.
          h.set('Nats-Msg-Id', `${eventId}:${app}`);
          acks.push(js.publish(subject(app, e.storeId), enc.encode(body), { headers: h }));
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

    async receive(appKey, max, now, visibilityMs) {
      const prefix = appPrefix(appKey);
      const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}>` });
      const stores = Object.keys(info.state.subjects ?? {})
        .map((s) => s.slice(prefix.length))
        .filter((s) => /^\d+$/.test(s))
        .slice(0, MAX_STORES_PER_PULL);
      if (stores.length === 0) return [];
      // Stores without a live claim, with their oldest message, oldest first.
      const open = (
        await Promise.all(
          stores.map(async (store) => {
            const held = await readClaim(claimKey(appKey, store));
            if (held && held.claim.u > now) return null;
            const first = await next(`${prefix}${store}`, 1);
            return first ? { store, held, first } : null;
          }),
        )
      )
        .filter((x) => x !== null)
        .sort((a, b) => a.first.seq - b.first.seq);
      const out: QueuedMessage[] = [];
      for (const c of open) {
        if (out.length >= max) break;
        const msgs = await run(`${prefix}${c.store}`, c.first, max - out.length);
        const before = new Map((c.held?.claim.s ?? []).map((seq, i) => [seq, c.held!.claim.d[i] ?? 1]));
        const claim: Claim = {
          u: now + visibilityMs,
          s: msgs.map((m) => m.seq),
          d: msgs.map((m) => (before.get(m.seq) ?? 0) + 1),
        };
        const value = enc.encode(JSON.stringify(claim));
        try {
          // Compare-and-set: of two consumers that read the same free store, one gets it.
          if (c.held) await claims.update(claimKey(appKey, c.store), value, c.held.revision);
          else await claims.create(claimKey(appKey, c.store), value);
        } catch {
          continue;
        }
        msgs.forEach((m, i) => out.push(toMessage(m, claim.d[i]!)));
      }
      return out.sort((a, b) => Number(a.id) - Number(b.id));
    },

    async ack(appKey, ids) {
      const prefix = appPrefix(appKey);
      const done = await Promise.all(
        [...new Set(ids.filter(isSeq))].map(async (id) => {
          const seq = Number(id);
          let m: StoredMsg;
          try {
            m = await direct.getMessage(stream, { seq });
          } catch {
            return null; // acknowledged already, dropped, or never there
          }
          // Only this app's own messages.
          if (!m.subject.startsWith(prefix)) return null;
          try {
            await jsm.streams.deleteMessage(stream, seq, false);
          } catch {
            return null; // acknowledged by a concurrent call
          }
          return { seq, store: m.subject.slice(prefix.length) };
        }),
      );
      const acked = done.filter((x) => x !== null);
      // Release a store's claim once every message handed out under it is acknowledged, so its
      // next messages come at once rather than after the visibility timeout.
      const byStore = new Map<string, Set<number>>();
      for (const a of acked) byStore.set(a.store, (byStore.get(a.store) ?? new Set()).add(a.seq));
      await Promise.all(
        [...byStore].map(async ([store, seqs]) => {
          for (let attempt = 0; attempt < 5; attempt++) {
            const held = await readClaim(claimKey(appKey, store));
            if (!held) return;
            const keep = held.claim.s.map((s, i) => [s, held.claim.d[i] ?? 1] as const).filter(([s]) => !seqs.has(s));
            if (keep.length === held.claim.s.length) return;
            const claim: Claim =
              keep.length === 0
                ? { u: 0, s: [], d: [] }
                : { u: held.claim.u, s: keep.map(([s]) => s), d: keep.map(([, d]) => d) };
            try {
              await claims.update(claimKey(appKey, store), enc.encode(JSON.stringify(claim)), held.revision);
              return;
            } catch {
              // Changed meanwhile (another acknowledgement or a new claim): read it again.
            }
          }
        }),
      );
      return acked.length;
    },

    async stats(appKey, now): Promise<QueueStats> {
      const prefix = appPrefix(appKey);
      const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}>` });
      const backlog = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
      let inFlight = 0;
      let redelivered = 0;
      if (backlog > 0) {
        for await (const key of await claims.keys(`${token(appKey)}.>`)) {
          const held = await readClaim(key);
          if (!held) continue;
          if (held.claim.u > now) inFlight += held.claim.s.length;
          redelivered += held.claim.d.filter((d) => d > 1).length;
        }
      }
      const oldest = backlog > 0 ? await next(`${prefix}>`, 1) : null;
      return {
        backlog,
        inFlight,
        redelivered,
        oldestAt: oldest ? (JSON.parse(dec.decode(oldest.data)) as Body).c : null,
        pushPending: 0,
        pushFailing: 0,
        recent: [],
      };
    },

    /**
     * Drop the messages published before `before`: the stream holds only unacknowledged ones, so
     * every message dropped is counted as never acknowledged. The cut is found by a binary search
     * over the stream (messages are in publish order); `limit` is not needed (one purge request).
     */
    async purge(before) {
      const info = await jsm.streams.info(stream);
      if (info.state.messages === 0) return { dropped: 0, unacked: 0 };
      const all = `${stream}.app.>`;
      let lo = info.state.first_seq;
      let hi = info.state.last_seq + 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const m = await next(all, mid);
        if (m && (JSON.parse(dec.decode(m.data)) as Body).c < before) lo = m.seq + 1;
        else hi = mid;
      }
      if (lo <= info.state.first_seq) return { dropped: 0, unacked: 0 };
      const r = await jsm.streams.purge(stream, { filter: all, seq: lo });
      return { dropped: r.purged, unacked: r.purged };
    },

    async close() {
      await nc.drain().catch(() => nc.close());
    },
  };
}
