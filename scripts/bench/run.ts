/**
 * `npm run bench`: Shouquan (SQLite, PostgreSQL when it answers, SQLite with a large token table)
 * against a bare Fastify form-POST echo (the ceiling), interleaved over several rounds.
 *
 * Servers run pinned to core 0 (taskset), wrk to core 1, 32 connections on 127.0.0.1.
 * Codes, refresh tokens and access tokens are produced beforehand through the real HTTP flows
 * (authorize → login form → consent form → token endpoint), never written into the database.
 *
 * Environment:
 *   BENCH_ROUNDS (3)        rounds; the table quotes the median
 *   BENCH_DURATION (5)      seconds per wrk run
 *   BENCH_CONNECTIONS (32)  wrk connections
 *   BENCH_FILL (1000000)    live filler tokens for the "large" target; 0 to skip (10000000 for 10 M)
 *   BENCH_PG_URL            PostgreSQL (default postgres://postgres@127.0.0.1:5432/test); skipped when it does not answer
 *   BENCH_ONLY              comma list of targets (sqlite,postgres,sqlite-large,echo)
 *   BENCH_JSON              write all raw results to this file
 *   BENCH_WORKLOADS         comma list of workloads to run (exchange,refresh,introspection,bearer,login); default all
 *   BENCH_CPU_PROF          a folder: run the servers with --cpu-prof there (summarise with profile-summary.ts)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import pg from 'pg';
import { FormClient, authorizeThroughForms, formAction, hiddenInput } from '../../test/helpers/browserless.js';

const here = dirname(fileURLToPath(import.meta.url));
const luaDir = join(here, 'lua');
const env = process.env;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const DURATION = Number(env.BENCH_DURATION ?? 5);
const CONNS = Number(env.BENCH_CONNECTIONS ?? 32);
const FILL = Number(env.BENCH_FILL ?? 1_000_000);
const PG_URL = env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ONLY = env.BENCH_ONLY ? env.BENCH_ONLY.split(',') : undefined;
const WORKLOADS = env.BENCH_WORKLOADS ? env.BENCH_WORKLOADS.split(',') : undefined;
const runs = (w: string) => !WORKLOADS || WORKLOADS.includes(w);
const work = mkdtempSync(join(tmpdir(), 'shouquan-bench-'));
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0 && cpus().length >= 2;
const hasWrk = spawnSync('wrk', ['-v']).error === undefined;
if (!hasWrk) {
  console.error('wrk is not installed (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk)');
  process.exit(2);
}
const pin = (core: number, cmd: string[]) => (hasTaskset ? ['taskset', '-c', String(core), ...cmd] : cmd);
const log = (s: string) => process.stderr.write(`${s}\n`);

// ---------- targets ----------

interface Ready {
  /** The server process (taskset execs node, so the same pid). */
  pid?: number;
  url: string;
  port: number;
  apps?: Record<string, { appKey: string; appSecret: string }>;
  sellers?: Array<{ username: string; sellerId: number }>;
  password?: string;
  callback?: string;
}

async function startTarget(script: string, args: string[]): Promise<Ready> {
  const prof = env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_CPU_PROF}`] : [];
  const [cmd, ...rest] = pin(0, [process.execPath, ...prof, '--import', 'tsx', join(here, script), ...args]);
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...env, NODE_ENV: 'production' } });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    lines.on('line', (line) => {
      if (line.startsWith('{')) resolve({ ...(JSON.parse(line) as Ready), pid: child.pid });
    });
  });
}

function pgAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL(PG_URL);
    const sock = net.connect({ host: u.hostname, port: Number(u.port || 5432) });
    sock.setTimeout(1000);
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => (sock.destroy(), resolve(false)));
  });
}

async function freshPgSchema(): Promise<string> {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
  cleanups.push(async () => {
    const d = new pg.Client({ connectionString: PG_URL });
    await d.connect();
    await d.query(`drop schema if exists ${schema} cascade`);
    await d.end();
  });
  const u = new URL(PG_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

// ---------- load ----------

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  exhausted?: number;
  note?: string;
  /** Server CPU time (user + system, all threads) per request, microseconds: robust to a busy machine. */
  cpuUs?: number;
}

/** CPU seconds used so far by a process (Linux /proc; undefined elsewhere). */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100/s)
  } catch {
    return undefined;
  }
}

function wrk(script: string, target: Ready, vars: Record<string, string>, duration = DURATION, conns = CONNS): Result {
  const url = target.url;
  const args = pin(1, ['wrk', '-t1', `-c${conns}`, `-d${duration}s`, '--timeout', '10s', '--latency', '-s', join(luaDir, script), url]);
  const cpu0 = cpuSeconds(target.pid);
  const res = spawnSync(args[0]!, args.slice(1), { env: { ...env, BENCH_LUA_DIR: luaDir, ...vars }, encoding: 'utf8', timeout: (duration + 30) * 1000 });
  const m = /BENCH_RESULT (\{.*\})/.exec(res.stdout ?? '');
  if (!m) throw new Error(`wrk gave no result: ${res.stdout}\n${res.stderr}`);
  const r = JSON.parse(m[1]!);
  const cpu1 = cpuSeconds(target.pid);
  const cpuUs = cpu0 !== undefined && cpu1 !== undefined && r.requests > 0 ? ((cpu1 - cpu0) * 1e6) / r.requests : undefined;
  return { rps: r.rps, p50: r.p50_us / 1000, p99: r.p99_us / 1000, errors: r.errors, requests: r.requests, exhausted: r.exhausted, cpuUs };
}

function file(name: string, lines: string[]): string {
  const p = join(work, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

async function tokenRequest(base: string, form: Record<string, string>): Promise<any> {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Prepared state of one Shouquan target: a logged-in browser per seller, refresh chains, access tokens. */
interface Prepared {
  ready: Ready;
  browsers: FormClient[];
  refreshTokens: string[];
  accessTokens: string[];
  login: { path: string; cookie: string; body: string };
}

const authorizeUrl = (r: Ready, appKey: string) =>
  `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: appKey, redirect_uri: r.callback!, state: 'bench' })}`;
const creds = (a: { appKey: string; appSecret: string }) => ({ client_id: a.appKey, client_secret: a.appSecret });

async function prepare(ready: Ready): Promise<Prepared> {
  const apps = ready.apps!;
  const browsers: FormClient[] = [];
  const refreshTokens: string[] = [];
  const accessTokens: string[] = [];
  const sellers = ready.sellers!;
  // Every seller logs in through the login form once, then authorizes the refresh and access apps.
  const queue = [...sellers.keys()];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const s = sellers[i]!;
        const a = await authorizeThroughForms(ready.url, authorizeUrl(ready, apps.refresh!.appKey), { username: s.username, password: ready.password! });
        const t1 = await tokenRequest(ready.url, { grant_type: 'authorization_code', code: new URL(a.location).searchParams.get('code')!, redirect_uri: ready.callback!, ...creds(apps.refresh!) });
        refreshTokens.push(t1.refresh_token);
        const b = await authorizeThroughForms(ready.url, authorizeUrl(ready, apps.access!.appKey), { username: s.username, password: ready.password!, client: a.client });
        const t2 = await tokenRequest(ready.url, { grant_type: 'authorization_code', code: new URL(b.location).searchParams.get('code')!, redirect_uri: ready.callback!, ...creds(apps.access!) });
        accessTokens.push(t2.access_token);
        browsers[i] = a.client;
      }
    }),
  );
  // A login form to post again and again (the seller-login workload): one interaction, its cookie and CSRF token.
  const fc = new FormClient(ready.url);
  const res = await fc.get(authorizeUrl(ready, apps.exchange!.appKey));
  const page = await (await fc.get(res.headers.get('location')!)).text();
  const action = formAction(page)!;
  const body = new URLSearchParams({ csrf_token: hiddenInput(page, 'csrf_token')!, username: sellers[0]!.username, password: ready.password! }).toString();
  const cookie = [...fc.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return { ready, browsers, refreshTokens, accessTokens, login: { path: action, cookie, body } };
}

/**
 * The browser side of the flow with a logged-in seller: authorize → consent page → consent POST → code.
 * Runs one sequential loop per seller (each has its own cookie jar) until `count` codes exist.
 * Returns the codes and the rate (flows per second, measured by this Node client on core 1).
 */
async function produceCodes(p: Prepared, count: number, maxSeconds: number): Promise<{ codes: string[]; rate: number; p50: number; p99: number; errors: number }> {
  const app = p.ready.apps!.exchange!;
  const codes: string[] = [];
  const lat: number[] = [];
  let errors = 0;
  let left = count;
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  await Promise.all(
    p.browsers.slice(0, CONNS).map(async (client) => {
      while (left-- > 0 && performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const { location } = await authorizeThroughForms(p.ready.url, authorizeUrl(p.ready, app.appKey), { username: '', password: '', client });
          const code = new URL(location).searchParams.get('code');
          if (code) codes.push(code);
          else errors++;
        } catch {
          errors++;
        }
        lat.push(performance.now() - t0);
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  return { codes, rate: codes.length / secs, p50: lat[Math.floor(lat.length * 0.5)] ?? 0, p99: lat[Math.floor(lat.length * 0.99)] ?? 0, errors };
}

// ---------- workloads ----------

type Results = Map<string, Map<string, Result[]>>;
const results: Results = new Map();
function record(target: string, workload: string, r: Result) {
  if (!results.has(target)) results.set(target, new Map());
  const t = results.get(target)!;
  if (!t.has(workload)) t.set(workload, []);
  t.get(workload)!.push(r);
  log(`  ${target.padEnd(14)} ${workload.padEnd(22)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}${r.cpuUs !== undefined ? `  cpu ${r.cpuUs.toFixed(0)} µs/req` : ''}${r.exhausted ? ' (codes ran out)' : ''}`);
}

const exchangeRate = new Map<string, number>();

async function runShouquan(name: string, p: Prepared, opts: { login: boolean; flow: boolean }) {
  const url = p.ready;
  const apps = p.ready.apps!;
  if (runs('exchange')) await runExchange(name, p, opts);
  if (runs('refresh')) {
    const rf = creds(apps.refresh!);
    const refresh = wrk('refresh.lua', url, {
      BENCH_BODIES: file(`${name}-refresh.txt`, p.refreshTokens),
      BENCH_AUTH: `&client_id=${rf.client_id}&client_secret=${rf.client_secret}`,
      BENCH_PATH: '/oauth/token',
    });
    record(name, 'refresh (rotation)', refresh);
    // The chains moved on inside wrk; start the next round from fresh grants.
    p.refreshTokens = await reseedRefresh(p);
  }
  const ac = creds(apps.access!);
  const intro = p.accessTokens.map((t) => `token=${t}&client_id=${ac.client_id}&client_secret=${ac.client_secret}`);
  if (runs('introspection')) record(name, 'introspection', wrk('bodies.lua', url, { BENCH_BODIES: file(`${name}-intro.txt`, intro), BENCH_CYCLE: '1', BENCH_PATH: '/oauth/introspect', BENCH_EXPECT: '"active":true' }));
  if (runs('bearer')) record(name, 'bearer /api/v1/store', wrk('bearer.lua', url, { BENCH_BODIES: file(`${name}-bearer.txt`, p.accessTokens), BENCH_PATH: '/api/v1/store', BENCH_EXPECT: '"store_id"' }));
  if (opts.login && runs('login')) {
    const loginVars = { BENCH_BODIES: file(`${name}-login.txt`, [p.login.body]), BENCH_CYCLE: '1', BENCH_PATH: p.login.path, BENCH_COOKIE: p.login.cookie };
    record(name, 'seller login (argon2id)', wrk('bodies.lua', url, loginVars));
    // argon2 runs on libuv's pool: bearer calls must keep flowing during a login burst (8 connections).
    const [burstCmd, ...burstArgs] = pin(1, ['wrk', '-t1', '-c8', `-d${DURATION + 2}s`, '--timeout', '10s', '-s', join(luaDir, 'bodies.lua'), url.url]);
    const burst = spawn(burstCmd!, burstArgs, {
      env: { ...env, BENCH_LUA_DIR: luaDir, ...loginVars },
      stdio: 'ignore',
    });
    await new Promise((r) => setTimeout(r, 1000));
    record(name, 'bearer during login burst', wrk('bearer.lua', url, { BENCH_BODIES: file(`${name}-bearer.txt`, p.accessTokens), BENCH_PATH: '/api/v1/store', BENCH_EXPECT: '"store_id"' }));
    await new Promise((r) => burst.once('exit', r));
  }
}

async function runExchange(name: string, p: Prepared, opts: { flow: boolean }) {
  const url = p.ready;
  const apps = p.ready.apps!;
  // Single-use codes for one wrk run: as many as the last measured exchange rate needs for DURATION
  // (first round: a guess), made within at most 2 × DURATION seconds. The exchange run is then
  // shortened to what the codes last at 1.25 × the best rate seen, so it does not run dry.
  const est = exchangeRate.get(name) ?? 3000;
  const want = Math.ceil(est * 1.25 * DURATION);
  const cpu0 = cpuSeconds(p.ready.pid);
  const produced = await produceCodes(p, want, 2 * DURATION);
  const cpu1 = cpuSeconds(p.ready.pid);
  const cpuUs = cpu0 !== undefined && cpu1 !== undefined ? ((cpu1 - cpu0) * 1e6) / Math.max(1, produced.codes.length) : undefined;
  if (opts.flow) record(name, 'flow authorize→code', { rps: produced.rate, p50: produced.p50, p99: produced.p99, errors: produced.errors, requests: produced.codes.length, note: 'node client', cpuUs });
  const ex = creds(apps.exchange!);
  const bodies = produced.codes.map((code) => new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: p.ready.callback!, ...ex }).toString());
  const exDuration = Math.max(1, Math.min(DURATION, Math.floor(produced.codes.length / (est * 1.25))));
  const r = wrk('bodies.lua', url, { BENCH_BODIES: file(`${name}-codes.txt`, bodies), BENCH_PATH: '/oauth/token', BENCH_EXPECT: '"access_token"' }, exDuration);
  record(name, 'code exchange', r);
  // A run that ran dry under-reports its rate: then the estimate only grows.
  exchangeRate.set(name, r.exhausted ? Math.max(est, r.rps * 1.5) : Math.max(r.rps, 1));
}

/** New refresh chains for the next round: each seller authorizes the refresh app again (ends the old grant). */
async function reseedRefresh(p: Prepared): Promise<string[]> {
  const app = p.ready.apps!.refresh!;
  const out: string[] = [];
  await Promise.all(
    p.browsers.map(async (client) => {
      const { location } = await authorizeThroughForms(p.ready.url, authorizeUrl(p.ready, app.appKey), { username: '', password: '', client });
      const t = await tokenRequest(p.ready.url, { grant_type: 'authorization_code', code: new URL(location).searchParams.get('code')!, redirect_uri: p.ready.callback!, ...creds(app) });
      out.push(t.refresh_token);
    }),
  );
  return out;
}

// ---------- report ----------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Published anchors from issue 8 (same kind of 2-core machine, not this run). */
const ANCHORS: Record<string, { oidc?: number; oauth2server?: number }> = {
  'code exchange': { oidc: 2100, oauth2server: 6800 },
  'refresh (rotation)': { oidc: 2100, oauth2server: 6100 },
  introspection: { oidc: 3100 },
  'bearer /api/v1/store': { oauth2server: 19000 },
};

function table(): string {
  const ceiling = results.get('echo')?.get('echo form POST');
  const ceil = ceiling ? median(ceiling.map((r) => r.rps)) : undefined;
  const ceilCpu = ceiling ? median(ceiling.map((r) => r.cpuUs ?? NaN)) : undefined;
  const rows = [['target', 'workload', 'req/s (median)', 'rounds', 'spread', 'p50 ms', 'p99 ms', 'errors', '% ceiling', 'CPU µs/req', 'req/s per core†', '% ceiling†', 'x oidc-provider*', 'x oauth2-server*']];
  for (const [target, ws] of results) {
    for (const [workload, rs] of ws) {
      const rps = rs.map((r) => r.rps);
      const med = median(rps);
      const spread = rps.length > 1 ? `±${(((Math.max(...rps) - Math.min(...rps)) / 2 / med) * 100).toFixed(0)}%` : '';
      const a = ANCHORS[workload];
      const cpus = rs.map((r) => r.cpuUs).filter((x): x is number => x !== undefined);
      const cpu = cpus.length ? median(cpus) : undefined;
      rows.push([
        target,
        workload,
        med.toFixed(0),
        rps.map((x) => x.toFixed(0)).join(' / '),
        spread,
        median(rs.map((r) => r.p50)).toFixed(2),
        median(rs.map((r) => r.p99)).toFixed(2),
        String(rs.reduce((n, r) => n + r.errors, 0)) + (rs.some((r) => r.exhausted) ? ' (codes ran out)' : ''),
        ceil ? `${((med / ceil) * 100).toFixed(0)}%` : '',
        cpu ? cpu.toFixed(0) : '',
        cpu ? (1e6 / cpu).toFixed(0) : '',
        cpu && ceilCpu ? `${((ceilCpu / cpu) * 100).toFixed(0)}%` : '',
        a?.oidc ? (med / a.oidc).toFixed(2) : '',
        a?.oauth2server ? (med / a.oauth2server).toFixed(2) : '',
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

// ---------- main ----------

async function main() {
  const started = Date.now();
  const want = (t: string) => !ONLY || ONLY.includes(t);
  log(`bench: ${cpus().length} cpus (${cpus()[0]?.model}), node ${process.version}, ${ROUNDS} rounds × ${DURATION} s, ${CONNS} connections, ${hasTaskset ? 'servers on core 0, wrk on core 1' : 'NOT pinned (taskset missing or 1 cpu)'}`);
  const targets: Array<{ name: string; prepared: Prepared; login: boolean; flow: boolean }> = [];
  let echo: Ready | undefined;
  if (want('echo')) echo = await startTarget('echo-target.ts', []);
  if (want('sqlite')) {
    const ready = await startTarget('shouquan-target.ts', [`sqlite:${join(work, 'bench.db')}`]);
    targets.push({ name: 'sqlite', prepared: await prepare(ready), login: true, flow: true });
  }
  if (want('postgres')) {
    if (await pgAnswers()) {
      const ready = await startTarget('shouquan-target.ts', [await freshPgSchema()]);
      targets.push({ name: 'postgres', prepared: await prepare(ready), login: false, flow: true });
    } else log(`PostgreSQL does not answer at ${PG_URL.replace(/\/\/[^@]*@/, '//')}: skipped`);
  }
  if (want('sqlite-large') && FILL > 0) {
    log(`filling a SQLite database with ${FILL} tokens…`);
    const ready = await startTarget('shouquan-target.ts', [`sqlite:${join(work, 'large.db')}`, '--fill', String(FILL)]);
    targets.push({ name: `sqlite+${FILL >= 1e6 ? `${FILL / 1e6}M` : FILL} tokens`, prepared: await prepare(ready), login: false, flow: false });
  }
  log(`set-up done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}`);
    // Alternate the order every round so drift on a shared machine does not favour one target.
    const order = round % 2 ? targets : [...targets].reverse();
    if (echo && round % 2 === 1) record('echo', 'echo form POST', wrk('bodies.lua', echo, { BENCH_BODIES: file('echo.txt', ['grant_type=refresh_token&refresh_token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG&client_id=12345678&client_secret=0123456789abcdef0123456789abcdef']), BENCH_CYCLE: '1', BENCH_PATH: '/echo' }));
    for (const t of order) await runShouquan(t.name, t.prepared, { login: t.login, flow: t.flow });
    if (echo && round % 2 === 0) record('echo', 'echo form POST', wrk('bodies.lua', echo, { BENCH_BODIES: file('echo.txt', ['grant_type=refresh_token&refresh_token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG&client_id=12345678&client_secret=0123456789abcdef0123456789abcdef']), BENCH_CYCLE: '1', BENCH_PATH: '/echo' }));
  }
  const loadavg = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout?.trim();
  process.stdout.write(`\n${table()}\n\n* oidc-provider / oauth2-server columns: ratio to the published figures quoted in issue 8 (same kind of 2-core machine), not measured in this run.\n† from the server's own CPU time (user+system, all its threads) per request: what one fully available core would serve; steadier than req/s on a shared machine.\n`);
  process.stdout.write(`Machine: ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; load average at the end ${loadavg}; total ${((Date.now() - started) / 1000).toFixed(0)} s.\n`);
  if (env.BENCH_JSON) writeFileSync(env.BENCH_JSON, JSON.stringify(Object.fromEntries([...results].map(([k, v]) => [k, Object.fromEntries(v)])), null, 2));
}

async function shutdown() {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  for (const c of cleanups) await c().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}

process.once('SIGINT', () => void shutdown().then(() => process.exit(130)));
process.once('SIGTERM', () => void shutdown().then(() => process.exit(143)));
try {
  await main();
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await shutdown();
}
