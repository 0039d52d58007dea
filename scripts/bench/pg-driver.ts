/**
 * What one PostgreSQL statement costs the Node process, by driver and path (issue 18, docs/adr/0187).
 * Self-contained: a fresh schema in the local PostgreSQL, the project's migrations, 2,000 grants with
 * an access token each; then, with 32 concurrent callers, each variant runs the bearer path's token
 * lookup (the exact SQL `storage.tokens.find` sends, captured from the pool) and `select 1`, and
 * prints statements/s and the process's CPU µs per statement (`process.cpuUsage`, user + system).
 * Variants, all with 10 connections:
 *   kysely-storage   `storage.tokens.find` (openDatabase's pg.Pool and type parsers; Kysely's
 *                    PostgresDialect checks a client out of the pool for every query): the real path
 *   kysely-compiled  `db.executeQuery` of the precompiled query (the same, without the row mapping)
 *   pg-pool          `pool.query(text, values)` (pg-pool checks a client out and back in internally)
 *   pg-pool-noidle   the same pool with `idleTimeoutMillis: 0` (pg-pool then sets no idle timer on
 *                    each release)
 *   pg-pinned        `client.query(text, values)` on 10 clients connected once, round robin (pg queues
 *                    a client's queries itself: the deprecation warning it prints is expected)
 *   pg-prepared      `pool.query({ name, text, values })`: named prepared statements (Parse once per
 *                    connection, then Bind/Execute)
 *   pg-pinned-prepared  both: named statements on the 10 pinned clients
 *   postgresjs       postgres.js (`postgres` npm package, max 10), `sql.unsafe(text, values)` with its
 *                    default `prepare: true` (named statements, pipelined on a connection); int8
 *                    parsed to numbers as the project's pg parser does
 *   postgresjs-str   the same with postgres.js's own types (int8 stays a string)
 *   postgresjs-np    postgresjs with `prepare: false` (unnamed statements, still pipelined)
 *   kysely-storage-unix, pg-pool-unix  the first and third over PostgreSQL's Unix socket instead of
 *                    TCP on 127.0.0.1 (a connection string's `host=/var/run/postgresql`), when the
 *                    socket's folder exists (BENCH_PG_SOCKET, default /var/run/postgresql; '' to skip)
 * Variants alternate in rounds (A, B, C, … then again), each round in a new order; the table quotes
 * the median of the rounds. The machine is shared: compare within one run.
 * Usage: npx tsx scripts/bench/pg-driver.ts [ops per run=10000] [rounds=5] [concurrency=32]
 * Env: SHOUQUAN_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import postgres from 'postgres';
import { CompiledQuery } from 'kysely';
import { migrateToLatest, openDatabase } from '../../src/storage/kysely/database.js';
import { createKyselyStorage } from '../../src/storage/kysely/kysely-storage.js';
import { createBenchApp, seedAccessTokens } from './seed-tokens.js';

const OPS = Number(process.argv[2] ?? 10000);
const ROUNDS = Number(process.argv[3] ?? 5);
const CONC = Number(process.argv[4] ?? 32);
const POOL = 10;
const TOKENS = 2000;
const BASE_URL = process.env.SHOUQUAN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SOCKET = process.env.BENCH_PG_SOCKET ?? '/var/run/postgresql';

// A fresh schema, as the tests' freshPostgres does.
const schema = `bench_${randomBytes(6).toString('hex')}`;
{
  const c = new pg.Client({ connectionString: BASE_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
}
const url = new URL(BASE_URL);
url.searchParams.set('options', `-c search_path=${schema}`);

const opened = openDatabase(url.toString(), { poolSize: POOL });
const { db, pool } = opened;
await migrateToLatest(db, 'postgres');
const storage = createKyselyStorage(db, 'postgres', { pool });
await createBenchApp(storage);
const hashes = await seedAccessTokens(storage, TOKENS);

// The token lookup's SQL exactly as the storage sends it: capture one call's text.
let lookupSql = '';
{
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: unknown, ...a: unknown[]) {
    if (typeof a[0] === 'string' && a[0].includes('"tokens"')) lookupSql = a[0];
    return query.apply(this, a);
  };
  const found = await storage.tokens.find(hashes[0]!);
  proto.query = query;
  if (!found || !lookupSql) throw new Error('token lookup not captured');
}

// The other clients, each with 10 connections and the project's type parsers (int8 → number).
const pgTypes = (pool as unknown as { options: { types: pg.CustomTypesConfig } }).options.types;
const pinned = await Promise.all(
  Array.from({ length: POOL }, () => {
    const c = new pg.Client({
      connectionString: url.toString(),
      types: pgTypes,
    });
    return c.connect().then(() => c);
  }),
);
const pjOptions = {
  max: POOL,
  connection: { search_path: schema },
  onnotice: () => {},
  // int8 → number, as the project's pg type parser does.
  types: { int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
};
// The same database over the Unix socket: the storage as the server opens it, and a bare pool.
const unixUrl = new URL(url);
unixUrl.searchParams.set('host', SOCKET);
const unix = SOCKET && existsSync(SOCKET) ? openDatabase(unixUrl.toString(), { poolSize: POOL }) : undefined;
const unixStorage = unix && createKyselyStorage(unix.db, 'postgres', { pool: unix.pool });
const pj = postgres(BASE_URL, { ...pjOptions, prepare: true });
const pjStr = postgres(BASE_URL, { ...pjOptions, types: {}, prepare: true });
const noIdle = new pg.Pool({
  connectionString: url.toString(),
  max: POOL,
  types: pgTypes,
  idleTimeoutMillis: 0,
});
const pjNp = postgres(BASE_URL, { ...pjOptions, prepare: false });

type Statement = 'token lookup' | 'select 1';
type Run = (stmt: Statement, i: number) => Promise<number>;
const textOf = (stmt: Statement) => (stmt === 'select 1' ? 'select 1 as "one"' : lookupSql);
const valuesOf = (stmt: Statement, i: number) => (stmt === 'select 1' ? [] : [hashes[i % TOKENS]!]);
let rr = 0;
const variants: Record<string, Run> = {
  'kysely-storage': async (stmt, i) =>
    stmt === 'token lookup'
      ? (await storage.tokens.find(hashes[i % TOKENS]!))
        ? 1
        : 0
      : (await db.executeQuery(CompiledQuery.raw(textOf(stmt), valuesOf(stmt, i)))).rows.length,
  'kysely-compiled': async (stmt, i) =>
    (await db.executeQuery(CompiledQuery.raw(textOf(stmt), valuesOf(stmt, i)))).rows.length,
  'pg-pool': async (stmt, i) => (await pool!.query(textOf(stmt), valuesOf(stmt, i))).rows.length,
  'pg-pool-noidle': async (stmt, i) => (await noIdle.query(textOf(stmt), valuesOf(stmt, i))).rows.length,
  'pg-pinned': async (stmt, i) => (await pinned[rr++ % POOL]!.query(textOf(stmt), valuesOf(stmt, i))).rows.length,
  'pg-pinned-prepared': async (stmt, i) =>
    (
      await pinned[rr++ % POOL]!.query({
        name: stmt === 'select 1' ? 'one' : 'lookup',
        text: textOf(stmt),
        values: valuesOf(stmt, i),
      })
    ).rows.length,
  'pg-prepared': async (stmt, i) =>
    (await pool!.query({ name: stmt === 'select 1' ? 'one' : 'lookup', text: textOf(stmt), values: valuesOf(stmt, i) }))
      .rows.length,
  ...(unix && unixStorage
    ? {
        'kysely-storage-unix': async (stmt: Statement, i: number) =>
          stmt === 'token lookup'
            ? (await unixStorage.tokens.find(hashes[i % TOKENS]!))
              ? 1
              : 0
            : (await unix.db.executeQuery(CompiledQuery.raw(textOf(stmt), valuesOf(stmt, i)))).rows.length,
        'pg-pool-unix': async (stmt: Statement, i: number) =>
          (await unix.pool!.query(textOf(stmt), valuesOf(stmt, i))).rows.length,
      }
    : {}),
  postgresjs: async (stmt, i) => (await pj.unsafe(textOf(stmt), valuesOf(stmt, i))).length,
  'postgresjs-str': async (stmt, i) => (await pjStr.unsafe(textOf(stmt), valuesOf(stmt, i))).length,
  'postgresjs-np': async (stmt, i) => (await pjNp.unsafe(textOf(stmt), valuesOf(stmt, i))).length,
};

async function measure(run: Run, stmt: Statement, ops: number): Promise<{ perSec: number; cpuUs: number }> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      for (let i = next++; i < ops; i = next++) if ((await run(stmt, i)) !== 1) throw new Error('no row');
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { perSec: ops / secs, cpuUs: (cpu.user + cpu.system) / ops };
}

const names = Object.keys(variants);
const statements: Statement[] = ['token lookup', 'select 1'];
// Warm up every connection of every variant (and V8) before measuring.
for (const n of names) for (const s of statements) await measure(variants[n]!, s, 2000);

const results = new Map<string, { perSec: number[]; cpuUs: number[] }>();
console.log(
  `pg-driver: ${OPS} statements × ${ROUNDS} rounds, ${CONC} callers, ${POOL} connections; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
for (let round = 0; round < ROUNDS; round++) {
  // A different order each round, so no variant always follows the same one.
  const order = names.map((_, k) => names[(k + round * 3) % names.length]!);
  if (round % 2 === 1) order.reverse();
  for (const n of order)
    for (const s of statements) {
      const r = await measure(variants[n]!, s, OPS);
      const key = `${s}|${n}`;
      const acc = results.get(key) ?? { perSec: [], cpuUs: [] };
      acc.perSec.push(r.perSec);
      acc.cpuUs.push(r.cpuUs);
      results.set(key, acc);
    }
  process.stderr.write(`round ${round + 1}/${ROUNDS} done, load average ${loadavg()[0]!.toFixed(2)}\n`);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
console.log('\n| statement | variant | statements/s (median) | CPU µs/statement (median) | CPU µs, all rounds |');
console.log('|---|---|---|---|---|');
for (const s of statements)
  for (const n of names) {
    const r = results.get(`${s}|${n}`)!;
    console.log(
      `| ${s} | ${n} | ${median(r.perSec).toFixed(0)} | ${median(r.cpuUs).toFixed(1)} | ${r.cpuUs.map((x) => x.toFixed(0)).join(' / ')} |`,
    );
  }
console.log(
  `\nload average at the end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

await Promise.all(pinned.map((c) => c.end()));
await pj.end();
await pjNp.end();
await pjStr.end();
await noIdle.end();
await unixStorage?.close();
await storage.close();
{
  const c = new pg.Client({ connectionString: BASE_URL });
  await c.connect();
  await c.query(`drop schema if exists ${schema} cascade`);
  await c.end();
}
