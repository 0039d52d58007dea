import type { Kysely, Transaction } from 'kysely';
import type { AuditEvent, AuditRepository, MaintenanceRepository, PoolStats, Purgeable } from '../ports.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Append one audit entry, inside the caller's transaction when given one. */
export async function appendAudit(db: Db, e: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: e.at,
      event: e.event,
      actor: e.actor,
      app_key: e.appKey,
      seller_id: e.sellerId,
      subject: e.subject,
      detail: e.detail === null ? null : JSON.stringify(e.detail),
    })
    .execute();
}

/** A shortened token hash for audit subjects: enough to correlate, useless as a credential. */
export const hashRef = (hash: string) => `sha256:${hash.slice(0, 16)}`;

/** The audit log repository (read side for operators and tests). */
export function createAuditRepository(db: Kysely<Database>): AuditRepository {
  return {
    append: (e) => appendAudit(db, e),
    async list(opts = {}) {
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('id', '>', opts.afterId ?? 0)
        .orderBy('id')
        .limit(opts.limit ?? 1000)
        .execute();
      return rows.map((r) => ({
        id: Number(r.id),
        at: Number(r.at),
        event: r.event,
        actor: r.actor,
        appKey: r.app_key,
        sellerId: r.seller_id === null ? null : Number(r.seller_id),
        subject: r.subject,
        detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
      }));
    },
  };
}

/**
 * Batch purges for the janitor: `delete … where key in (select key … limit n)` works the same
 * on SQLite and PostgreSQL and keeps every statement short (no long locks, no huge WAL record).
 */
export function createMaintenanceRepository(db: Kysely<Database>): MaintenanceRepository {
  return {
    async purgeExpired(kind: Purgeable, cutoff: number, batchSize: number): Promise<number> {
      let res;
      switch (kind) {
        case 'interactions':
          res = await db
            .deleteFrom('interactions')
            .where('id', 'in', (eb) => eb.selectFrom('interactions').select('id').where('expires_at', '<', cutoff).limit(batchSize))
            .executeTakeFirst();
          break;
        case 'sessions':
          res = await db
            .deleteFrom('seller_sessions')
            .where('id_hash', 'in', (eb) => eb.selectFrom('seller_sessions').select('id_hash').where('expires_at', '<', cutoff).limit(batchSize))
            .executeTakeFirst();
          break;
        case 'codes':
          res = await db
            .deleteFrom('auth_codes')
            .where('code_hash', 'in', (eb) => eb.selectFrom('auth_codes').select('code_hash').where('expires_at', '<', cutoff).limit(batchSize))
            .executeTakeFirst();
          break;
        case 'tokens':
          res = await db
            .deleteFrom('tokens')
            .where('token_hash', 'in', (eb) => eb.selectFrom('tokens').select('token_hash').where('expires_at', '<', cutoff).limit(batchSize))
            .executeTakeFirst();
          break;
        case 'grants':
          res = await db
            .deleteFrom('grants')
            .where('grant_id', 'in', (eb) =>
              eb
                .selectFrom('grants as g')
                .select('g.grant_id')
                .where('g.revoked_at', 'is not', null)
                .where('g.revoked_at', '<', cutoff)
                .where(({ not, exists, selectFrom }) => not(exists(selectFrom('tokens as t').select('t.token_hash').whereRef('t.grant_id', '=', 'g.grant_id'))))
                .limit(batchSize),
            )
            .executeTakeFirst();
          break;
      }
      return Number(res?.numDeletedRows ?? 0);
    },
  };
}

/** Pool use of a node-postgres pool. */
export function poolStatsOf(pool: { totalCount: number; idleCount: number; waitingCount: number; options: { max?: number } } | undefined): (() => PoolStats | undefined) | undefined {
  if (!pool) return undefined;
  return () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 });
}
