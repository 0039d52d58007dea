import cluster, { type Worker } from 'node:cluster';
import { pino } from 'pino';
import { clusterPrimaryMetrics } from '../server/cluster-metrics.js';

/** Environment variable that tells a forked process it is worker number N (1…N) of `serve --workers`. */
export const WORKER_SLOT_ENV = 'SHOUQUAN_CLUSTER_WORKER';

/** What a worker tells the primary over IPC. */
export type WorkerMessage =
  { type: 'shouquan:listening'; port: number } | { type: 'shouquan:start-failed'; message: string };

/** This process's worker slot when it is a `serve --workers` worker, else undefined. */
export function clusterWorkerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(process.env[WORKER_SLOT_ENV]);
  return Number.isInteger(slot) && slot >= 1 ? slot : undefined;
}

/** Send a message to the primary (a no-op outside a cluster worker). */
export function tellPrimary(message: WorkerMessage): void {
  process.send?.(message);
}

/** Restart policy for workers that exit unexpectedly. */
export interface RestartPolicy {
  /** Delay before the first restart, doubled for every quick exit in a row. */
  baseDelayMs: number;
  /** The longest delay between restarts. */
  maxDelayMs: number;
  /** A worker that exits sooner than this after it was started counts as a quick exit. */
  quickExitMs: number;
  /** Give up (stop everything, exit 1) after this many quick exits in a row of one worker. */
  maxQuickExits: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  quickExitMs: 10_000,
  maxQuickExits: 5,
};

/** The restart delay after `streak` quick exits in a row (1 for the first). */
export function restartDelay(policy: RestartPolicy, streak: number): number {
  return Math.min(policy.baseDelayMs * 2 ** Math.max(0, streak - 1), policy.maxDelayMs);
}

export interface PrimaryOptions {
  workers: number;
  /** The arguments of `serve` as given; every worker is started with the same ones. */
  args: string[];
  logLevel: string;
  /** `--metrics-app-limit`: app labels on the node's per-app API metrics, over all workers. */
  metricsAppLimit?: number;
  /** Once every worker listens: the port they share. Sandbox and start-up summary go here. */
  onListening(port: number): Promise<void>;
  /** A start-up failure, printed once (as `shouquan: …` on stderr). */
  onFailure(message: string): void;
  restart?: RestartPolicy;
}

interface Slot {
  worker?: Worker;
  startedAt: number;
  listening: boolean;
  /** Quick exits in a row. */
  streak: number;
  timer?: NodeJS.Timeout;
}

/**
 * The primary of `serve --workers N` (docs/adr/0090-serve-workers.md). The caller has already
 * run the migrations. This forks N workers of the same command (they share the listening port
 * through node:cluster, which hands connections out round robin), waits until every one listens,
 * then calls `onListening` once. A worker that exits unexpectedly is restarted after a back-off
 * that doubles with every quick exit in a row; after `maxQuickExits` the primary gives up and
 * exits 1. A worker that cannot start during start-up (port taken, database gone) ends the whole
 * start with exit 1 and its message, never a restart loop. SIGTERM or SIGINT: every worker
 * stops accepting, drains its in-flight requests and exits; the primary then returns 0.
 * Resolves with the exit code.
 */
export function runPrimary(opts: PrimaryOptions): Promise<number> {
  const policy = opts.restart ?? DEFAULT_RESTART_POLICY;
  const log = pino({ level: opts.logLevel, base: { pid: process.pid, role: 'primary' } });
  const metrics = clusterPrimaryMetrics(opts.metricsAppLimit);
  // The worker runs this same program (process.argv[1]) with `serve` and the same flags.
  cluster.setupPrimary({ exec: process.argv[1], args: ['serve', ...opts.args] });

  const slots = new Map<number, Slot>();
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let exitCode = 0;
  let port = 0;
  const live = () => [...slots.values()].filter((s) => s.worker && !s.worker.isDead()).length;

  return new Promise<number>((resolve) => {
    const finishIfDone = () => {
      if (phase !== 'stopping' || live() > 0) return;
      process.off('SIGTERM', onSigterm);
      process.off('SIGINT', onSigint);
      log.info({ exitCode }, 'all workers have exited');
      resolve(exitCode);
    };

    const stop = (code: number) => {
      if (phase === 'stopping') return;
      phase = 'stopping';
      exitCode = code;
      for (const s of slots.values()) {
        clearTimeout(s.timer);
        if (s.worker && !s.worker.isDead()) s.worker.process.kill('SIGTERM');
      }
      finishIfDone();
    };
    const onSigterm = () => {
      log.info({ signal: 'SIGTERM' }, 'shutting down: every worker drains its in-flight requests');
      stop(exitCode);
    };
    const onSigint = () => {
      log.info({ signal: 'SIGINT' }, 'shutting down: every worker drains its in-flight requests');
      stop(exitCode);
    };
    process.on('SIGTERM', onSigterm);
    process.on('SIGINT', onSigint);

    const failStart = (message: string) => {
      if (phase !== 'starting') return;
      opts.onFailure(message);
      stop(1);
    };

    const fork = (n: number) => {
      const slot = slots.get(n)!;
      const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(n) });
      Object.assign(slot, { worker, startedAt: Date.now(), listening: false, timer: undefined });
      metrics.workers.set(live());
      log.info({ worker: n, workerPid: worker.process.pid }, 'worker started');
      worker.on('message', (m: WorkerMessage) => {
        if (m?.type === 'shouquan:start-failed') {
          if (phase === 'starting') failStart(m.message);
          else log.error({ worker: n, workerPid: worker.process.pid, error: m.message }, 'worker could not start');
        } else if (m?.type === 'shouquan:listening') {
          slot.listening = true;
          port = m.port;
          log.info({ worker: n, workerPid: worker.process.pid, port }, 'worker listening');
          if (phase === 'starting' && [...slots.values()].every((s) => s.listening)) {
            phase = 'running';
            log.info({ workers: opts.workers, port }, 'every worker is listening');
            opts.onListening(port).catch((e: Error) => {
              opts.onFailure(e.message);
              stop(1);
            });
          }
        }
      });
      worker.on('exit', (code, signal) => {
        metrics.workers.set(live());
        if (slot.worker !== worker) return;
        const how = { worker: n, workerPid: worker.process.pid, code, signal };
        if (phase === 'stopping') return (log.info(how, 'worker exited'), finishIfDone());
        if (phase === 'starting') return failStart(`worker ${n} exited during start-up (${signal ?? `code ${code}`})`);
        // Running: restart it. Quick exits in a row back off, and too many end the server.
        const quick = !slot.listening || Date.now() - slot.startedAt < policy.quickExitMs;
        slot.streak = quick ? slot.streak + 1 : 1;
        if (slot.streak > policy.maxQuickExits) {
          log.error({ ...how, quickExits: slot.streak }, 'worker keeps exiting right after it starts; giving up');
          opts.onFailure(
            `worker ${n} exited ${slot.streak} times in a row within ${policy.quickExitMs / 1000} s of starting; stopping`,
          );
          return stop(1);
        }
        const delay = restartDelay(policy, slot.streak);
        metrics.restarts.inc();
        log.warn(
          { ...how, restartInMs: delay },
          worker.exitedAfterDisconnect
            ? 'worker stopped; starting a new one'
            : 'worker exited unexpectedly; restarting it',
        );
        slot.timer = setTimeout(() => fork(n), delay);
      });
    };

    for (let n = 1; n <= opts.workers; n++) slots.set(n, { startedAt: 0, listening: false, streak: 0 });
    for (const n of slots.keys()) fork(n);
  });
}
