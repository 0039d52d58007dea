import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { AuditEvent, AuditRepository, MaintenanceRepository, PoolStats, Purgeable } from '../ports.js';
import type { Database } from './schema.js';
import { precompileInsert, type PrecompiledInsert } from './compiled-query.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Append one audit entry, inside the caller's transaction when given one. */
export async function appendAudit(db: Db, e: AuditEvent): Promise<void> {
  await auditInsert(db)([auditRow(e)], db as Kysely<any>);
}

/** The audit_log row of an event. */
export function auditRow(e: AuditEvent): Record<string, unknown> {
  return {
    at: e.at,
    event: e.event,
    actor: e.actor,
    app_key: e.appKey,
    seller_id: e.sellerId,
    subject: e.subject,
    detail: e.detail === null ? null : JSON.stringify(e.detail),
  };
}

/** The audit INSERT, compiled once per dialect (the adapter is shared by a database and its transactions). */
export function auditInsert(db: Db): PrecompiledInsert<Record<string, unknown>> {
  const adapter = db.getExecutor().adapter;
  let insert = auditInserts.get(adapter);
  if (!insert) {
    insert = precompileInsert(db as Kysely<any>, 'audit_log', AUDIT_COLUMNS, 2);
    auditInserts.set(adapter, insert);
  }
  return insert;
}

/** The columns an audit entry writes (audit_log's id is generated). */
export const AUDIT_COLUMNS = ['at', 'event', 'actor', 'app_key', 'seller_id', 'subject', 'detail'] as const;
const auditInserts = new WeakMap<object, PrecompiledInsert<Record<string, unknown>>>();

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
      if (kind === 'grants') {
        res = await db
          .deleteFrom('grants')
          .where('grant_id', 'in', (eb) =>
            eb
              .selectFrom('grants as g')
              .select('g.grant_id')
              .where('g.revoked_at', 'is not', null)
              .where('g.revoked_at', '<', cutoff)
              .where(({ not, exists, selectFrom }) =>
                not(exists(selectFrom('tokens as t').select('t.token_hash').whereRef('t.grant_id', '=', 'g.grant_id'))),
              )
              .limit(batchSize),
          )
          .executeTakeFirst();
      } else if (kind === 'deliveries') {
        // Webhook pushes delivered before the cutoff (the partial index gateway_outbox_delivered_idx, migration 0027).
        // A grant's event row is also what stops the dispatcher enqueueing that event again (pendingGrantEvents:
        // revoked grants without a row), so it goes only once the grant itself was purged; message pushes (`msg:`)
        // and subscription events (`<subscription>@<expiry>`, guarded by the subscription row itself) have no grant
        // row and are never enqueued again.
        res = await db
          .deleteFrom('gateway_webhook_outbox')
          .where('id', 'in', (eb) =>
            eb
              .selectFrom('gateway_webhook_outbox as o')
              .select('o.id')
              .where('o.delivered_at', 'is not', null)
              .where('o.delivered_at', '<', cutoff)
              .where(({ not, exists, selectFrom }) =>
                not(exists(selectFrom('grants as g').select('g.grant_id').whereRef('g.grant_id', '=', 'o.grant_id'))),
              )
              .limit(batchSize),
          )
          .executeTakeFirst();
      } else if (kind === 'successors') {
        // Not a row but a sealed value on a rotated refresh token: cleared once its window ended
        // (docs/adr/0100). The partial index `tokens_grace_until_idx` holds only such rows.
        res = await db
          .updateTable('tokens')
          .set({ successor: null, grace_until: null })
          .where('token_hash', 'in', (eb) =>
            eb
              .selectFrom('tokens as t')
              .select('t.token_hash')
              .where('t.grace_until', 'is not', null)
              .where('t.grace_until', '<', cutoff)
              .limit(batchSize),
          )
          .executeTakeFirst();
        return Number((res as { numUpdatedRows?: bigint }).numUpdatedRows ?? 0);
      } else {
        // One batch of the oldest rows past `cutoff`, by the table's key (docs/adr/0043).
        const [table, key, time] = PURGE_BY_TIME[kind];
        const any = db as unknown as Kysely<any>;
        res = await any
          .deleteFrom(table)
          .where(key, 'in', (eb: ExpressionBuilder<any, any>) =>
            eb.selectFrom(table).select(key).where(time, '<', cutoff).limit(batchSize),
          )
          .executeTakeFirst();
      }
      return Number(res?.numDeletedRows ?? 0);
    },
  };
}

/** Rows that expire by a time column: table, key, time column (call records by age, not expiry). */
const PURGE_BY_TIME: Record<
  Exclude<Purgeable, 'grants' | 'successors' | 'deliveries'>,
  readonly [table: string, key: string, time: string]
> = {
  interactions: ['interactions', 'id', 'expires_at'],
  sessions: ['seller_sessions', 'id_hash', 'expires_at'],
  codes: ['auth_codes', 'code_hash', 'expires_at'],
  tokens: ['tokens', 'token_hash', 'expires_at'],
  webSessions: ['web_sessions', 'id_hash', 'expires_at'],
  calls: ['gateway_calls', 'id', 'at'],
  limits: ['shared_limits', 'name', 'expires_at'],
};

/** Pool use of a node-postgres pool. */
export function poolStatsOf(
  pool: { totalCount: number; idleCount: number; waitingCount: number; options: { max?: number } } | undefined,
): (() => PoolStats | undefined) | undefined {
  if (!pool) return undefined;
  return () => ({
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    max: pool.options.max ?? 10,
  });
}
