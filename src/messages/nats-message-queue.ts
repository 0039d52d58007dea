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
/**
 * How long a node reuses an app's list of stores with messages (a stream-info request, which the
 * server answers on its API queue, the one deletes use too). Publishes on this node add their
 * stores at once; other nodes' new stores are seen within this time.
 */
const STORE_LIST_MS = 250;

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
  const storeLists = new Map<string, { at: number; stores: Set<string> }>();

  /** The stores of an app that have messages (or had them up to {@link STORE_LIST_MS} ago). */
  async function storesOf(appKey: string): Promise<string[]> {
    const known = storeLists.get(appKey);
    if (known && Date.now() - known.at < STORE_LIST_MS) return [...known.stores];
    const prefix = appPrefix(appKey);
    const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}>` });
    const stores = new Set(
      Object.keys(info.state.subjects ?? {})
        .map((s) => s.slice(prefix.length))
        .filter((s) => /^\d+$/.test(s)),
    );
    if (storeLists.size > 10_000) storeLists.clear();
    storeLists.set(appKey, { at: Date.now(), stores });
    return [...stores];
  }

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

  /**
   * Delete acknowledged messages of one store and take them out of its claim, releasing it when
   * none is left (so the store's next messages come at once, not after the visibility timeout).
   * When every message of the claim is acknowledged, one purge of the store's subject up to the
   * claim's last sequence deletes them: a claim holds the first messages of its subject in order
   * and sequences only grow, so nothing else of that subject lies below. Answers how many went.
   */
  async function ackStore(appKey: string, store: string, seqs: Set<number>): Promise<number> {
    const key = claimKey(appKey, store);
    let held = await readClaim(key);
    let rest = [...seqs];
    let n = 0;
    if (held && held.claim.s.length > 0 && held.claim.s.every((q) => seqs.has(q))) {
      const last = Math.max(...held.claim.s);
      n += (await jsm.streams.purge(stream, { filter: `${appPrefix(appKey)}${store}`, seq: last + 1 })).purged;
      rest = rest.filter((q) => q > last);
    }
    const deleted = await Promise.all(
      rest.map((q) =>
        jsm.streams.deleteMessage(stream, q, false).then(
          () => 1,
          () => 0, // acknowledged by a concurrent call
        ),
      ),
    );
    n += deleted.reduce((a, b) => a + b, 0);
    for (let attempt = 0; held && attempt < 5; attempt++) {
      const h = held;
      const keep = h.claim.s.map((q, i) => [q, h.claim.d[i] ?? 1] as const).filter(([q]) => !seqs.has(q));
      if (keep.length === h.claim.s.length) break;
      const claim: Claim =
        keep.length === 0
          ? { u: 0, s: [], d: [] }
          : { u: h.claim.u, s: keep.map(([q]) => q), d: keep.map(([, d]) => d) };
      try {
        await claims.update(key, enc.encode(JSON.stringify(claim)), h.revision);
        break;
      } catch {
        // Changed meanwhile (another acknowledgement or a new claim): read it again.
        held = await readClaim(key);
      }
    }
    return n;
  }

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
          storeLists.get(app)?.stores.add(String(e.storeId));
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
      const stores = (await storesOf(appKey)).slice(0, MAX_STORES_PER_PULL);
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
        const key = claimKey(appKey, c.store);
        const before = new Map((c.held?.claim.s ?? []).map((seq, i) => [seq, c.held!.claim.d[i] ?? 1]));
        const claimOf = (msgs: StoredMsg[]): Claim => ({
          u: now + visibilityMs,
          s: msgs.map((m) => m.seq),
          d: msgs.map((m) => (before.get(m.seq) ?? 0) + 1),
        });
        // Compare-and-set on the store's first message: of two consumers that read the same free
        // store, one gets it, and the other has spent one read on it.
        let claim = claimOf([c.first]);
        let revision: number;
        try {
          const value = enc.encode(JSON.stringify(claim));
          revision = c.held ? await claims.update(key, value, c.held.revision) : await claims.create(key, value);
        } catch {
          continue;
        }
        let msgs = [c.first];
        if (max - out.length > 1) {
          const more = await run(`${prefix}${c.store}`, c.first, max - out.length);
          if (more.length > 1) {
            // Then the rest of the run, under the claim it now holds. Should the claim have changed
            // meanwhile (a late acknowledgement of an earlier claim), only the first message goes.
            try {
              await claims.update(key, enc.encode(JSON.stringify(claimOf(more))), revision);
              msgs = more;
              claim = claimOf(more);
            } catch {
              // See above.
            }
          }
        }
        msgs.forEach((m, i) => out.push(toMessage(m, claim.d[i]!)));
      }
      return out.sort((a, b) => Number(a.id) - Number(b.id));
    },

    async ack(appKey, ids) {
      const prefix = appPrefix(appKey);
      // Which ids are this app's messages still in the stream, and of which store.
      const found = await Promise.all(
        [...new Set(ids.filter(isSeq))].map(async (id) => {
          const seq = Number(id);
          try {
            const m = await direct.getMessage(stream, { seq });
            // Only this app's own messages.
            return m.subject.startsWith(prefix) ? { seq, store: m.subject.slice(prefix.length) } : null;
          } catch {
            return null; // acknowledged already, dropped, or never there
          }
        }),
      );
      const byStore = new Map<string, Set<number>>();
      for (const f of found) if (f) byStore.set(f.store, (byStore.get(f.store) ?? new Set()).add(f.seq));
      const counts = await Promise.all([...byStore].map(([store, seqs]) => ackStore(appKey, store, seqs)));
      return counts.reduce((a, b) => a + b, 0);
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
