import type { GrantRecord } from '../ports.js';
import { splitStoreIds } from './store-ids.js';

/** A space-separated scope column as a list (`''` is none). */
export const splitScope = (s: string): string[] => (s === '' ? [] : s.split(' '));

/** The columns of a `grants` row that make a {@link GrantRecord} (from a plain select or a join). */
export interface GrantRow {
  grant_id: string;
  app_key: string;
  seller_id: number | string;
  store_id: number | string;
  store_ids?: string | null;
  scope: string;
  created_at: number | string;
  revoked_at: number | string | null;
  revoked_reason: string | null;
}

/** A `grants` row as the ports' {@link GrantRecord}: the one mapping every Kysely repository uses. */
export function toGrant(r: GrantRow): GrantRecord {
  return {
    grantId: r.grant_id,
    appKey: r.app_key,
    sellerId: Number(r.seller_id),
    storeId: Number(r.store_id),
    storeIds: splitStoreIds(r.store_ids, r.store_id),
    scope: splitScope(r.scope),
    createdAt: Number(r.created_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    revokedReason: r.revoked_reason,
  };
}
