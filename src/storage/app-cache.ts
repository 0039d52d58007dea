import type { AppRecord, AppRepository, SellerRepository, Storage, StoreRecord } from './ports.js';
import type { GatewayAppRecord, GatewayAppRepository } from '../gateway/ports.js';

/** How long a cached app record may be served without reading the database again. */
export const DEFAULT_APP_CACHE_TTL_MS = 1000;

export interface AppCacheOptions {
  /** Milliseconds an entry stays fresh; bounds how long a change made by another process can go unseen. */
  ttlMs?: number;
  /** At most this many apps are kept (the oldest entry is dropped first). */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * An in-process cache of app records in front of `storage.apps` (docs/adr/0051-app-record-cache.md).
 * Every token, introspection and revocation request authenticates the client, so this removes one
 * database read per request. Changes made through this process (`create`, `setSecretHash`) invalidate
 * the entry at once; changes made by another process (the CLI, another worker) are seen within `ttlMs`.
 * Unknown AppKeys are cached too, for the same time, so that unknown and known clients take the
 * same path; an app registered by another process is therefore usable there within `ttlMs`.
 */
export function cacheApps<R extends { find(appKey: string): Promise<V | undefined> }, V = AppRecord>(
  apps: R,
  options: AppCacheOptions = {},
): R & { invalidate(appKey?: string): void } {
  const ttl = options.ttlMs ?? DEFAULT_APP_CACHE_TTL_MS;
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  // Unknown apps are remembered too (as undefined): otherwise an unknown client_id would be
  // answered after a database read and a known one from memory, and the time would tell which
  // AppKeys exist (docs/security.md, client authentication timing).
  const entries = new Map<string, { app: V | undefined; until: number }>();
  // Reads that started before an invalidation must not put the stale record back.
  let generation = 0;

  const invalidate = (appKey?: string) => {
    generation++;
    if (appKey === undefined) entries.clear();
    else entries.delete(appKey);
  };

  const find = async (appKey: string): Promise<V | undefined> => {
    const hit = entries.get(appKey);
    if (hit && hit.until > now()) return hit.app;
    const started = generation;
    const app = await apps.find(appKey);
    if (started === generation) {
      if (entries.size >= max && !entries.has(appKey)) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(appKey, { app, until: now() + ttl });
    }
    return app;
  };

  // Every other method (create, setSecretHash, and any added later) may change an app:
  // it drops the whole cache before and after it runs.
  const cached: Record<string, unknown> = { invalidate, find };
  for (const name of methodNames(apps) as Array<keyof R & string>) {
    const method = apps[name];
    if (name === 'find' || typeof method !== 'function') continue;
    cached[name] = async (...args: unknown[]) => {
      invalidate();
      try {
        return await (method as (...a: unknown[]) => Promise<unknown>).apply(apps, args);
      } finally {
        invalidate();
      }
    };
  }
  return cached as unknown as R & { invalidate(appKey?: string): void };
}

/** Own and inherited method names (plain objects and class instances alike). */
function methodNames(obj: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const n of Object.getOwnPropertyNames(o)) if (n !== 'constructor') names.add(n);
  }
  return [...names];
}

/** How long a store record read by id is served from memory. */
export const DEFAULT_STORE_CACHE_TTL_MS = 60_000;

/**
 * Store records by id, cached in-process in front of `sellers.store` (docs/adr/0051). A store row is
 * never changed or deleted once created (it is the thing a grant names), so an entry cannot go stale;
 * the TTL and the size bound only keep memory in check. Unknown ids are not cached. This removes the
 * second database read from every bearer call to `/api/v1/store` and gateway calls.
 */
export function cacheStores(sellers: SellerRepository, options: AppCacheOptions = {}): SellerRepository {
  const ttl = options.ttlMs ?? DEFAULT_STORE_CACHE_TTL_MS;
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<number, { store: StoreRecord; until: number }>();
  const store: SellerRepository['store'] = async (storeId) => {
    const hit = entries.get(storeId);
    if (hit && hit.until > now()) return hit.store;
    const found = await sellers.store(storeId);
    if (found) {
      if (entries.size >= max && !entries.has(storeId)) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(storeId, { store: found, until: now() + ttl });
    }
    return found;
  };
  // Every other method is the repository's own (bound, so class instances keep working).
  const cached: Record<string, unknown> = { store };
  for (const name of methodNames(sellers)) {
    const method = (sellers as unknown as Record<string, unknown>)[name];
    if (name !== 'store' && typeof method === 'function') cached[name] = method.bind(sellers);
  }
  return cached as unknown as SellerRepository;
}

/** The same storage with {@link cacheApps} in front of its app repository and {@link cacheStores} in front of store lookups. */
export function withAppCache(storage: Storage, options?: AppCacheOptions): Storage {
  return {
    ...storage,
    apps: cacheApps(storage.apps, options),
    sellers: cacheStores(storage.sellers),
    // The gateway's per-app settings (sealed secret, permissions, quotas) are read on every signed
    // call: the same cache and invalidation, shared by the router, the console and the CLI code.
    ...(storage.gateway ? { gateway: { ...storage.gateway, apps: cacheApps<GatewayAppRepository, GatewayAppRecord>(storage.gateway.apps, options) } } : {}),
  };
}
