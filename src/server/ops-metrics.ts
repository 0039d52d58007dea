import { Counter, Gauge } from 'prom-client';
import type { HttpContext } from './http-context.js';

/**
 * Operations metrics beyond requests, tokens, errors and latency (metrics.ts):
 * database pool use, database reachability at scrape time, and 503s caused by the database.
 */
export function registerOpsMetrics(ctx: HttpContext) {
  const registry = ctx.metrics.registry;
  const storage = ctx.core.storage;
  new Gauge({
    name: 'shouquan_db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting, max); PostgreSQL only',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = storage.poolStats?.();
      if (!stats) return;
      for (const [state, value] of Object.entries(stats)) this.set({ state }, value);
    },
  });
  // Group commit at work (docs/adr/0050): transactions per COMMIT is the batching factor.
  const commitStats = storage.commitStats;
  for (const [name, field, help] of !commitStats
    ? []
    : ([
        ['shouquan_sqlite_transactions_total', 'transactions', 'SQLite write transactions run (group commit members)'],
        [
          'shouquan_sqlite_commits_total',
          'commits',
          'SQLite COMMITs issued; transactions / commits is the group-commit batching factor',
        ],
        [
          'shouquan_sqlite_checkpoints_total',
          'checkpoints',
          'SQLite WAL checkpoints run by the background checkpoint thread',
        ],
        [
          'shouquan_sqlite_wal_restarts_total',
          'walRestarts',
          'Times the background thread emptied a long SQLite WAL (writes held back meanwhile) so that it started over',
        ],
      ] as const)) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const stats = commitStats?.();
        if (!stats) return;
        this.reset();
        this.inc(stats[field]);
      },
    });
  }
  new Gauge({
    name: 'shouquan_db_up',
    help: '1 when the database answered at scrape time, else 0',
    registers: [registry],
    // With --workers, /metrics aggregates the workers: 0 when any of them could not reach it.
    aggregator: 'min',
    async collect() {
      this.set((await storage.ping()) ? 1 : 0);
    },
  });
  const dbUnavailable = new Counter({
    name: 'shouquan_db_unavailable_total',
    help: 'Requests answered 503 because the database was unreachable',
    registers: [registry],
  });
  return { dbUnavailable };
}
