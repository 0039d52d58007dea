/**
 * `grants.store_ids` / `auth_codes.store_ids` (migration 0016): space-separated store ids, like
 * `scope`. Empty or null: the row's one `store_id` (rows written before 0016, one-store codes).
 */
export const splitStoreIds = (ids: string | null | undefined, storeId: number | string): number[] =>
  ids ? ids.split(' ').map(Number) : [Number(storeId)];

/** The column value for a list of store ids. */
export const joinStoreIds = (ids: readonly number[]): string => ids.join(' ');
