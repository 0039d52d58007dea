import type { FragmentRedirect } from '../profiles/profile.js';
/**
 * Storage ports of the open API gateway (docs/gateway.md). Times are epoch milliseconds,
 * amounts are integer cents. Every method is atomic on its own.
 */

import type { AppRecord } from './ports.js';

/** Per-app gateway settings. `null` fields fall back to the server's defaults. */
export interface GatewayAppRecord {
  appKey: string;
  /** The AppSecret sealed with AES-256-GCM under a key derived from the server key (docs/adr/0030). */
  sealedSecret: string | null;
  /**
   * The AppSecret before the last rotation, sealed the same way, accepted for signatures until
   * `previousSecretExpiresAt` (docs/adr/0060; migration 0005_gateway_calls).
   */
  previousSealedSecret: string | null;
  previousSecretExpiresAt: number | null;
  /** Where authorization-change events are POSTed. */
  webhookUrl: string | null;
  /** Events about grants revoked before this time are not sent (set when the URL is configured). */
  webhookSince: number | null;
  /** Permission packages (`*`, `orders`, `read`, `orders.read`, …); null: all. */
  permissions: string[] | null;
  quotaPerDay: number | null;
  quotaPerSecond: number | null;
  /**
   * Order receivers this app may decrypt per GMT+8 day (`orders.receiver.get`, docs/adr/0137);
   * null or absent: the server's default (gateway option `receiverQuotaPerDay`). Migration 0019.
   */
  receiverQuotaPerDay?: number | null;
  /**
   * Where this app's tokens may be sent in a URL fragment (client-side flow, docs/adr/0116):
   * `exact-callback`, `redirect-rule`, or null for the profile's `authorize.fragmentRedirect`.
   */
  fragmentRedirect?: FragmentRedirect | null;
  /** When the app last received a token through the client-side flow (the console warns it). */
  clientSideFlowAt?: number | null;
  /** Message service topics the app subscribed to (issue 16, docs/adr/0145); null or empty: none. */
  topics?: string[] | null;
  /**
   * When `topics` last gained an `authorization.*` topic (null: none subscribed): an app without a
   * webhook gets those events for grants revoked at or after it (docs/adr/0171; migration 0023).
   */
  authorizationSince?: number | null;
}

/** Store settings an ISV may read and change. */
export interface StoreSettings {
  description: string;
  customerServicePhone: string;
  shipFromAddress: string;
  returnAddress: string;
  autoConfirmDays: number;
  invoiceEnabled: boolean;
}

export interface StoreSettingsRecord {
  storeId: number;
  settings: StoreSettings;
  updatedAt: number;
}

export type ProductStatus = 'onsale' | 'instock';

export interface ProductRecord {
  productId: number;
  storeId: number;
  title: string;
  outerId: string | null;
  priceCents: number;
  stock: number;
  status: ProductStatus;
  createdAt: number;
  updatedAt: number;
}

/** TOP trade statuses. */
export const ORDER_STATUSES = [
  'WAIT_BUYER_PAY',
  'WAIT_SELLER_SEND_GOODS',
  'WAIT_BUYER_CONFIRM_GOODS',
  'TRADE_FINISHED',
  'TRADE_CLOSED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface OrderLine {
  productId: number;
  title: string;
  priceCents: number;
  quantity: number;
}

export interface OrderRecord {
  orderId: number;
  storeId: number;
  status: OrderStatus;
  buyerNick: string;
  receiverName: string;
  receiverPhone: string;
  receiverAddress: string;
  totalCents: number;
  lines: OrderLine[];
  logisticsCompany: string | null;
  trackingNo: string | null;
  createdAt: number;
  updatedAt: number;
  shippedAt: number | null;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface ProductQuery {
  storeId: number;
  status?: ProductStatus;
  updatedFrom?: number;
  updatedTo?: number;
  offset: number;
  limit: number;
}

export interface OrderQuery {
  storeId: number;
  status?: OrderStatus;
  createdFrom?: number;
  createdTo?: number;
  updatedFrom?: number;
  updatedTo?: number;
  offset: number;
  limit: number;
}

/** One authorization-change event waiting to be (or already) delivered. */
/**
 * The lane of a webhook event: the `store_id` of its body as JSON text (`123` or `"abc"`), '' when it has none.
 * Events of one app and lane are delivered one at a time in order, across every dispatcher (docs/adr/0172, 0190).
 */
export function outboxLane(body: string): string {
  const m = /"store_id":("(?:[^"\\]|\\.)*"|-?\d+)/.exec(body);
  return m ? m[1]! : '';
}

export interface OutboxRecord {
  id: number;
  appKey: string;
  grantId: string;
  event: string;
  /** The exact bytes POSTed (and signed). */
  body: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  deliveredAt: number | null;
  lastError: string | null;
}

/** A revoked grant of an app with a webhook or subscribed to the event's topic, not yet in the outbox. */
export interface PendingGrantEvent {
  grantId: string;
  appKey: string;
  sellerId: number;
  storeId: number;
  revokedAt: number;
  revokedReason: string | null;
}

export interface GatewayAppRepository {
  find(appKey: string): Promise<GatewayAppRecord | undefined>;
  /** Create or change the settings given (other fields keep their value). */
  upsert(appKey: string, changes: Partial<Omit<GatewayAppRecord, 'appKey'>>): Promise<void>;
  /** The app and its settings in one read, for a signed call (undefined: no such app). */
  findForCall(appKey: string): Promise<{ app: AppRecord; settings: GatewayAppRecord | undefined } | undefined>;
}

export interface SellerDataRepository {
  storeSettings(storeId: number): Promise<StoreSettingsRecord | undefined>;
  saveStoreSettings(record: StoreSettingsRecord): Promise<void>;
  products(query: ProductQuery): Promise<Page<ProductRecord>>;
  product(storeId: number, productId: number): Promise<ProductRecord | undefined>;
  createProduct(product: Omit<ProductRecord, 'productId'>): Promise<ProductRecord>;
  /** Update the fields given; undefined when the product is not in that store. */
  updateProduct(
    storeId: number,
    productId: number,
    changes: Partial<Pick<ProductRecord, 'title' | 'outerId' | 'priceCents' | 'stock' | 'status'>>,
    now: number,
  ): Promise<ProductRecord | undefined>;
  orders(query: OrderQuery): Promise<Page<OrderRecord>>;
  order(storeId: number, orderId: number): Promise<OrderRecord | undefined>;
  createOrder(order: Omit<OrderRecord, 'orderId'>): Promise<OrderRecord>;
  /**
   * Atomically move a `WAIT_SELLER_SEND_GOODS` order to `WAIT_BUYER_CONFIRM_GOODS` with its
   * logistics; `not_found` when not in that store, `wrong_status` when not waiting to ship.
   */
  shipOrder(input: {
    storeId: number;
    orderId: number;
    logisticsCompany: string;
    trackingNo: string;
    now: number;
  }): Promise<
    | { status: 'shipped'; order: OrderRecord }
    | { status: 'not_found' }
    | { status: 'wrong_status'; current: OrderStatus }
  >;
  /** How many products a store has (the sandbox fills empty stores only). */
  countProducts(storeId: number): Promise<number>;
}

/** `nextAttemptAt` of a delivered outbox row (the year 9999): a due scan never walks delivered rows. */
export const OUTBOX_DONE = 253_402_300_799_999;

export interface OutboxRepository {
  /**
   * Revoked grants that have no event yet (revoked at or after `since`, when given), of apps with a
   * webhook URL (revoked since it was set) or without one that subscribed to the event's topic
   * (revoked since they subscribed, docs/adr/0171).
   */
  pendingGrantEvents(limit: number, since?: number): Promise<PendingGrantEvent[]>;
  /** Add an event; ignored when one exists already for the grant and event (unique). */
  enqueue(record: Omit<OutboxRecord, 'id' | 'attempts' | 'deliveredAt' | 'lastError'>): Promise<void>;
  /**
   * Undelivered events due at `now`, oldest first, without those of an app that has an earlier
   * event that failed and waits for (or is in) its retry: a failing event holds back the app's
   * later ones (docs/adr/0172); nor those behind an earlier event of their app and store that is
   * held (leased by a dispatcher, or waiting for its retry): they could not be claimed (docs/adr/0190).
   */
  due(now: number, limit: number): Promise<OutboxRecord[]>;
  /**
   * Claim an event for one attempt: atomically push its next attempt to `leaseUntil` if it is
   * still due at `now`; false when another dispatcher took it.
   */
  claim(id: number, now: number, leaseUntil: number): Promise<boolean>;
  /** Mark delivered; its `nextAttemptAt` becomes {@link OUTBOX_DONE}, out of the due index's range. */
  markDelivered(id: number, now: number): Promise<void>;
  markFailed(id: number, error: string, nextAttemptAt: number): Promise<void>;
  find(id: number): Promise<OutboxRecord | undefined>;
  /** An app's undelivered events, oldest first (moved to its pull queue, docs/adr/0171). */
  undelivered(appKey: string, limit: number): Promise<OutboxRecord[]>;
  /** Every event of an app (tests, operators). */
  list(appKey: string): Promise<OutboxRecord[]>;
}

/** Which face of the gateway answered a call. */
export type CallFace = 'router' | 'rest';

/**
 * One gateway call as the developer console shows it (telemetry, not authorization state:
 * written in batches, docs/adr/0062). `code` is null when the call succeeded, else the TOP
 * error code the caller got, with its `subCode`.
 */
export interface CallRecord {
  appKey: string;
  /** Full method name (`shouquan.orders.list`), or `GET /api/v1/store` for the plain store API. */
  method: string;
  face: CallFace;
  storeId: number | null;
  sellerId: number | null;
  code: number | null;
  subCode: string | null;
  httpStatus: number;
  durationMs: number;
  at: number;
}

/** Calls and errors of one app since a time, and its most frequent errors. */
export interface CallSummary {
  calls: number;
  errors: number;
  /** Most frequent first (ties: lower code, then sub code), at most `topErrors` entries. */
  topErrors: Array<{ code: number; subCode: string | null; count: number }>;
}

export interface CallLogRepository {
  /** Store records with one multi-row INSERT (one statement, so one transaction). */
  append(records: CallRecord[]): Promise<void>;
  /** The newest calls of an app, newest first. */
  recent(appKey: string, limit: number): Promise<CallRecord[]>;
  summary(appKey: string, since: number, topErrors: number): Promise<CallSummary>;
}

/** One decryption of an order's receiver (issue 15; migration 0016_grant_stores_scopes). */
export interface ReceiverRead {
  appKey: string;
  sellerId: number;
  storeId: number;
  orderId: number;
  at: number;
}

export interface ReceiverReadRepository {
  /** Record a read and its audit line (`order.receiver_read`) in one transaction. */
  record(read: ReceiverRead): Promise<void>;
  /** A seller's newest reads first, with the app's name. */
  ofSeller(sellerId: number, limit: number): Promise<Array<ReceiverRead & { appName: string }>>;
}

/** Everything the gateway stores. */
export interface GatewayStorage {
  /**
   * The message service's queues (issue 16 §2, docs/adr/0145): the database's, or NATS JetStream's
   * with `serve --message-broker`.
   */
  messages: import('../messages/ports.js').MessageQueue;
  /** Who may receive a seller's events: live grants of apps with topics (read at publish time). */
  messageRoutes(sellerId: number): Promise<import('../messages/ports.js').MessageRoute[]>;
  /**
   * The database's message tables as an outbox (docs/adr/0180): with `--message-broker`, the
   * gateway's own writes queue their events there in their transaction and a relay forwards them.
   */
  messageOutbox?: import('../messages/ports.js').MessageOutbox;
  /** Decryptions of order receivers (issue 15). */
  receiverReads: ReceiverReadRepository;
  apps: GatewayAppRepository;
  data: SellerDataRepository;
  outbox: OutboxRepository;
  /** Call records for the developer console (migration 0005_gateway_calls). */
  calls: CallLogRepository;
  /**
   * Run `fn` in one database transaction over this storage (its `data`, `messageRoutes` and the
   * database queue's `messages`): a gateway write and the events it publishes commit or roll back
   * together (docs/adr/0145, "Own writes"). `messages` inside is always the database queue.
   */
  transaction?<T>(fn: (trx: GatewayStorage) => Promise<T>): Promise<T>;
}
