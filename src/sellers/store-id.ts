import type { CoreContext } from '../core/context.js';
import type { Profile, TokenResponseValues } from '../profiles/profile.js';
import type { Storage, StoreRecord } from '../storage/ports.js';

/**
 * The `store_id` an ISV sees (docs/adr/0125): for a store from the platform's account system, the
 * platform's own id, as a string, so it lines up with the platform's other systems; for a built-in
 * store, Shouquan's number, as before. Inside Shouquan stores are always named by the number.
 */
export function publicStoreId(store: Pick<StoreRecord, 'storeId' | 'externalId'>): number | string {
  return store.externalId ?? store.storeId;
}

/** {@link publicStoreId} for a store known by Shouquan's number (a cached read: src/storage/app-cache.ts). */
export async function publicStoreIdOf(storage: Storage, storeId: number): Promise<number | string> {
  const store = await storage.sellers.store(storeId);
  return store ? publicStoreId(store) : storeId;
}

const rendersStoreId = new WeakMap<Profile, boolean>();

/**
 * Put the public store id into token response values, when the profile's token responses show
 * `store_id` at all (a profile file may map it; no shipped profile does, so no read is spent then).
 */
export async function withPublicStoreId(ctx: CoreContext, values: TokenResponseValues, storeId: number): Promise<void> {
  let shows = rendersStoreId.get(ctx.profile);
  if (shows === undefined) {
    const r = ctx.profile.responses;
    shows = [...r.code, ...r.refresh].some((f) => 'from' in f && f.from === 'store_id');
    rendersStoreId.set(ctx.profile, shows);
  }
  if (shows) values.store_id = await publicStoreIdOf(ctx.storage, storeId);
}
