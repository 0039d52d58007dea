import { sql, type Kysely } from 'kysely';
import type { ManagementStorage, OperatorTokenRecord, SellerSummary } from '../management-ports.js';
import { DuplicateError, type AuditRecord, type StoreRecord } from '../ports.js';
import { appendAudit } from './audit.js';
import type { Database } from './schema.js';
import { toGrant } from './grant-row.js';

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
/** Escape LIKE wildcards so that a search for `a_b` finds "a_b" only. */
const likePattern = (q: string) => `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function toToken(r: Database['operator_tokens'] & { token_id: number }): OperatorTokenRecord {
  return {
    tokenId: Number(r.token_id),
    name: r.name,
    readOnly: Number(r.read_only) === 1,
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
    lastUsedAt: num(r.last_used_at),
    revokedAt: num(r.revoked_at),
  };
}

/** The Kysely implementation of the management ports (SQLite and PostgreSQL). */
export function createKyselyManagementStorage(db: Kysely<Database>): ManagementStorage {
  const withStores = async (
    rows: Array<{ seller_id: number; username: string; created_at: number; disabled_at?: number | null }>,
  ): Promise<SellerSummary[]> => {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => Number(r.seller_id));
    const stores = await db
      .selectFrom('stores')
      .selectAll()
      .where('seller_id', 'in', ids)
      .orderBy('store_id')
      .execute();
    const bySeller = new Map<number, StoreRecord[]>();
    for (const s of stores) {
      const list = bySeller.get(Number(s.seller_id)) ?? [];
      list.push({ storeId: Number(s.store_id), sellerId: Number(s.seller_id), name: s.name });
      bySeller.set(Number(s.seller_id), list);
    }
    return rows.map((r) => ({
      sellerId: Number(r.seller_id),
      username: r.username,
      createdAt: Number(r.created_at),
      disabledAt: num(r.disabled_at),
      stores: bySeller.get(Number(r.seller_id)) ?? [],
    }));
  };

  return {
    async createOperatorToken(input) {
      try {
        return await db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('operator_tokens')
            .values({
              name: input.name,
              token_hash: input.tokenHash,
              read_only: input.readOnly ? 1 : 0,
              created_at: input.createdAt,
              created_by: input.createdBy,
              last_used_at: null,
              revoked_at: null,
            })
            .returning(['token_id'])
            .executeTakeFirstOrThrow();
          const tokenId = Number(row.token_id);
          await appendAudit(trx, {
            at: input.createdAt,
            event: 'operator_token.created',
            actor: input.createdBy,
            appKey: null,
            sellerId: null,
            subject: String(tokenId),
            detail: { name: input.name, read_only: input.readOnly },
          });
          return {
            tokenId,
            name: input.name,
            readOnly: input.readOnly,
            createdAt: input.createdAt,
            createdBy: input.createdBy,
            lastUsedAt: null,
            revokedAt: null,
          };
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new DuplicateError('a token with this value exists already');
        throw err;
      }
    },
    async findOperatorToken(tokenHash) {
      const r = await db
        .selectFrom('operator_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return r && toToken(r as Database['operator_tokens'] & { token_id: number });
    },
    async listOperatorTokens() {
      const rows = await db.selectFrom('operator_tokens').selectAll().orderBy('token_id', 'desc').execute();
      return rows.map((r) => toToken(r as Database['operator_tokens'] & { token_id: number }));
    },
    async revokeOperatorToken(tokenId, now, actor) {
      return db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('operator_tokens')
          .set({ revoked_at: now })
          .where('token_id', '=', tokenId)
          .where('revoked_at', 'is', null)
          .returning(['name'])
          .executeTakeFirst();
        if (!r) return false;
        await appendAudit(trx, {
          at: now,
          event: 'operator_token.revoked',
          actor,
          appKey: null,
          sellerId: null,
          subject: String(tokenId),
          detail: { name: r.name },
        });
        return true;
      });
    },
    async recordOperatorTokenUse(tokenId, event) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('operator_tokens')
          .set({ last_used_at: event.at })
          .where('token_id', '=', tokenId)
          .execute();
        await appendAudit(trx, event);
      });
    },

    async sellers(query) {
      let q = db.selectFrom('sellers').select(['seller_id', 'username', 'created_at', 'disabled_at']);
      if (query.q !== undefined && query.q !== '') {
        const pattern = likePattern(query.q);
        q = q.where((eb) => sql<boolean>`lower(${eb.ref('username')}) like ${pattern} escape '\\'`);
      }
      if (query.afterSellerId !== undefined) q = q.where('seller_id', '>', query.afterSellerId);
      return withStores(await q.orderBy('seller_id').limit(query.limit).execute());
    },
    async seller(sellerId) {
      const r = await db
        .selectFrom('sellers')
        .select(['seller_id', 'username', 'created_at', 'disabled_at'])
        .where('seller_id', '=', sellerId)
        .executeTakeFirst();
      return r ? (await withStores([r]))[0] : undefined;
    },
    async updateSeller(sellerId, changes, audit) {
      return db.transaction().execute(async (trx) => {
        const exists = await trx
          .selectFrom('sellers')
          .select('seller_id')
          .where('seller_id', '=', sellerId)
          .executeTakeFirst();
        if (!exists) return false;
        if (changes.disabledAt !== undefined) {
          await trx
            .updateTable('sellers')
            .set({ disabled_at: changes.disabledAt })
            .where('seller_id', '=', sellerId)
            .execute();
          // A disabled seller is signed out everywhere at once.
          if (changes.disabledAt !== null)
            await trx.deleteFrom('seller_sessions').where('seller_id', '=', sellerId).execute();
        }
        for (const r of changes.renameStores ?? []) {
          await trx
            .updateTable('stores')
            .set({ name: r.name })
            .where('store_id', '=', r.storeId)
            .where('seller_id', '=', sellerId)
            .execute();
        }
        const added = changes.addStores ?? [];
        if (added.length > 0) {
          await trx
            .insertInto('stores')
            .values(added.map((name) => ({ seller_id: sellerId, name, created_at: audit.at })))
            .execute();
        }
        await appendAudit(trx, audit);
        return true;
      });
    },

    async grants(query) {
      let q = db.selectFrom('grants').selectAll();
      if (query.appKey !== undefined) q = q.where('app_key', '=', query.appKey);
      if (query.sellerId !== undefined) q = q.where('seller_id', '=', query.sellerId);
      if (query.status === 'live') q = q.where('revoked_at', 'is', null);
      if (query.status === 'revoked') q = q.where('revoked_at', 'is not', null);
      const before = query.before;
      if (before !== undefined) {
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '<', before.createdAt),
            eb.and([eb('created_at', '=', before.createdAt), eb('grant_id', '<', before.grantId)]),
          ]),
        );
      }
      const rows = await q.orderBy('created_at', 'desc').orderBy('grant_id', 'desc').limit(query.limit).execute();
      return rows.map(toGrant);
    },
    async audit(query) {
      let q = db.selectFrom('audit_log').selectAll();
      if (query.action !== undefined) {
        if (query.action.endsWith('.*')) {
          const prefix = query.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
          q = q.where((eb) => sql<boolean>`${eb.ref('event')} like ${`${prefix}%`} escape '\\'`);
        } else q = q.where('event', '=', query.action);
      }
      if (query.actor !== undefined) q = q.where('actor', '=', query.actor);
      if (query.since !== undefined) q = q.where('at', '>=', query.since);
      if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
      const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map((r): AuditRecord => ({
        id: Number(r.id),
        at: Number(r.at),
        event: r.event,
        actor: r.actor,
        appKey: r.app_key,
        sellerId: num(r.seller_id),
        subject: r.subject,
        detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
      }));
    },
  };
}
