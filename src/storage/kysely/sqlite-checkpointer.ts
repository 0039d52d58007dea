import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/** How often the background thread checkpoints the WAL (ms). */
export const CHECKPOINT_INTERVAL_MS = 100;
/**
 * The main connection's own automatic checkpoint, kept as a safety net in pages (4 KiB each): it
 * fires if the background thread has fallen this far behind or died. Under writes that never
 * pause, the thread restarts the log at {@link RESTART_AT_FRAMES} instead (docs/adr/0092).
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
const restart = db.prepare('pragma wal_checkpoint(RESTART)');
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
  if (m === 'restart') {
    // The writer holds its transactions back until this answers (see restartWal in the driver).
    clearTimeout(timer);
    let reply;
    try {
      db.pragma('busy_timeout = ' + workerData.restartWaitMs);
      const r = restart.get();
      reply = { type: 'restart', busy: r.busy, log: r.log, checkpointed: r.checkpointed };
    } catch (e) {
      reply = { type: 'restart', busy: 1, error: String(e && e.message) };
    } finally {
      db.pragma('busy_timeout = 0');
    }
    parentPort.postMessage(reply);
    if (!stopping) timer = setTimeout(tick, workerData.intervalMs);
    return;
  }
  if (m === 'stop') {
    stopping = true;
    clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
`;

/**
 * WAL size (frames) at which the writer lets the thread restart the log (docs/adr/0092): well
 * below {@link FALLBACK_AUTOCHECKPOINT_PAGES}, so the main connection's own checkpoint, with its
 * copy and fsyncs on the event loop, is left for when the thread is gone.
 */
export const RESTART_AT_FRAMES = 4000;
/** How long the thread's RESTART checkpoint may wait for a reader to leave the log (ms). */
const RESTART_WAIT_MS = 100;
/**
 * How long the writer holds its transactions back for a RESTART at most (ms): only a disk that
 * stopped answering takes this long. Past it the writer goes on; if the thread still holds SQLite's
 * write lock then, the writer's next statement waits in SQLite's busy handler (5 s) and fails.
 */
const RESTART_TIMEOUT_MS = 30_000;
/** A checkpoint report younger than this still describes the log closely enough to act on (ms). */
const FRESH_REPORT_MS = 25;

/** What the checkpointer has done, for tests and metrics. */
export interface CheckpointStats {
  checkpoints: number;
  framesCheckpointed: number;
  errors: number;
  running: boolean;
  /** RESTART checkpoints that emptied the log for the writer to start over (docs/adr/0092). */
  restarts: number;
  /** RESTART checkpoints that could not finish (a reader stayed in the log, or a timeout). */
  restartsBusy: number;
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
  readonly stats: CheckpointStats = {
    checkpoints: 0,
    framesCheckpointed: 0,
    errors: 0,
    running: true,
    restarts: 0,
    restartsBusy: 0,
  };
  readonly #worker: Worker;
  readonly #db: SQLite.Database;
  readonly #exited: Promise<void>;
  readonly #restartAtFrames: number;
  /** When the last checkpoint found the log at or above the restart size (ms epoch), else 0. */
  #bigLogAt = 0;
  #restartDone: (() => void) | undefined;

  constructor(
    db: SQLite.Database,
    file: string,
    intervalMs = CHECKPOINT_INTERVAL_MS,
    restartAtFrames = RESTART_AT_FRAMES,
  ) {
    this.#restartAtFrames = restartAtFrames;
    this.#db = db;
    db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    // execArgv [] keeps loaders (tsx) and profilers of the parent out of this small CommonJS worker.
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver, intervalMs, restartWaitMs: RESTART_WAIT_MS },
      execArgv: [],
    });
    this.#worker.unref();
    this.#worker.on('message', (m: { type: string; log?: number; checkpointed?: number; busy?: number }) => {
      if (m.type === 'checkpoint') {
        this.stats.checkpoints++;
        this.stats.framesCheckpointed += Math.max(0, m.checkpointed ?? 0);
        this.#bigLogAt = (m.log ?? 0) >= this.#restartAtFrames && m.log === m.checkpointed ? Date.now() : 0;
      } else if (m.type === 'restart') {
        this.#bigLogAt = 0;
        // A late answer after a timeout was already counted as busy.
        if (this.#restartDone) {
          if (m.busy === 0) this.stats.restarts++;
          else this.stats.restartsBusy++;
          this.#restartDone();
        }
      } else this.stats.errors++;
    });
    this.#worker.on('error', () => this.#fallBack());
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#exited.then(() => this.#fallBack());
  }

  /**
   * True when the writer should hold its next transactions back and call {@link restart}: the log
   * has grown past the restart size and the thread has just copied all of it, so a RESTART has only
   * the last few commits left to copy. Under writes that never pause, this is the only way the log
   * starts over without the main connection checkpointing on the event loop (docs/adr/0092).
   */
  wantsRestart(): boolean {
    return (
      this.stats.running &&
      this.#restartDone === undefined &&
      this.#bigLogAt > 0 &&
      Date.now() - this.#bigLogAt <= FRESH_REPORT_MS
    );
  }

  /**
   * Copy what is left of the log and wait until no reader uses it (`wal_checkpoint(RESTART)` on
   * the thread's connection), so that the writer's next transaction starts the log over. The caller
   * must not write until this resolves; it resolves (never rejects) when the thread answers, after
   * {@link RESTART_TIMEOUT_MS}, or when the thread is gone.
   */
  restart(): Promise<void> {
    if (!this.stats.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#restartDone = undefined;
        resolve();
      };
      const timer = setTimeout(() => {
        this.stats.restartsBusy++;
        done();
      }, RESTART_TIMEOUT_MS);
      this.#restartDone = done;
      this.#worker.postMessage('restart');
    });
  }

  #fallBack(): void {
    this.stats.running = false;
    this.#restartDone?.();
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
