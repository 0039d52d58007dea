/**
 * Side-by-side A/B of the authorize flow with a live session (authorize → consent page → consent POST → code) for
 * two source trees, on a shared machine (docs/adr/0189): both servers run at the same time, pinned to core 0 as in
 * `npm run bench`, and this client alternates batches of flows between them (A B, B A, A B, …), so that both sides
 * see the same neighbours; what one side gains over the other is then not the machine's load moving between runs.
 * The figure is each server's own CPU (user + system, /proc) per flow over its batches, and the median per round.
 *
 * Usage: node --import tsx scripts/bench/flow-ab.ts <tree A> <tree B> [sqlite|postgres] [rounds=6] [flows=400]
 *   (flows: per batch), e.g. a worktree of main as A and this branch as B. PostgreSQL: BENCH_PG_URL (default as
 *   in run.ts), a fresh schema per side, dropped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { FormClient, authorizeThroughForms } from '../../test/helpers/browserless.js';

const [treeA, treeB, dialect = 'sqlite', roundsArg = '6', batchArg = '400'] = process.argv.slice(2);
if (!treeA || !treeB) throw new Error('usage: flow-ab.ts <tree A> <tree B> [sqlite|postgres] [rounds] [flows]');
const ROUNDS = Number(roundsArg);
const BATCH = Number(batchArg);
const BROWSERS = 8;
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const work = mkdtempSync(join(tmpdir(), 'shouquan-flow-ab-'));
const children: ChildProcess[] = [];
const schemas: string[] = [];

interface Ready {
  pid: number;
  url: string;
  apps: Record<string, { appKey: string; appSecret: string }>;
  sellers: Array<{ username: string }>;
  password: string;
  callback: string;
}

async function databaseUrl(side: string): Promise<string> {
  if (dialect !== 'postgres') return `sqlite:${join(work, `${side}.db`)}`;
  const schema = `flow_ab_${randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
  schemas.push(schema);
  const u = new URL(PG_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function start(tree: string, side: string): Promise<Ready> {
  const args = ['-c', '0', process.execPath, '--import', 'tsx', 'scripts/bench/shouquan-target.ts'];
  const child = spawn('taskset', [...args, await databaseUrl(side), '--sellers', String(BROWSERS)], {
    cwd: resolve(tree),
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  children.push(child);
  return new Promise((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`${side}: the target exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) ok({ ...(JSON.parse(line) as Omit<Ready, 'pid'>), pid: child.pid! });
    });
  });
}

/** CPU seconds of a process and its live descendants (Linux /proc), as run.ts counts them. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  return kids.reduce((sum, c) => sum + cpuSeconds(c), (Number(fields[11]) + Number(fields[12])) / 100);
}

const authorizeUrl = (r: Ready) =>
  `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: r.apps.exchange!.appKey, redirect_uri: r.callback, state: 'bench' })}`;

async function browsersFor(r: Ready): Promise<FormClient[]> {
  return Promise.all(
    r.sellers.slice(0, BROWSERS).map(async (s) => {
      const { client } = await authorizeThroughForms(r.url, authorizeUrl(r), {
        username: s.username,
        password: r.password,
      });
      return client;
    }),
  );
}

async function batch(r: Ready, browsers: FormClient[], flows: number): Promise<{ us: number; rate: number }> {
  let left = flows;
  const cpu0 = cpuSeconds(r.pid);
  const t0 = performance.now();
  await Promise.all(
    browsers.map(async (client) => {
      while (left-- > 0) {
        const { location } = await authorizeThroughForms(r.url, authorizeUrl(r), {
          username: '',
          password: '',
          client,
        });
        if (!location.includes('code=')) throw new Error(`no code: ${location}`);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { us: ((cpuSeconds(r.pid) - cpu0) * 1e6) / flows, rate: flows / secs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  const sides = { A: await start(treeA, 'A'), B: await start(treeB, 'B') };
  const browsers = { A: await browsersFor(sides.A), B: await browsersFor(sides.B) };
  // Warm-up (JIT, caches) on both, not counted.
  for (const k of ['A', 'B'] as const) await batch(sides[k], browsers[k], 200);
  const us: Record<'A' | 'B', number[]> = { A: [], B: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const);
    const line: string[] = [];
    for (const k of order) {
      const r = await batch(sides[k], browsers[k], BATCH);
      us[k].push(r.us);
      line.push(`${k} ${r.us.toFixed(0)} µs/flow (${r.rate.toFixed(0)} flows/s)`);
    }
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`round ${round + 1}: ${line.join(', ')}; load ${load}`);
  }
  const a = median(us.A);
  const b = median(us.B);
  console.log(
    `${dialect}: median server CPU per flow A ${a.toFixed(0)} µs, B ${b.toFixed(0)} µs (B/A ${(b / a).toFixed(2)}); ` +
      `B below A in ${us.B.filter((x, i) => x < us.A[i]!).length} of ${ROUNDS} rounds`,
  );
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  for (const schema of schemas) {
    const d = new pg.Client({ connectionString: PG_URL });
    await d.connect();
    await d.query(`drop schema if exists ${schema} cascade`);
    await d.end();
  }
  rmSync(work, { recursive: true, force: true });
}
