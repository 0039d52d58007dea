/**
 * Arguments of each gateway method, for the API reference (`/openapi.json`, `/docs`).
 * `src/server/openapi/openapi.test.ts` fails when a gateway method has no entry here.
 */
export interface ParamDoc {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  required?: boolean;
  enum?: readonly string[];
  description: string;
}

const page: ParamDoc[] = [
  { name: 'page_no', type: 'integer', description: 'page number from 1 (default 1)' },
  { name: 'page_size', type: 'integer', description: 'items per page, 1 to 100 (default 20)' },
];
const time = (name: string, what: string): ParamDoc => ({ name, type: 'string', description: `${what}, \`yyyy-MM-dd HH:mm:ss\` GMT+8, inclusive` });
const ORDER_STATUSES = ['WAIT_BUYER_PAY', 'WAIT_SELLER_SEND_GOODS', 'WAIT_BUYER_CONFIRM_GOODS', 'TRADE_FINISHED', 'TRADE_CLOSED'] as const;
const PRODUCT_STATUSES = ['onsale', 'instock'] as const;

/** Every store-scoped method's `store_id` (docs/adr/0135), added by `paramsOf`. */
export const STORE_ID_PARAM: ParamDoc = {
  name: 'store_id',
  // A string: Shouquan's number for a built-in store, the platform's own id for a store from its account system (docs/adr/0125).
  type: 'string',
  description: 'the store to act on, one of the token’s (`GET /api/v1/stores`), as listed there: Shouquan’s number for a built-in store, the platform’s own id for a store from its account system (`serve --seller-directory`); may be left out when the token covers one store, required when it covers several',
};

/** A method's documented arguments, with `store_id` for methods that act on one store of the grant. */
export function paramsOf(m: { name: string; needsSession: boolean; storeScoped?: boolean }): ParamDoc[] {
  const own = methodParams[m.name]?.params ?? [];
  return m.needsSession && m.storeScoped !== false ? [...own, STORE_ID_PARAM] : own;
}

export const methodParams: Record<string, { summary: string; params: ParamDoc[] }> = {
  'stores.list': { summary: 'The stores the token covers (`store_id`, `name`), the values `store_id` takes on every other call', params: [] },
  'tmc.messages.consume': {
    summary: 'Message service: take up to `max` messages of the app (no session; the same queue as GET /api/v1/messages); answers `messages`, acknowledge them with tmc.messages.confirm',
    params: [
      { name: 'max', type: 'integer', description: 'at most this many messages, 1 to 100 (default 100)' },
      { name: 'wait', type: 'integer', description: 'long poll: wait up to this many seconds for a message, 0 to 20 (default 0)' },
    ],
  },
  'tmc.messages.confirm': {
    summary: 'Message service: acknowledge messages (no session); answers `acknowledged`, how many were acknowledged now',
    params: [{ name: 'ids', type: 'string', required: true, description: 'message ids, comma-separated, at most 1000' }],
  },
  'auth.token.refresh': {
    summary: 'Refresh the seller’s tokens (RFC 6749 §6 as a signed call); answers the profile’s token-endpoint fields',
    params: [
      { name: 'refresh_token', type: 'string', required: true, description: 'the refresh token' },
      { name: 'scope', type: 'string', description: 'a narrower scope (optional)' },
    ],
  },
  'store.get': { summary: 'A store the token covers, with its settings', params: [] },
  'store.settings.update': {
    summary: 'Change some store settings (the others keep their value)',
    params: [
      { name: 'description', type: 'string', description: 'store description, at most 500 characters' },
      { name: 'customer_service_phone', type: 'string', description: 'digits, +, - and spaces' },
      { name: 'ship_from_address', type: 'string', description: 'at most 200 characters' },
      { name: 'return_address', type: 'string', description: 'at most 200 characters' },
      { name: 'auto_confirm_days', type: 'integer', description: '1 to 30' },
      { name: 'invoice_enabled', type: 'boolean', description: 'true or false' },
    ],
  },
  'products.list': {
    summary: 'The store’s products, newest change first',
    params: [...page, { name: 'status', type: 'string', enum: PRODUCT_STATUSES, description: 'only products with this status' }, time('start_modified', 'changed at or after'), time('end_modified', 'changed at or before')],
  },
  'products.get': { summary: 'One product of the store', params: [{ name: 'product_id', type: 'integer', required: true, description: 'the product' }] },
  'products.create': {
    summary: 'List a new product in the store',
    params: [
      { name: 'title', type: 'string', required: true, description: 'at most 60 characters' },
      { name: 'price', type: 'string', required: true, description: 'yuan, e.g. `19.90`' },
      { name: 'stock', type: 'integer', required: true, description: '0 to 999999' },
      { name: 'outer_id', type: 'string', description: 'the seller’s own code, at most 64 characters' },
      { name: 'status', type: 'string', enum: PRODUCT_STATUSES, description: 'default `instock`' },
    ],
  },
  'products.update': {
    summary: 'Change some fields of a product of the store',
    params: [
      { name: 'product_id', type: 'integer', required: true, description: 'the product' },
      { name: 'title', type: 'string', description: 'at most 60 characters' },
      { name: 'price', type: 'string', description: 'yuan, e.g. `19.90`' },
      { name: 'stock', type: 'integer', description: '0 to 999999' },
      { name: 'outer_id', type: 'string', description: 'at most 64 characters' },
      { name: 'status', type: 'string', enum: PRODUCT_STATUSES, description: 'onsale or instock' },
    ],
  },
  'orders.list': {
    summary: 'The store’s orders, newest first, with the filters order tools need',
    params: [
      ...page,
      { name: 'status', type: 'string', enum: ORDER_STATUSES, description: 'only orders in this status' },
      time('start_created', 'created at or after'),
      time('end_created', 'created at or before'),
      time('start_modified', 'changed at or after'),
      time('end_modified', 'changed at or before'),
    ],
  },
  'orders.get': { summary: 'One order of the store', params: [{ name: 'order_id', type: 'integer', required: true, description: 'the order' }] },
  'orders.receiver.get': {
    summary: 'An order’s receiver in full (name, phone, address): needs `orders.pii`, counted against the app’s daily decryption quota, recorded for the seller',
    params: [{ name: 'order_id', type: 'integer', required: true, description: 'the order' }],
  },
  'orders.ship': {
    summary: 'Record the shipment of a paid order (WAIT_SELLER_SEND_GOODS → WAIT_BUYER_CONFIRM_GOODS)',
    params: [
      { name: 'order_id', type: 'integer', required: true, description: 'the order' },
      { name: 'logistics_company', type: 'string', required: true, description: 'at most 40 characters' },
      { name: 'tracking_no', type: 'string', required: true, description: 'at most 40 characters' },
    ],
  },
};
