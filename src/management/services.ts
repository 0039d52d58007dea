/**
 * What the management API and the CLI do with sellers, grants, apps and the audit log: one
 * implementation for both (docs/adr/0131). Apps are changed through the app module (src/apps/).
 * Lists page with an opaque cursor: `{ items, next_cursor }`, `next_cursor` null on the last page.
 */
import { createSeller } from '../admin.js';
import { APP_STATUSES, loadAppView, type AppView } from '../apps/apps.js';
import { hashPassword } from '../crypto/password.js';
import { randomToken } from '../crypto/tokens.js';
import type { SellerChanges, SellerSummary } from '../storage/management-ports.js';
import { DuplicateError, type AppStatus, type AuditRecord, type GrantRecord, type Storage } from '../storage/ports.js';
import { ManagementError } from './management-error.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const encodeCursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
export function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  if (!check(v)) throw new ManagementError(400, 'invalid_request', 'cursor is not one this list gave out');
  return v;
}

/** A page limit: 1 to 200, default 50. */
export function pageLimit(raw: number | string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_LIMIT;
  const n = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_LIMIT))
    throw new ManagementError(400, 'invalid_request', `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

/** Fetch one more than asked: if it comes, there is a next page, starting after the last item shown. */
export function page<T>(rows: T[], limit: number, cursorOf: (last: T) => unknown): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Apps by status and search (name or AppKey), in AppKey order. */
export async function listApps(
  storage: Storage,
  q: { status?: string; q?: string; limit?: number | string; cursor?: string },
): Promise<Page<AppView>> {
  if (q.status !== undefined && !APP_STATUSES.includes(q.status as AppStatus))
    throw new ManagementError(400, 'invalid_request', `status must be one of ${APP_STATUSES.join(', ')}`);
  const limit = pageLimit(q.limit);
  const after = decodeCursor(q.cursor, isString);
  const rows = await storage.apps.list({
    status: q.status as AppStatus | undefined,
    q: q.q,
    afterAppKey: after,
    limit: limit + 1,
  });
  const p = page(rows, limit, (a) => a.appKey);
  const views = await Promise.all(p.items.map((a) => loadAppView(storage, a.appKey)));
  return { items: views.filter((v): v is AppView => v !== undefined), nextCursor: p.nextCursor };
}

/** One app, or a 404. */
export async function getApp(storage: Storage, appKey: string): Promise<AppView> {
  const app = await loadAppView(storage, appKey);
  if (!app) throw new ManagementError(404, 'not_found', `no app with app_key ${appKey}`);
  return app;
}

/** A seller id from a path or a flag: digits only, else a 404 (no such seller). */
export function parseSellerId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new ManagementError(404, 'not_found', `no seller with seller_id ${raw}`);
  return Number(raw);
}

export async function listSellers(
  storage: Storage,
  q: { q?: string; limit?: number | string; cursor?: string },
): Promise<Page<SellerSummary>> {
  const limit = pageLimit(q.limit);
  const after = decodeCursor(q.cursor, isNumber);
  const rows = await storage.management.sellers({ q: q.q, afterSellerId: after, limit: limit + 1 });
  return page(rows, limit, (s) => s.sellerId);
}

export async function getSeller(storage: Storage, sellerId: number): Promise<SellerSummary> {
  const seller = await storage.management.seller(sellerId);
  if (!seller) throw new ManagementError(404, 'not_found', `no seller with seller_id ${sellerId}`);
  return seller;
}

const checkStoreName = (name: string) => {
  const n = name.trim();
  if (n === '' || n.length > 100)
    throw new ManagementError(400, 'invalid_request', 'a store name must be 1 to 100 characters');
  return n;
};

/**
 * Create a seller with stores (built-in accounts). Without a password the seller cannot sign in
 * until they set one through a reset link.
 */
export async function createSellerAccount(
  storage: Storage,
  input: { username: string; password?: string; stores: string[]; now: number },
): Promise<SellerSummary> {
  const password = input.password ?? randomToken('base64url');
  const stores = input.stores.map(checkStoreName);
  let created;
  try {
    created = await createSeller(storage, { username: input.username, password, stores, now: input.now });
  } catch (e) {
    if (e instanceof DuplicateError) throw new ManagementError(409, 'conflict', e.message);
    if (e instanceof Error && !(e instanceof ManagementError))
      throw new ManagementError(400, 'invalid_request', e.message.replace(/--(\w+)/g, '$1'));
    throw e;
  }
  if (input.password === undefined)
    await storage.sellers.setPasswordHash(created.sellerId, await hashPassword(randomToken('base64url')));
  return getSeller(storage, created.sellerId);
}

/**
 * Change a seller: `disabled` (a disabled seller cannot sign in and is signed out at once; their
 * grants stay until revoked) and `stores`: the seller's full list, where a listed `store_id` keeps
 * (or renames) that store and an entry without one adds a store. Stores are never removed: grants
 * name them.
 */
export async function updateSeller(
  storage: Storage,
  sellerId: number,
  input: { disabled?: boolean; stores?: Array<{ store_id?: string; name: string }> },
  actor: string,
  now: number,
): Promise<SellerSummary> {
  const seller = await getSeller(storage, sellerId);
  const changes: SellerChanges = {};
  if (input.disabled !== undefined && input.disabled !== (seller.disabledAt !== null))
    changes.disabledAt = input.disabled ? now : null;
  if (input.stores !== undefined) {
    const current = new Map(seller.stores.map((s) => [String(s.storeId), s]));
    const listed = new Set<string>();
    changes.addStores = [];
    changes.renameStores = [];
    for (const s of input.stores) {
      const name = checkStoreName(s.name);
      if (s.store_id === undefined) {
        changes.addStores.push(name);
        continue;
      }
      const existing = current.get(s.store_id);
      if (!existing)
        throw new ManagementError(400, 'invalid_request', `store ${s.store_id} is not one of this seller's stores`);
      if (listed.has(s.store_id))
        throw new ManagementError(400, 'invalid_request', `store ${s.store_id} is listed twice`);
      listed.add(s.store_id);
      if (existing.name !== name) changes.renameStores.push({ storeId: existing.storeId, name });
    }
    const missing = [...current.keys()].filter((id) => !listed.has(id));
    if (missing.length > 0)
      throw new ManagementError(
        400,
        'invalid_request',
        `stores cannot be removed (grants name them): list store ${missing.join(', ')} too`,
      );
  }
  const detail: Record<string, unknown> = {};
  if (changes.disabledAt !== undefined) detail.disabled = changes.disabledAt !== null;
  if (changes.addStores?.length) detail.added_stores = changes.addStores;
  if (changes.renameStores?.length)
    detail.renamed_stores = changes.renameStores.map((r) => ({ store_id: String(r.storeId), name: r.name }));
  if (Object.keys(detail).length > 0) {
    await storage.management.updateSeller(sellerId, changes, {
      at: now,
      event: 'seller.updated',
      actor,
      appKey: null,
      sellerId,
      subject: String(sellerId),
      detail,
    });
  }
  return getSeller(storage, sellerId);
}

export async function listGrants(
  storage: Storage,
  q: { app_key?: string; seller_id?: string; status?: string; limit?: number | string; cursor?: string },
): Promise<Page<GrantRecord>> {
  const limit = pageLimit(q.limit);
  if (q.status !== undefined && q.status !== 'live' && q.status !== 'revoked')
    throw new ManagementError(400, 'invalid_request', 'status must be live or revoked');
  let sellerId: number | undefined;
  if (q.seller_id !== undefined) {
    if (!/^\d{1,15}$/.test(q.seller_id))
      throw new ManagementError(400, 'invalid_request', 'seller_id must be a seller id (digits)');
    sellerId = Number(q.seller_id);
  }
  const before = decodeCursor(
    q.cursor,
    (v): v is [number, string] => Array.isArray(v) && v.length === 2 && isNumber(v[0]) && isString(v[1]),
  );
  const rows = await storage.management.grants({
    appKey: q.app_key,
    sellerId,
    status: q.status as 'live' | 'revoked' | undefined,
    before: before && { createdAt: before[0], grantId: before[1] },
    limit: limit + 1,
  });
  return page(rows, limit, (g) => [g.createdAt, g.grantId]);
}

/**
 * Revoke a grant: its access and refresh tokens are inactive at once (they are checked against
 * their grant), and the app's webhook dispatcher sends `authorization.revoked` (docs/adr/0031).
 * Revoking a revoked grant changes nothing and answers the grant as it is.
 */
export async function revokeGrant(storage: Storage, grantId: string, actor: string, now: number): Promise<GrantRecord> {
  const grant = await storage.grants.find(grantId);
  if (!grant) throw new ManagementError(404, 'not_found', `no grant with grant_id ${grantId}`);
  if (grant.revokedAt !== null) return grant;
  await storage.grants.revoke(grantId, now, 'revoked_by_operator', actor);
  return (await storage.grants.find(grantId)) ?? grant;
}

/** `since`: an RFC 3339 time (`2026-12-01T00:00:00Z`) or epoch milliseconds. */
export function parseSince(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ms = /^\d+$/.test(raw)
    ? Number(raw)
    : /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(raw)
      ? Date.parse(raw)
      : NaN;
  if (!Number.isFinite(ms))
    throw new ManagementError(
      400,
      'invalid_request',
      'since must be an RFC 3339 time such as 2026-12-01T00:00:00Z, or epoch milliseconds',
    );
  return ms;
}

export async function listAudit(
  storage: Storage,
  q: { action?: string; actor?: string; since?: string; limit?: number | string; cursor?: string },
): Promise<Page<AuditRecord>> {
  const limit = pageLimit(q.limit);
  const beforeId = decodeCursor(q.cursor, isNumber);
  const rows = await storage.management.audit({
    action: q.action || undefined,
    actor: q.actor || undefined,
    since: parseSince(q.since),
    beforeId,
    limit: limit + 1,
  });
  return page(rows, limit, (e) => e.id);
}
