import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { PURGEABLE, type Purgeable, type Storage } from './storage/ports.js';

export interface JanitorOptions {
  /** Rows per DELETE statement: short statements keep locks and event-loop stalls small. */
  batchSize?: number;
  /**
   * Rows stay this long past their expiry (ms) before they are purged, so a replayed code or a
   * rotated refresh token is still recognized a little after it lapsed. Default one hour.
   */
  graceMs?: number;
  /**
   * Gateway call records (the developer console's recent calls) and delivered webhook pushes are kept this long,
   * ms. Default 7 days.
   */
  callRetentionMs?: number;
  /** Stop after this many batches in one run (the next run continues). */
  maxBatches?: number;
  /** Current time in epoch ms. */
  now?: () => number;
  /** Called after every batch (progress, metrics). */
  onBatch?: (kind: Purgeable, deleted: number) => void;
}

export type PurgeReport = Record<Purgeable, number> & { batches: number; ms: number };

/** Default retention of gateway call records: 7 days. */
export const DEFAULT_CALL_RETENTION_MS = 7 * 86_400_000;

/**
 * Purge expired interactions, seller and console sessions, codes, tokens, revoked grants,
 * gateway call records and delivered webhook pushes past their retention, expired shared counters
 * (docs/adr/0110), and
 * clear the sealed successors of rotated refresh tokens whose grace window ended (docs/adr/0100),
 * in batches (RFC 6819 §5.1.4.1.3: keep no more
 * than needed). Between batches the event loop runs,
 * so requests are served while a large purge is under way. Safe to run on several nodes at
 * once: every DELETE only removes rows that are already dead.
 */
export async function purgeExpired(storage: Storage, opts: JanitorOptions = {}): Promise<PurgeReport> {
  const maintenance = storage.maintenance;
  if (!maintenance) throw new Error('this storage does not support purging');
  const started = Date.now();
  const batchSize = opts.batchSize ?? 5000;
  const now = (opts.now ?? Date.now)();
  const cutoff = now - (opts.graceMs ?? 3_600_000);
  const callCutoff = now - (opts.callRetentionMs ?? DEFAULT_CALL_RETENTION_MS);
  const maxBatches = opts.maxBatches ?? Number.POSITIVE_INFINITY;
  const report = {
    interactions: 0,
    sessions: 0,
    codes: 0,
    tokens: 0,
    grants: 0,
    webSessions: 0,
    calls: 0,
    successors: 0,
    limits: 0,
    deliveries: 0,
    batches: 0,
    ms: 0,
  } as PurgeReport;
  for (const kind of PURGEABLE) {
    for (;;) {
      if (report.batches >= maxBatches) break;
      // Sealed refresh successors are kept only for their window: cleared once it ended, no grace.
      const deleted = await maintenance.purgeExpired(
        kind,
        kind === 'calls' || kind === 'deliveries' ? callCutoff : kind === 'successors' ? now : cutoff,
        batchSize,
      );
      report.batches += 1;
      report[kind] += deleted;
      opts.onBatch?.(kind, deleted);
      if (deleted < batchSize) break;
      await yieldToEventLoop();
    }
  }
  report.ms = Date.now() - started;
  return report;
}

/**
 * Run the janitor every `intervalMs` (with ±10% jitter so several nodes spread out) until
 * stopped. Errors (database down) are reported and the next run tries again.
 */
export function startJanitor(
  storage: Storage,
  opts: JanitorOptions & {
    intervalMs: number;
    onRun?: (report: PurgeReport) => void;
    onError?: (err: unknown) => void;
  },
): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const jitter = opts.intervalMs * (0.9 + Math.random() * 0.2);
    timer = setTimeout(() => {
      running = purgeExpired(storage, opts)
        .then((r) => opts.onRun?.(r))
        .catch((e) => opts.onError?.(e))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, jitter);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
