import { ApiError, type ShouquanClient } from '../../packages/sdk/src/index.js';

/** The store a seller connected (REST face: GET /api/v1/store). */
export interface Store {
  store_id: number;
  name: string;
}

export interface Order {
  order_id: number;
  status: string;
  buyer_nick?: string;
  total_fee?: string;
  created?: string;
}

export interface Product {
  product_id: number;
  title: string;
  price?: string;
  stock?: number;
  status?: string;
}

/** A listing, or why it can't be shown (e.g. the server runs without the API gateway). */
export type Listing<T> = { items: T[]; total: number } | { unavailable: string };

/**
 * What the demo shows about a connected store. One implementation talks to Shouquan through
 * the SDK; swap in your own (a cache, your ERP) without touching the pages.
 */
export interface StoreData {
  store(key: string): Promise<Store>;
  orders(key: string): Promise<Listing<Order>>;
  products(key: string): Promise<Listing<Product>>;
}

/**
 * Store data from Shouquan: the store through the bearer REST API, orders and products
 * through the signed router methods `<prefix>.orders.list` and `<prefix>.products.list`.
 * A server without the gateway answers those with 404: shown as "not available", not as an error.
 */
export function shouquanStoreData(sdk: ShouquanClient): StoreData {
  async function listing<T>(method: string, field: string, key: string): Promise<Listing<T>> {
    try {
      const res = await sdk.call<Record<string, unknown>>(method, { page_no: 1, page_size: 10 }, { key });
      const items = (res[field] as T[] | undefined) ?? [];
      return { items, total: Number(res.total_results ?? items.length) };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        return { unavailable: `this server has no API gateway yet (${sdk.methodName(method)} answered HTTP 404); start Shouquan with the gateway to list ${field}` };
      }
      throw e;
    }
  }
  return {
    store: (key) => sdk.rest<Store>('/api/v1/store', { key }),
    orders: (key) => listing<Order>('orders.list', 'orders', key),
    products: (key) => listing<Product>('products.list', 'products', key),
  };
}
