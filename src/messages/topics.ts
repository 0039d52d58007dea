/**
 * The message service's topic catalogue (issue 16 §2, docs/adr/0145): every topic, the permission
 * package an app needs to receive it, who publishes it, and an example `data`. Validation, the
 * docs, `/openapi.json` and the sandbox's sample events all read this one list.
 */
export interface TopicSpec {
  name: string;
  /**
   * The permission package (`orders`, `products`) whose read access the app and the seller's
   * grant must include; null: the app's own events.
   */
  package: 'orders' | 'products' | null;
  /** Who publishes it: the operator's systems (API, CLI) and the gateway, or Shouquan itself. */
  publisher: 'platform' | 'shouquan';
  description: string;
  /** A realistic `data` (the sandbox injects these, with fresh ids). */
  example: Record<string, unknown>;
}

export const TOPICS: readonly TopicSpec[] = [
  {
    name: 'trade.created',
    package: 'orders',
    publisher: 'platform',
    description: 'a buyer placed an order',
    example: { order_id: 1001, status: 'WAIT_BUYER_PAY', buyer_nick: 'tb_buyer_01', total_fee: '199.00' },
  },
  {
    name: 'trade.paid',
    package: 'orders',
    publisher: 'platform',
    description: 'the buyer paid an order',
    example: { order_id: 1001, status: 'WAIT_SELLER_SEND_GOODS', total_fee: '199.00', paid_at: '2026-12-07 10:05:00' },
  },
  {
    name: 'trade.shipped',
    package: 'orders',
    publisher: 'platform',
    description: 'the seller shipped an order (also published by the gateway method orders.ship)',
    example: {
      order_id: 1001,
      status: 'WAIT_BUYER_CONFIRM_GOODS',
      logistics_company: 'SF',
      tracking_no: 'SF1234567890',
    },
  },
  {
    name: 'trade.closed',
    package: 'orders',
    publisher: 'platform',
    description: 'an order was closed (cancelled, or finished after a full refund)',
    example: { order_id: 1001, status: 'TRADE_CLOSED', reason: 'buyer cancelled' },
  },
  {
    name: 'refund.created',
    package: 'orders',
    publisher: 'platform',
    description: 'a buyer asked for a refund',
    example: { refund_id: 5001, order_id: 1001, refund_fee: '199.00', reason: 'wrong size' },
  },
  {
    name: 'refund.closed',
    package: 'orders',
    publisher: 'platform',
    description: 'a refund ended (paid out or refused)',
    example: { refund_id: 5001, order_id: 1001, status: 'SUCCESS' },
  },
  {
    name: 'item.created',
    package: 'products',
    publisher: 'platform',
    description: 'a product was listed (also published by products.create)',
    example: { product_id: 2001, title: '纯棉T恤', price: '59.00', stock: 100, status: 'onsale' },
  },
  {
    name: 'item.updated',
    package: 'products',
    publisher: 'platform',
    description: 'a product changed (also published by products.update)',
    example: {
      product_id: 2001,
      title: '纯棉T恤 (新款)',
      price: '49.00',
      stock: 100,
      status: 'onsale',
      changed: ['title', 'price'],
    },
  },
  {
    name: 'item.stock_changed',
    package: 'products',
    publisher: 'platform',
    description: "a product's stock changed (also published by products.update when stock changes)",
    example: { product_id: 2001, stock: 95, previous_stock: 100 },
  },
  {
    name: 'authorization.revoked',
    package: null,
    publisher: 'shouquan',
    description: "the seller (or an operator) revoked the app's authorization",
    // data (pull) is the webhook body (docs/adr/0171).
    example: {
      event: 'authorization.revoked',
      event_id: 'q1…:authorization.revoked',
      app_key: '10000001',
      seller_id: 1,
      store_id: 1,
      reason: 'revoked_by_operator',
      occurred_at: '2026-12-07T10:00:00.000Z',
    },
  },
  {
    name: 'authorization.replaced',
    package: null,
    publisher: 'shouquan',
    description: 'a newer authorization of the same seller replaced this one',
    example: {
      event: 'authorization.replaced',
      event_id: 'q1…:authorization.replaced',
      app_key: '10000001',
      seller_id: 1,
      store_id: 1,
      reason: 'replaced',
      occurred_at: '2026-12-07T10:00:00.000Z',
      new_store_id: 2,
    },
  },
  {
    name: 'subscription.expiring',
    package: null,
    publisher: 'shouquan',
    description: "the seller's subscription to the app ends soon",
    example: {
      event: 'subscription.expiring',
      event_id: 'sub_Jx2…:subscription.expiring:1797206400000',
      app_key: '10000001',
      seller_id: 1,
      subscription_id: 'sub_Jx2…',
      plan: 'standard',
      expires_at: '2026-12-14T00:00:00.000Z',
      occurred_at: '2026-12-07T00:00:00.000Z',
    },
  },
  {
    name: 'subscription.expired',
    package: null,
    publisher: 'shouquan',
    description: "the seller's subscription to the app ended",
    example: {
      event: 'subscription.expired',
      event_id: 'sub_Jx2…:subscription.expired:1797206400000',
      app_key: '10000001',
      seller_id: 1,
      subscription_id: 'sub_Jx2…',
      plan: 'standard',
      expires_at: '2026-12-14T00:00:00.000Z',
      reason: 'expired',
      occurred_at: '2026-12-14T00:00:00.000Z',
    },
  },
];

export const TOPIC_NAMES: readonly string[] = TOPICS.map((t) => t.name);

const byName = new Map(TOPICS.map((t) => [t.name, t]));

export function topicSpec(name: string): TopicSpec | undefined {
  return byName.get(name);
}

/** The topics the operator's systems may publish (`POST /admin/api/v1/events`, `shouquan event publish`). */
export const PUBLISHABLE_TOPICS: readonly string[] = TOPICS.filter((t) => t.publisher === 'platform').map(
  (t) => t.name,
);

/**
 * The permission an app and the seller's grant must hold for a topic (`orders.read`), or
 * undefined for the app's own events.
 */
export function topicPermission(name: string): string | undefined {
  const p = byName.get(name)?.package;
  return p ? `${p}.read` : undefined;
}

/**
 * Check a list of topics an app subscribes to; throws naming the first unknown one. Answers
 * them deduplicated, in catalogue order.
 */
export function validateTopics(topics: readonly string[]): string[] {
  for (const t of topics) {
    if (!byName.has(t)) throw new TopicError(`unknown topic "${t}"; topics are ${TOPIC_NAMES.join(', ')}`);
  }
  return TOPIC_NAMES.filter((n) => topics.includes(n));
}

export class TopicError extends Error {}

/** Shouquan's authorization events (`authorization.revoked`, `authorization.replaced`), docs/adr/0171. */
export function isAuthorizationTopic(name: string): boolean {
  return name.startsWith('authorization.');
}
