import type { AppRecord, AppRepository, Storage } from './ports.js';

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
export function cacheApps(apps: AppRepository, options: AppCacheOptions = {}): AppRepository & { invalidate(appKey?: string): void } {
  const ttl = options.ttlMs ?? DEFAULT_APP_CACHE_TTL_MS;
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  // Unknown apps are remembered too (as undefined): otherwise an unknown client_id would be
  // answered after a database read and a known one from memory, and the time would tell which
  // AppKeys exist (docs/security.md, client authentication timing).
  const entries = new Map<string, { app: AppRecord | undefined; until: number }>();
  // Reads that started before an invalidation must not put the stale record back.
  let generation = 0;

  const invalidate = (appKey?: string) => {
    generation++;
    if (appKey === undefined) entries.clear();
    else entries.delete(appKey);
  };

  const find: AppRepository['find'] = async (appKey) => {
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
  for (const name of methodNames(apps) as Array<keyof AppRepository>) {
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
  return cached as unknown as AppRepository & { invalidate(appKey?: string): void };
}

/** Own and inherited method names (plain objects and class instances alike). */
function methodNames(obj: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const n of Object.getOwnPropertyNames(o)) if (n !== 'constructor') names.add(n);
  }
  return [...names];
}

/** The same storage with {@link cacheApps} in front of its app repository. */
export function withAppCache(storage: Storage, options?: AppCacheOptions): Storage {
  return { ...storage, apps: cacheApps(storage.apps, options) };
}
