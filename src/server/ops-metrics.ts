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
  new Gauge({
    name: 'shouquan_db_up',
    help: '1 when the database answered at scrape time, else 0',
    registers: [registry],
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
