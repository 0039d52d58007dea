import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/** How often the background thread checkpoints the WAL (ms). */
export const CHECKPOINT_INTERVAL_MS = 100;
/**
 * The main connection's own automatic checkpoint, kept as a safety net in pages (4 KiB each): it
 * fires if the background thread has fallen this far behind or died, and under sustained writes,
 * where only the writer's own connection can restart the WAL (docs/adr/0056, fourth-pass note).
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

// The worker is plain CommonJS run with `eval`, so it needs no build step and no loader; it opens its
// own connection to the same file (WAL allows a checkpointer beside the writer).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
let stopping = false;
const tick = () => {
  if (stopping) return;
  try {
    const r = checkpoint.get();
    parentPort.postMessage({ type: 'checkpoint', log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    // SQLITE_BUSY: another checkpoint (another process) is running; try again next tick.
    if (e && e.code !== 'SQLITE_BUSY' && e.code !== 'SQLITE_LOCKED') parentPort.postMessage({ type: 'error', message: String(e && e.message) });
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
let timer = setTimeout(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    stopping = true;
    clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
`;

/** What the checkpointer has done, for tests and metrics. */
export interface CheckpointStats {
  checkpoints: number;
  framesCheckpointed: number;
  errors: number;
  running: boolean;
}

/**
 * Checkpoint a SQLite database's WAL from a worker thread (docs/adr/0056), so the page copying and
 * the two fsyncs of each checkpoint never run on the event loop, where they used to stall every
 * request during the COMMIT that crossed the 1000-page threshold. The main connection's automatic
 * checkpoint is raised to {@link FALLBACK_AUTOCHECKPOINT_PAGES} as a safety net, and put back to
 * SQLite's default if the thread fails. Durability is unchanged: a COMMIT is durable in the WAL
 * (synchronous=NORMAL), whoever checkpoints it later.
 */
export class SqliteCheckpointer {
  readonly stats: CheckpointStats = { checkpoints: 0, framesCheckpointed: 0, errors: 0, running: true };
  readonly #worker: Worker;
  readonly #db: SQLite.Database;
  readonly #exited: Promise<void>;

  constructor(db: SQLite.Database, file: string, intervalMs = CHECKPOINT_INTERVAL_MS) {
    this.#db = db;
    db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    // execArgv [] keeps loaders (tsx) and profilers of the parent out of this small CommonJS worker.
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs }, execArgv: [] });
    this.#worker.unref();
    this.#worker.on('message', (m: { type: string; checkpointed?: number }) => {
      if (m.type === 'checkpoint') {
        this.stats.checkpoints++;
        this.stats.framesCheckpointed += Math.max(0, m.checkpointed ?? 0);
      } else this.stats.errors++;
    });
    this.#worker.on('error', () => this.#fallBack());
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#exited.then(() => this.#fallBack());
  }

  #fallBack(): void {
    this.stats.running = false;
    if (this.#db.open) this.#db.pragma('wal_autocheckpoint = 1000');
  }

  /** Stop the thread and wait for it (its connection is closed before this resolves). */
  async stop(): Promise<void> {
    // Keep the process alive until the thread has closed its connection.
    this.#worker.ref();
    if (this.stats.running) this.#worker.postMessage('stop');
    await this.#exited;
  }
}
