/**
 * In-process measurement of the gateway quota charge alone (no HTTP, docs/adr/0111): `chargeQuota`
 * (a per-second and a per-day window) through quota leases (up to 64 units per `take`, the
 * default) and through exact checks (`maxLease` 1: every call takes its own unit, concurrent
 * calls on one node share a statement), on the database store (SQLite, PostgreSQL) and on Redis.
 * Prints calls per second, CPU µs per call and store statements per call.
 * Usage: node --import tsx scripts/bench/quota-micro.ts [calls=20000] [concurrency=32]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../../src/runtime.js';
import { openRedisLimitStore } from '../../src/storage/redis/redis-limit-store.js';
import { chargeQuota, leaseQuota } from '../../src/gateway/quota.js';
import { resolveGatewayOptions } from '../../src/gateway/options.js';
import type { LimitStore } from '../../src/storage/ports.js';
import { freshPostgres, postgresAvailable, redisAvailable, REDIS_URL } from '../../test/helpers/databases.js';

const CALLS = Number(process.argv[2] ?? 20000);
const CONC = Number(process.argv[3] ?? 32);
const options = resolveGatewayOptions({ defaultQuotaPerDay: 10_000_000, defaultQuotaPerSecond: 10_000_000 });

function counting(store: LimitStore) {
  const n = { statements: 0 };
  const wrap: LimitStore = {
    ...store,
    kind: store.kind,
    take: (...a) => ((n.statements += 1), store.take(...a)),
    giveBack: (...a) => ((n.statements += 1), store.giveBack(...a)),
  };
  return { wrap, n };
}

async function measure(label: string, store: LimitStore, maxLease: number, conc: number) {
  const { wrap, n } = counting(store);
  const q = leaseQuota(wrap, { maxLease });
  const app = `bench-${label}-${maxLease}-${conc}-${Date.now()}`;
  let left = CALLS;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (left-- > 0) await chargeQuota(q, options, app, undefined, Date.now());
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await q.stop();
  const mode = maxLease === 1 ? 'exact' : `lease ${maxLease}`;
  console.log(
    `${label.padEnd(9)} ${mode.padEnd(9)} c=${String(conc).padEnd(3)} ${(CALLS / wall).toFixed(0).padStart(8)} calls/s  ${((cpu.user + cpu.system) / CALLS).toFixed(1).padStart(7)} µs CPU/call  ${(n.statements / CALLS).toFixed(3)} statements/call`,
  );
}

const stores: Array<{ label: string; open: () => Promise<{ store: LimitStore; close: () => Promise<void> }> }> = [];
stores.push({
  label: 'sqlite',
  open: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-quota-'));
    const s = await openStorage(`sqlite:${join(dir, 'q.db')}`, { createIfMissing: true });
    return { store: s.limits, close: async () => (await s.close(), rmSync(dir, { recursive: true, force: true })) };
  },
});
if (await postgresAvailable()) {
  stores.push({
    label: 'postgres',
    open: async () => {
      const db = await freshPostgres();
      const s = await openStorage(db.url, { createIfMissing: true });
      return { store: s.limits, close: async () => (await s.close(), await db.cleanup()) };
    },
  });
}
if (await redisAvailable()) {
  stores.push({
    label: 'redis',
    open: async () => {
      const store = await openRedisLimitStore(REDIS_URL, { prefix: `shouquan-bench:${process.pid}:` });
      return { store, close: () => store.close() };
    },
  });
}

for (const { label, open } of stores) {
  const { store, close } = await open();
  for (const conc of [1, CONC]) {
    for (const maxLease of [64, 1]) await measure(label, store, maxLease, conc);
  }
  await close();
}
