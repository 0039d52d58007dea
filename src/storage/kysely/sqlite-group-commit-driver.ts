import type {
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { tracing } from '../../tracing/tracing.js';
import { CompiledQuery, SqliteAdapter, SqliteDriver, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type SQLite from 'better-sqlite3';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';

/** Run one compiled statement now: the rows of a read, the changed-row count of a write. */
export type DirectRun = (q: CompiledQuery) => { rows: unknown[]; changes: number };

/**
 * The SQLite connection without Kysely's per-query hand-off (docs/adr/0058), for the hottest
 * statements: prepared once, run synchronously, under the same connection lock and group commit.
 */
export interface SqliteDirect {
  /** Run a read now if the connection is free; `undefined` when a transaction holds it. */
  tryRead<R>(q: CompiledQuery): R[] | undefined;
  /** One transaction; its promise settles after the COMMIT that made it durable. */
  transaction<T>(fn: (run: DirectRun) => T | Promise<T>): Promise<T>;
}

/**
 * A Kysely driver for better-sqlite3 with two changes to Kysely's own `SqliteDriver`
 * (docs/adr/0050-sqlite-group-commit.md):
 *
 * 1. Prepared statements are cached by SQL text, so a query shape is compiled by SQLite once.
 * 2. Group commit: transactions that run while another one is waiting to commit join the same
 *    SQLite transaction, each inside its own SAVEPOINT (a failing one rolls back only itself).
 *    The shared COMMIT runs once the event loop has nothing more to add (setImmediate), and no
 *    caller's promise resolves before that COMMIT succeeded — nobody is answered before their
 *    write is committed. If the COMMIT fails, every member gets the error.
 *
 * Writes outside an explicit transaction that run while a group is open also wait for its
 * COMMIT. Reads never wait. Kysely's single-connection mutex is kept: statements never interleave.
 */
export class SqliteGroupCommitDriver implements Driver, SqliteDirect {
  readonly #db: SQLite.Database;
  readonly #statements = new Map<string, SQLite.Statement>();
  readonly #maxStatements: number;
  readonly #mutex = new Mutex();
  readonly #connection: DatabaseConnection;
  /** The open group transaction, if any. */
  #group: Group | undefined;
  /** The current holder of the connection must wait for the group's COMMIT before it is released. */
  #holderJoined: Group | undefined;
  #inTransaction = false;
  /** The connection is held, between transactions, while the checkpoint thread restarts the WAL. */
  #heldForRestart = false;
  /** True while transactions wait for the checkpoint thread to restart the WAL (docs/adr/0092). */
  get heldForRestart(): boolean {
    return this.#heldForRestart;
  }
  /** Counters, for tests and metrics: transactions run, COMMITs issued, background checkpoints. */
  readonly #counts = { transactions: 0, commits: 0 };
  get stats(): { transactions: number; commits: number; checkpoints: number; walRestarts: number } {
    return {
      ...this.#counts,
      checkpoints: this.#checkpointer?.stats.checkpoints ?? 0,
      walRestarts: this.#checkpointer?.stats.restarts ?? 0,
    };
  }
  #checkpointer: SqliteCheckpointer | undefined;

  readonly #grouping: boolean;

  /**
   * Options: {@link SqliteGroupCommitOptions}; without `checkpointFile` SQLite checkpoints on this
   * connection as usual.
   */
  constructor(db: SQLite.Database, options: SqliteGroupCommitOptions & { maxStatements?: number } = {}) {
    this.#db = db;
    if (options.checkpointFile)
      this.#checkpointer = new SqliteCheckpointer(
        db,
        options.checkpointFile,
        options.checkpointIntervalMs,
        options.walRestartAtFrames,
      );
    this.#maxStatements = options.maxStatements ?? 500;
    this.#grouping = options.groupCommit ?? true;
    this.#connection = {
      executeQuery: async <R>(q: CompiledQuery): Promise<QueryResult<R>> => {
        const hooks = tracing.hooks;
        return hooks ? hooks.dbSync('sqlite', q.sql, () => this.#execute<R>(q)) : this.#execute<R>(q);
      },
      streamQuery: () => {
        throw new Error('streaming is not supported by the SQLite group-commit driver');
      },
    };
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    this.#holderJoined = undefined;
    return this.#connection;
  }

  async beginTransaction(_connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    if (!this.#grouping) {
      // IMMEDIATE: take the write lock now, waiting out another process's writes (busy_timeout), instead of
      // reading first and failing at the first write if that process committed meanwhile (SQLITE_BUSY_SNAPSHOT).
      this.#run('begin immediate');
      this.#counts.transactions++;
      return;
    }
    const group = this.#openGroup();
    this.#run('savepoint sq_member');
    this.#counts.transactions++;
    this.#inTransaction = true;
    this.#holderJoined = group;
  }

  async commitTransaction(): Promise<void> {
    if (!this.#grouping) {
      this.#run('commit');
      this.#counts.commits++;
      return;
    }
    this.#inTransaction = false;
    this.#run('release sq_member');
  }

  async rollbackTransaction(): Promise<void> {
    if (!this.#grouping) {
      this.#run('rollback');
      return;
    }
    this.#inTransaction = false;
    this.#run('rollback to sq_member');
    this.#run('release sq_member');
    // Nothing of this member remains in the group: it need not wait for the COMMIT.
    this.#holderJoined = undefined;
  }

  async releaseConnection(): Promise<void> {
    const joined = this.#holderJoined;
    this.#holderJoined = undefined;
    this.#mutex.unlock();
    if (joined) await joined.committed;
  }

  async destroy(): Promise<void> {
    if (this.#group) await this.#group.committed.catch(() => {});
    if (this.#checkpointer) {
      await this.#checkpointer.stop();
    }
    this.#statements.clear();
    this.#db.close();
  }

  /**
   * {@link SqliteDirect.tryRead}: a read runs at once, without Kysely's connection hand-off, when
   * nobody holds the connection (so it never sees a transaction in the middle of its statements).
   */
  tryRead<R>(q: CompiledQuery): R[] | undefined {
    if (this.#mutex.locked && !this.#heldForRestart) return undefined;
    const stmt = this.#prepare(q.sql);
    if (!stmt.readonly) throw new Error('tryRead: not a read statement');
    const hooks = tracing.hooks;
    if (hooks) return hooks.dbSync('sqlite', q.sql, () => stmt.all(q.parameters as unknown[]) as R[]);
    return stmt.all(q.parameters as unknown[]) as R[];
  }

  /**
   * {@link SqliteDirect.transaction}: the same member transaction as Kysely's (a SAVEPOINT in the
   * open group, answered only after the group's COMMIT), with statements run straight on the
   * prepared statement cache. `fn` may await, but only its own statements: the connection is held.
   */
  async transaction<T>(fn: (run: DirectRun) => T | Promise<T>): Promise<T> {
    // Kysely's own steps on this driver, so both paths share one set of group-commit rules.
    const connection = await this.acquireConnection();
    try {
      await this.beginTransaction(connection, {});
      let result: T;
      try {
        result = await fn(this.#direct);
      } catch (e) {
        await this.rollbackTransaction();
        throw e;
      }
      await this.commitTransaction();
      return result;
    } finally {
      // Unlocks, then waits for the group's COMMIT (its failure is this transaction's failure).
      await this.releaseConnection();
    }
  }

  readonly #direct: DirectRun = (q) => {
    const hooks = tracing.hooks;
    return hooks ? hooks.dbSync('sqlite', q.sql, () => this.#directRun(q)) : this.#directRun(q);
  };

  #directRun(q: CompiledQuery): { rows: unknown[]; changes: number } {
    const stmt = this.#prepare(q.sql);
    const params = q.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(params), changes: 0 };
    const { changes } = stmt.run(params);
    return { rows: [], changes: Number(changes) };
  }

  // Kysely's SqliteDriver savepoint methods (for nested transactions) are reused as they are.
  savepoint = SqliteDriver.prototype.savepoint;
  rollbackToSavepoint = SqliteDriver.prototype.rollbackToSavepoint;
  releaseSavepoint = SqliteDriver.prototype.releaseSavepoint;

  #prepare(sql: string): SQLite.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      if (this.#statements.size >= this.#maxStatements) {
        const oldest = this.#statements.keys().next().value;
        if (oldest !== undefined) this.#statements.delete(oldest);
      }
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #run(sql: string): void {
    this.#prepare(sql).run();
  }

  #execute<R>(q: CompiledQuery): QueryResult<R> {
    const stmt = this.#prepare(q.sql);
    const params = q.parameters as unknown[];
    // A write outside an explicit transaction while a group is open becomes part of the group.
    if (!stmt.readonly && !this.#inTransaction && this.#group) this.#holderJoined = this.#group;
    if (stmt.reader) return { rows: stmt.all(params) as R[] };
    const { changes, lastInsertRowid } = stmt.run(params);
    return {
      numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
      insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
      rows: [],
    };
  }

  #openGroup(): Group {
    if (this.#group) return this.#group;
    // IMMEDIATE, as above: a one-shot CLI command beside a running server waits for the lock instead of failing.
    this.#run('begin immediate');
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const committed = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Members that never await it must not cause an unhandled rejection.
    committed.catch(() => {});
    const group: Group = { committed };
    this.#group = group;
    setImmediate(() => void this.#flush(group, resolve, reject));
    return group;
  }

  async #flush(group: Group, resolve: () => void, reject: (e: unknown) => void): Promise<void> {
    // Wait for whoever holds the connection (a member finishing) before committing.
    await this.#mutex.lock();
    let committed = false;
    try {
      this.#group = undefined;
      this.#run('commit');
      this.#counts.commits++;
      committed = true;
      resolve();
    } catch (e) {
      try {
        this.#run('rollback');
      } catch {
        // The transaction may already be gone; the members learn of the failure below.
      }
      reject(e);
    }
    try {
      // The members are answered; before the next transaction, let the thread restart a long WAL.
      if (committed && this.#checkpointer?.wantsRestart()) await this.#restartWal();
    } finally {
      this.#mutex.unlock();
    }
    void group;
  }

  /**
   * Hold the connection (no transaction open) while the checkpoint thread copies the rest of the
   * WAL and waits for readers to leave it, so that the next write starts the log over
   * (docs/adr/0092). Transactions queue on the lock meanwhile; reads through {@link tryRead} go on.
   */
  async #restartWal(): Promise<void> {
    this.#heldForRestart = true;
    try {
      await this.#checkpointer!.restart();
    } finally {
      this.#heldForRestart = false;
    }
  }
}

interface Group {
  /** Settles once the group's COMMIT succeeded (or failed). */
  committed: Promise<void>;
}

/** Kysely's single-connection mutex, FIFO. */
class Mutex {
  #promise: Promise<void> | undefined;
  #resolve: (() => void) | undefined;

  get locked(): boolean {
    return this.#promise !== undefined;
  }

  async lock(): Promise<void> {
    while (this.#promise) await this.#promise;
    this.#promise = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  unlock(): void {
    const resolve = this.#resolve;
    this.#promise = undefined;
    this.#resolve = undefined;
    resolve?.();
  }
}

/** Options of {@link SqliteGroupCommitDriver} (and its dialect). */
export interface SqliteGroupCommitOptions {
  /** `false` keeps only the statement cache: one COMMIT per transaction (for comparison). */
  groupCommit?: boolean;
  /** The database file, to checkpoint its WAL from a worker thread (docs/adr/0056). */
  checkpointFile?: string;
  /** How often that thread checkpoints (ms; tests shorten it). */
  checkpointIntervalMs?: number;
  /** WAL size in frames at which the thread restarts the log (docs/adr/0092; tests lower it). */
  walRestartAtFrames?: number;
}

/** The SQLite dialect with {@link SqliteGroupCommitDriver}; everything else is Kysely's. */
export class SqliteGroupCommitDialect implements Dialect {
  /** The driver, once Kysely created it (for its stats). */
  driver: SqliteGroupCommitDriver | undefined;
  constructor(
    private readonly db: SQLite.Database,
    private readonly options: SqliteGroupCommitOptions = {},
  ) {}
  createDriver(): Driver {
    this.driver ??= new SqliteGroupCommitDriver(this.db, this.options);
    return this.driver;
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
