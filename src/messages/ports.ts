/**
 * The message service's queue port (docs/adr/0145). Events are fanned out at publish time into
 * one queue entry per receiving app; an entry is handed to a consumer (pull) and stays hidden for
 * the visibility timeout; acknowledged entries are never handed out again; unacknowledged ones
 * come back after the timeout (at least once). Two implementations: the database (Kysely,
 * src/storage/kysely/kysely-message-queue.ts, the default) and NATS JetStream
 * (src/messages/nats-message-queue.ts, `serve --message-broker`). Times are epoch ms.
 */

/** One event ready to enqueue, with the apps it reaches (routing already done). */
export interface EventToQueue {
  topic: string;
  sellerId: number;
  /** Shouquan's store number. */
  storeId: number;
  /** The event's `data`, as JSON text. */
  data: string;
  createdAt: number;
  /** Apps that pull it (`GET /api/v1/messages`, `tmc.messages.consume`). */
  pull: string[];
  /** Apps with a webhook URL: it is pushed to them through the signed webhook outbox instead. */
  push: string[];
  /**
   * The event's id when the caller has one already: the outbox relay forwarding the database's
   * events to NATS JetStream, a webhook-outbox row moved to a pull queue (docs/adr/0180).
   * JetStream's deduplication id derives from it, so a relay repeated after a crash does not queue
   * an entry twice. Otherwise the queue assigns one.
   */
  eventId?: string;
}

/** A message handed to a consumer. */
export interface QueuedMessage {
  /**
   * The message's id, to acknowledge with; the same on every delivery of the message (database:
   * the queue row; NATS JetStream: the stream sequence), so consumers dedupe on it.
   */
  id: string;
  eventId: string;
  topic: string;
  sellerId: number;
  storeId: number;
  /** JSON text. */
  data: string;
  createdAt: number;
  /** How many times it was handed out, this time included. */
  deliveries: number;
}

/** What the developer console shows about one app's queue. */
export interface QueueStats {
  /** Not yet acknowledged (in flight included). */
  backlog: number;
  /** Handed out and not acknowledged, still inside the visibility timeout. */
  inFlight: number;
  /** Unacknowledged messages handed out more than once (the consumer failed to acknowledge in time). */
  redelivered: number;
  /** The oldest unacknowledged message's publish time. */
  oldestAt: number | null;
  /** Pushed messages (webhook apps) not delivered yet, and how many of them failed at least once. */
  pushPending: number;
  pushFailing: number;
  /** The latest deliveries, newest first. */
  recent: Array<{
    id: string;
    topic: string;
    storeId: number;
    createdAt: number;
    deliveredAt: number;
    deliveries: number;
    ackedAt: number | null;
  }>;
}

export interface MessageQueue {
  readonly kind: 'database' | 'nats';
  /**
   * Store events and their queue entries durably (database: one transaction, push entries in the
   * webhook outbox included); resolves with the event ids, in order, once they are durable.
   */
  publish(events: EventToQueue[]): Promise<string[]>;
  /**
   * Hand out up to `max` visible messages of an app, oldest first, hiding them until `now +
   * visibilityMs`. FIFO per store on both queues — none of a store while an earlier one of it is
   * in flight unacknowledged (docs/adr/0145, "Order per store"; docs/adr/0180 for JetStream).
   */
  receive(appKey: string, max: number, now: number, visibilityMs: number): Promise<QueuedMessage[]>;
  /** Acknowledge messages of an app; unknown or foreign ids are ignored. Answers how many were acknowledged now. */
  ack(appKey: string, ids: string[], now: number): Promise<number>;
  stats(appKey: string, now: number, recent: number): Promise<QueueStats>;
  /**
   * Drop events published before `before` and their entries, up to `limit` entries per call.
   * Answers the entries dropped and how many of them were never acknowledged.
   */
  purge(before: number, limit: number): Promise<{ dropped: number; unacked: number }>;
  close(): Promise<void>;
}

/**
 * The database's message tables read as an outbox (docs/adr/0180). With NATS JetStream
 * (`--message-broker`) a gateway write queues its events in the database in the write's own
 * transaction (as on the database queue); a relay then forwards their pull entries to JetStream
 * and removes them. Webhook pushes were written to the webhook outbox in that transaction already.
 */
export interface MessageOutbox {
  /**
   * The oldest events in the database, oldest first, each with the apps whose entries are not
   * acknowledged (`pull`; `push` is always empty) and its id (`eventId`).
   */
  take(limit: number): Promise<Array<EventToQueue & { eventId: string }>>;
  /** Delete these events and their entries (forwarded). */
  remove(eventIds: string[]): Promise<void>;
}

/** An app that may receive a seller's events: a live grant joined with the app's subscriptions. */
export interface MessageRoute {
  appKey: string;
  storeIds: number[];
  /** The grant's scope. */
  scope: string[];
  topics: string[];
  /** The app's permission packages; null: all. */
  permissions: string[] | null;
  webhookUrl: string | null;
}
