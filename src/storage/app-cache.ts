import type { AppRecord, SellerRepository, Storage, StoreRecord } from './ports.js';
import type { GatewayAppRecord, GatewayAppRepository } from './gateway-ports.js';

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

/** Which methods of a repository the cache serves from memory and which it passes through. */
export interface CachedMethods {
  /** Reads by AppKey (first argument) served from memory; default `['find']`. */
  reads?: string[];
  /** Reads that are not cached and change nothing (lists). */
  passThrough?: string[];
  /** Called whenever this cache drops entries (so that a linked cache drops them too). */
  onInvalidate?: (appKey?: string) => void;
}

/** What the app cache adds to a repository. */
export interface AppCacheControls<V> {
  invalidate(appKey?: string): void;
  /** `find` from memory only: `hit` false when the entry is absent or stale (nothing is read). */
  peek(appKey: string): { hit: true; value: V | undefined } | { hit: false };
  /** `find` from the database, always (one read), refreshing the entry. */
  refresh(appKey: string): Promise<V | undefined>;
}

/**
 * An in-process cache of app records in front of `storage.apps` (docs/adr/0051-app-record-cache.md).
 * Every token, introspection and revocation request authenticates the client, so this removes one
 * database read per request. Changes made through this process (every method that is not a read:
 * `create`, `update`, `replaceSecret`, …) invalidate the cache at once; changes made by another
 * process (the CLI, another worker or node) are seen within `ttlMs`.
 * Unknown AppKeys are cached too, for the same time, so that unknown and known clients take the
 * same path; an app registered by another process is therefore usable there within `ttlMs`.
 * Lookups that miss while a read of the same app runs share it (one read per expiry, not one per
 * request in flight); `refresh` always reads.
 */
export function cacheApps<R extends { find(appKey: string): Promise<V | undefined> }, V = AppRecord>(
  apps: R,
  options: AppCacheOptions & CachedMethods = {},
): R & AppCacheControls<V> {
  const ttl = options.ttlMs ?? DEFAULT_APP_CACHE_TTL_MS;
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const reads = options.reads ?? ['find'];
  const passThrough = new Set(options.passThrough ?? []);
  // Unknown apps are remembered too (as undefined): otherwise an unknown client_id would be
  // answered after a database read and a known one from memory, and the time would tell which
  // AppKeys exist (docs/security.md, client authentication timing). One map per cached read.
  const maps = new Map(reads.map((name) => [name, new Map<string, { value: unknown; until: number }>()]));
  // Reads that started before an invalidation must not put the stale record back.
  let generation = 0;

  // Reads under way, by read and AppKey: the lookups that miss while one runs wait for it instead of
  // each reading the app again (an entry expiring under load otherwise cost one read per request in
  // flight). Only a read of the current generation is shared.
  const inFlight = new Map(
    reads.map((name) => [name, new Map<string, { generation: number; read: Promise<unknown> }>()]),
  );

  const invalidate = (appKey?: string) => {
    generation++;
    for (const entries of maps.values()) {
      if (appKey === undefined) entries.clear();
      else entries.delete(appKey);
    }
    options.onInvalidate?.(appKey);
  };

  const cached: Record<string, unknown> = { invalidate };
  for (const [name, entries] of maps) {
    const read = (apps as unknown as Record<string, (appKey: string) => Promise<unknown>>)[name];
    if (typeof read !== 'function') continue;
    const fromDatabase = async (appKey: string): Promise<unknown> => {
      const started = generation;
      const value = await read.call(apps, appKey);
      if (started === generation) {
        if (entries.size >= max && !entries.has(appKey)) {
          const oldest = entries.keys().next().value;
          if (oldest !== undefined) entries.delete(oldest);
        }
        entries.set(appKey, { value, until: now() + ttl });
      }
      return value;
    };
    const running = inFlight.get(name)!;
    cached[name] = async (appKey: string): Promise<unknown> => {
      const hit = entries.get(appKey);
      if (hit && hit.until > now()) return hit.value;
      const shared = running.get(appKey);
      if (shared && shared.generation === generation) return shared.read;
      const read = fromDatabase(appKey);
      const mine = { generation, read };
      running.set(appKey, mine);
      try {
        return await read;
      } finally {
        if (running.get(appKey) === mine) running.delete(appKey);
      }
    };
    if (name === 'find') {
      // Client authentication (src/core/client-auth.ts): memory only, and a read that always goes to the database.
      cached.peek = (appKey: string) => {
        const hit = entries.get(appKey);
        return hit && hit.until > now() ? { hit: true, value: hit.value } : { hit: false };
      };
      cached.refresh = fromDatabase;
    }
  }

  // Every other method (create, update, replaceSecret, and any added later) may change an app:
  // it drops the whole cache before and after it runs.
  for (const name of methodNames(apps) as Array<keyof R & string>) {
    const method = apps[name];
    if (maps.has(name) || name === 'invalidate' || typeof method !== 'function') continue;
    if (passThrough.has(name)) {
      cached[name] = (method as (...a: unknown[]) => unknown).bind(apps);
      continue;
    }
    cached[name] = async (...args: unknown[]) => {
      invalidate();
      try {
        return await (method as (...a: unknown[]) => Promise<unknown>).apply(apps, args);
      } finally {
        invalidate();
      }
    };
  }
  return cached as unknown as R & AppCacheControls<V>;
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

/**
 * The same storage with {@link cacheApps} in front of its app repository and the gateway's per-app
 * settings, and {@link cacheStores} in front of store lookups. The two app caches are linked: a
 * write through either drops the app from both, so the app module (src/apps/, docs/adr/0130) never
 * has to reach for a cache.
 */
export function withAppCache(storage: Storage, options?: AppCacheOptions): Storage {
  let gatewayApps: { invalidate(appKey?: string): void } | undefined;
  let dropping = false;
  // Each cache drops the other's entries when it drops its own (guarded against ping-pong).
  const link = (other: () => { invalidate(appKey?: string): void } | undefined) => (appKey?: string) => {
    if (dropping) return;
    dropping = true;
    try {
      other()?.invalidate(appKey);
    } finally {
      dropping = false;
    }
  };
  const apps = cacheApps(storage.apps, { ...options, passThrough: ['list'], onInvalidate: link(() => gatewayApps) });
  const gateway = storage.gateway
    ? {
        ...storage.gateway,
        // Read on every signed call (sealed secret, permissions, quotas): the same cache and bound.
        apps: cacheApps<GatewayAppRepository, GatewayAppRecord>(storage.gateway.apps, {
          ...options,
          reads: ['find', 'findForCall'],
          onInvalidate: link(() => apps),
        }),
      }
    : undefined;
  gatewayApps = gateway?.apps;
  return { ...storage, apps, sellers: cacheStores(storage.sellers), ...(gateway ? { gateway } : {}) };
}
