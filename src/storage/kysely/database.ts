import type { CommitStats } from '../ports.js';
import { tracing } from '../../tracing/tracing.js';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, sql, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { initialMigration } from './migrations/0001-initial.migration.js';
import { gatewayMigration } from './migrations/0002-gateway.migration.js';
import { securityMigration } from './migrations/0003-security.migration.js';
import { consoleMigration } from './migrations/0004-console.migration.js';
import { gatewayCallsMigration } from './migrations/0005-gateway-calls.migration.js';
import { refreshGraceMigration } from './migrations/0010-refresh-grace.migration.js';
import { sharedLimitsMigration } from './migrations/0012-shared-limits.migration.js';
import { sellerAccountsMigration } from './migrations/0014-seller-accounts.migration.js';
import { managementApiMigration } from './migrations/0015-management-api.migration.js';
import { keysMigration } from './migrations/0013-keys.migration.js';
import { grantStoresScopesMigration } from './migrations/0016-grant-stores-scopes.migration.js';
import { subscriptionsMigration } from './migrations/0017-subscriptions.migration.js';
import { tokenCodeMigration } from './migrations/0019-token-code.migration.js';
import { receiverQuotaMigration } from './migrations/0019-receiver-quota.migration.js';
import { messagesMigration } from './migrations/0018-messages.migration.js';
import { adminReviewMigration } from './migrations/0021-admin-review.migration.js';
import { sellerIdpSessionsMigration } from './migrations/0024-seller-idp-sessions.migration.js';
import { sharedLimitsBigintMigration } from './migrations/0026-shared-limits-bigint.migration.js';
import { outboxDeliveredIndexMigration } from './migrations/0027-outbox-delivered-index.migration.js';
import { outboxStoreLanesMigration } from './migrations/0028-outbox-store-lanes.migration.js';
import { messageQueueStoreMigration } from './migrations/0022-message-queue-store.migration.js';
import { authorizationTopicsMigration } from './migrations/0023-authorization-topics.migration.js';
import {
  SqliteGroupCommitDialect,
  type SqliteDirect,
  type SqliteGroupCommitDriver,
} from './sqlite-group-commit-driver.js';

export type DialectName = 'sqlite' | 'postgres';

export interface ParsedDatabaseUrl {
  dialect: DialectName;
  /** File path for SQLite (`:memory:` allowed), connection string for PostgreSQL. */
  target: string;
}

/**
 * Parse `sqlite:PATH` (also `sqlite://PATH`, `sqlite::memory:`) or `postgres://…` / `postgresql://…`.
 * Throws with a message naming the problem.
 */
/** A database URL that is not `sqlite:PATH` or a valid `postgres://…` URL: a usage error (exit 2). */
export class InvalidDatabaseUrlError extends Error {}

export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '')
      throw new InvalidDatabaseUrlError(`database URL "${url}" has no file path (try sqlite:./data/shouquan.db)`);
    return { dialect: 'sqlite', target: path };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    try {
      new URL(url);
    } catch {
      throw new InvalidDatabaseUrlError(`database URL "${url}" is not a valid PostgreSQL URL`);
    }
    return { dialect: 'postgres', target: url };
  }
  throw new InvalidDatabaseUrlError(`database URL "${url}" must start with sqlite: or postgres://`);
}

/** pg returns int8 as strings by default; our bigints are epoch ms and ids, safe as numbers. */
const pgTypes = new pg.TypeOverrides();
pgTypes.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

export interface OpenDatabaseOptions {
  /** Create the SQLite file's folder if missing (serve does; CLI commands on a missing file do not). */
  createIfMissing?: boolean;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

/**
 * How much of a SQLite database file is read through mmap (docs/adr/0055). SQLite caps it at its
 * compile-time maximum (2 GiB here); pages mapped count as the kernel's file cache, not heap.
 */
export const SQLITE_MMAP_BYTES = 2 ** 31;

/**
 * Empty `sqlite_stat4` if an `ANALYZE` (or `PRAGMA optimize`) left rows in it (docs/adr/0057).
 * better-sqlite3's SQLite is built with STAT4: once that table has rows, a statement whose plan
 * could depend on a bound value is planned again on every call with a new value — the token
 * lookup (a two-table join) then cost 18 µs instead of 5.5 µs, every request. `sqlite_stat1`
 * (per-index row counts, no re-planning) is kept. Statistics only: no data is touched.
 * Returns how many rows were removed.
 */
export function clearPerValueStatistics(sqlite: SQLite.Database): number {
  const exists = sqlite
    .prepare("select count(*) as n from sqlite_master where type = 'table' and name = 'sqlite_stat4'")
    .get() as { n: number };
  if (exists.n === 0) return 0;
  const removed = sqlite.prepare('delete from sqlite_stat4').run().changes;
  // Reload the planner's statistics on this connection without the removed rows.
  if (removed > 0) sqlite.exec('analyze sqlite_schema');
  return removed;
}

/** Open a Kysely instance for a database URL. SQLite runs in WAL mode with synchronous=NORMAL. */
export function openDatabase(
  url: string,
  options: OpenDatabaseOptions = {},
): {
  db: Kysely<Database>;
  dialect: DialectName;
  pool?: pg.Pool;
  commitStats?: () => CommitStats | undefined;
  direct?: SqliteDirect;
} {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'sqlite') {
    const file = parsed.target;
    if (file !== ':memory:' && options.createIfMissing) mkdirSync(dirname(resolve(file)), { recursive: true });
    const sqlite = new SQLite(file, { fileMustExist: file !== ':memory:' && !options.createIfMissing });
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // Reads through a memory map instead of a read() call per page: with a million tokens the
    // B-tree pages of a lookup are rarely in SQLite's own 2 MB page cache, and the system calls
    // cost more than the lookup itself (docs/adr/0055). Writes still go through the WAL.
    if (file !== ':memory:') sqlite.pragma(`mmap_size = ${SQLITE_MMAP_BYTES}`);
    clearPerValueStatistics(sqlite);
    // Cached prepared statements and group commit (docs/adr/0050); Kysely's SqliteDialect otherwise.
    const sqliteDialect = new SqliteGroupCommitDialect(sqlite, {
      checkpointFile: file === ':memory:' ? undefined : file,
    });
    // The same driver instance Kysely uses, for the hot statements run without Kysely (docs/adr/0058).
    const direct = sqliteDialect.createDriver() as SqliteGroupCommitDriver;
    return {
      db: new Kysely<Database>({ dialect: sqliteDialect }),
      dialect: 'sqlite',
      commitStats: () => sqliteDialect.driver?.stats,
      direct,
    };
  }
  const pool = new pg.Pool({
    connectionString: parsed.target,
    max: options.poolSize ?? 10,
    types: pgTypes,
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => {});
  // A checked-out client whose socket dies emits 'error' with no pool listener attached, which
  // would crash the process on a database restart. Its queries still fail (and become 503s),
  // and the pool drops it on release because it is no longer queryable.
  pool.on('connect', (client) => client.on('error', () => {}));
  // Tracing on (docs/adr/0155): each statement a child span of the request's.
  if (tracing.hooks) pool.on('connect', traceClientQueries);
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres', pool };
}

/** Wrap a pg client's promise-style `query(text, values)` (what Kysely calls) in a database span. */
function traceClientQueries(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const hooks = tracing.hooks;
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: unknown } | undefined)?.text;
    if (!hooks || typeof text !== 'string' || typeof args[args.length - 1] === 'function') return query(...args);
    return hooks.dbAsync('postgresql', text, () => query(...args) as Promise<unknown>);
  };
}

class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: DialectName) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '0001_initial': initialMigration(this.dialect),
      '0002_gateway': gatewayMigration(this.dialect),
      '0003_security': securityMigration(this.dialect),
      '0004_console': consoleMigration(this.dialect),
      '0005_gateway_calls': gatewayCallsMigration(this.dialect),
      '0010_refresh_grace': refreshGraceMigration(this.dialect),
      '0012_shared_limits': sharedLimitsMigration(),
      '0014_seller_accounts': sellerAccountsMigration(this.dialect),
      '0015_management_api': managementApiMigration(this.dialect),
      '0013_keys': keysMigration(),
      '0016_grant_stores_scopes': grantStoresScopesMigration(this.dialect),
      '0017_subscriptions': subscriptionsMigration(),
      '0019_token_code': tokenCodeMigration(),
      '0019_receiver_quota': receiverQuotaMigration(),
      '0018_messages': messagesMigration(this.dialect),
      '0021_admin_review': adminReviewMigration(),
      '0024_seller_idp_sessions': sellerIdpSessionsMigration(),
      '0026_shared_limits_bigint': sharedLimitsBigintMigration(this.dialect),
      '0027_outbox_delivered_index': outboxDeliveredIndexMigration(),
      '0028_outbox_store_lanes': outboxStoreLanesMigration(),
      '0022_message_queue_store': messageQueueStoreMigration(),
      '0023_authorization_topics': authorizationTopicsMigration(),
    };
  }
}

/** The names of the migrations recorded in the database; undefined before the first one ran. */
async function appliedMigrations(db: Kysely<Database>, dialect: DialectName): Promise<string[] | undefined> {
  if (dialect === 'postgres') {
    const t = await sql<{ t: string | null }>`select to_regclass('kysely_migration')::text as t`.execute(db);
    if (!t.rows[0]?.t) return undefined;
  } else {
    const t = await sql<{
      n: number;
    }>`select count(*) as n from sqlite_master where type = 'table' and name = 'kysely_migration'`.execute(db);
    if (Number(t.rows[0]?.n ?? 0) === 0) return undefined;
  }
  const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

/** The migrations this version knows, in order. */
export function knownMigrations(dialect: DialectName = 'sqlite'): Promise<string[]> {
  return new CodeMigrationProvider(dialect).getMigrations().then((m) => Object.keys(m).sort());
}

/** Where a database stands against this version's migrations. */
export interface MigrationStatus {
  /** Recorded in the database and known here. */
  applied: string[];
  /** Known here, not yet recorded: `migrate` (or `serve`) applies them. */
  pending: string[];
  /** Recorded in the database but unknown here: a newer version upgraded it. */
  unknown: string[];
}

/** Compare the database's recorded migrations with this version's (`migrate --dry-run`, `doctor`). */
export async function migrationStatus(db: Kysely<Database>, dialect: DialectName): Promise<MigrationStatus> {
  const known = await knownMigrations(dialect);
  const recorded = (await appliedMigrations(db, dialect)) ?? [];
  const done = new Set(recorded);
  return {
    applied: known.filter((n) => done.has(n)),
    pending: known.filter((n) => !done.has(n)),
    unknown: recorded.filter((n) => !known.includes(n)),
  };
}

/** The database was upgraded by a newer Shouquan: this version must not run on it (exit 2). */
export class DatabaseNewerError extends Error {
  constructor(readonly unknown: string[]) {
    super(
      `the database has migrations this version of shouquan does not know (${unknown.join(', ')}): a newer version upgraded it. ` +
        'Run that version (or newer), or restore the backup taken before the upgrade (docs/operations.md#upgrades-and-rollbacks)',
    );
  }
}

/**
 * Apply every pending migration (Kysely's Migrator; safe to run from several processes).
 * An up-to-date database is recognised with one query, so starting a node never scans the
 * catalogue; Kysely's catalogue scan can fail when another schema is dropped at that moment,
 * so it is retried.
 */
export async function migrateToLatest(db: Kysely<Database>, dialect: DialectName): Promise<string[]> {
  const provider = new CodeMigrationProvider(dialect);
  const known = Object.keys(await provider.getMigrations());
  let recorded: string[] | undefined;
  try {
    recorded = await appliedMigrations(db, dialect);
  } catch {
    recorded = undefined; // Kysely's Migrator below reports a database that does not answer
  }
  // A database a newer version upgraded: refuse before touching it (Kysely's Migrator would only
  // notice when something is pending, and then as "corrupted migrations").
  const unknown = (recorded ?? []).filter((n) => !known.includes(n));
  if (unknown.length > 0) throw new DatabaseNewerError(unknown);
  // An up-to-date database is recognised with one query, so starting a node never scans the catalogue.
  if (recorded && known.every((n) => recorded.includes(n))) return [];
  // On PostgreSQL, pin Kysely's bookkeeping tables to the current schema: its existence check
  // otherwise sees another schema's kysely_migration_lock and never creates this one.
  let migrationTableSchema: string | undefined;
  if (dialect === 'postgres') {
    const r = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    const schema = r.rows[0]?.schema;
    // Only when it is not the default: Kysely then also runs CREATE SCHEMA IF NOT EXISTS.
    if (schema && schema !== 'public') migrationTableSchema = schema;
  }
  for (let attempt = 1; ; attempt++) {
    // Migrations are numbered per branch and merged in any order (0010 may land after 0016): each
    // one only adds its own tables and columns, so a pending one runs even when a later name ran.
    const migrator = new Migrator({ db, provider, migrationTableSchema, allowUnorderedMigrations: true });
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    const message = error instanceof Error ? error.message : String(error);
    if (attempt >= 3 || !/^(schema|relation) ".*" does not exist$/.test(message))
      throw error instanceof Error ? error : new Error(message);
  }
}

/** The names of every migration this build knows, in the order they apply (for `migrate --json` checks). */
export async function knownMigrationNames(dialect: DialectName = 'sqlite'): Promise<string[]> {
  return Object.keys(await new CodeMigrationProvider(dialect).getMigrations()).sort();
}
