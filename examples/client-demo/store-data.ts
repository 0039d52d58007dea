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
  /** Every store the seller connected (a seller may tick several on the consent page). */
  stores(key: string): Promise<Store[]>;
  store(key: string, storeId: number): Promise<Store>;
  orders(key: string, storeId: number): Promise<Listing<Order>>;
  products(key: string, storeId: number): Promise<Listing<Product>>;
}

/**
 * Store data from Shouquan: the store through the bearer REST API, orders and products
 * through the signed router methods `<prefix>.orders.list` and `<prefix>.products.list`.
 * A server without the gateway answers those with 404: shown as "not available", not as an error.
 */
export function shouquanStoreData(sdk: ShouquanClient): StoreData {
  async function listing<T>(method: string, field: string, key: string, storeId: number): Promise<Listing<T>> {
    try {
      // store_id names the store: required when the seller connected several.
      const res = await sdk.call<Record<string, unknown>>(
        method,
        { store_id: storeId, page_no: 1, page_size: 10 },
        { key },
      );
      const items = (res[field] as T[] | undefined) ?? [];
      return { items, total: Number(res.total_results ?? items.length) };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        return {
          unavailable: `this server has no API gateway yet (${sdk.methodName(method)} answered HTTP 404); start Shouquan with the gateway to list ${field}`,
        };
      }
      throw e;
    }
  }
  return {
    async stores(key) {
      try {
        return await sdk.stores(key);
      } catch (e) {
        // A server without the gateway has no GET /api/v1/stores: its tokens cover one store.
        if (e instanceof ApiError && e.status === 404) return [await sdk.rest<Store>('/api/v1/store', { key })];
        throw e;
      }
    },
    store: (key, storeId) => sdk.rest<Store>('/api/v1/store', { key, query: { store_id: storeId } }),
    orders: (key, storeId) => listing<Order>('orders.list', 'orders', key, storeId),
    products: (key, storeId) => listing<Product>('products.list', 'products', key, storeId),
  };
}
