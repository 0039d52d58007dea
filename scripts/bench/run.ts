/**
 * `npm run bench`: Shouquan (SQLite, PostgreSQL when it answers, SQLite with a large token table)
 * side by side with its peers measured in the same run — node-oidc-provider 9 and
 * @node-oauth/oauth2-server 5, both in memory — and a bare Fastify form-POST echo (the ceiling),
 * interleaved over several rounds (method: ADR 0053; peers and code pools: ADR 0081).
 *
 * Servers run pinned to core 0 (taskset), wrk to core 1, 32 connections on 127.0.0.1.
 * Codes, refresh tokens and access tokens are produced beforehand through each server's real
 * HTTP flows (Shouquan: authorize → login form → consent form → token endpoint; the peers: their
 * authorize endpoint and login/consent interaction), never written into a store directly.
 * Single-use codes: a pool sized from the last measured exchange rate is made right before each
 * exchange run (the codes live 600 s); wrk sends each once and the run ends when the last answer
 * is in, so the rate is answers / time actually spent (lua/common.lua).
 * Seller login (directory), key `directory`, with the SQLite target: a second SQLite Shouquan runs with
 * --seller-directory pointed at a real HTTP seller directory (directory-target.ts, pinned to core 1 with wrk)
 * that answers the bench's sellers as in issue 14 §1; wrk posts the login form (cycling over 16 directory
 * sellers, 16 connections, any answer but 303 is an error, as for the argon2id login). The directory times
 * each of its requests itself (arrival to end of answer): its p50/p99 are in the row's note and in
 * BENCH_JSON ("directory").
 *
 * Environment:
 *   BENCH_ROUNDS (3)            rounds; the table quotes the median
 *   BENCH_DURATION (4)          seconds per timed wrk run (and per full-flow run)
 *   BENCH_EXCHANGE_SECONDS (2)  seconds of code exchange the code pool is sized for
 *   BENCH_CONNECTIONS (32)      wrk connections
 *   BENCH_FLOW_CONNECTIONS (8)  concurrent browsers in the full-flow workload
 *   BENCH_FILL (1000000)        live filler tokens for the "large" target; 0 to skip (10000000 for 10 M)
 *   BENCH_PG_URL                PostgreSQL (default postgres://postgres@127.0.0.1:5432/test); skipped when it does not answer
 *   BENCH_ONLY                  comma list of targets (sqlite,postgres,sqlite-large,echo,oidc-provider,oauth2-server);
 *                               the workers comparison (`serve --workers N`, token workloads) runs only when
 *                               named: postgres-1w,postgres-2w,sqlite-1w (2 workers on cores 0,1; SQLite
 *                               refuses --workers 2, docs/adr/0090)
 *   BENCH_JSON                  write all raw results to this file
 *   BENCH_WORKLOADS             comma list (exchange,refresh,grace,introspection,bearer,router,login,directory,
 *                               flow,messages); default all;
 *                               `messages` alone runs only the message service bench (scripts/bench/messages.ts)
 *   BENCH_CPU_PROF              a folder: run the servers with --cpu-prof there (summarise with profile-summary.ts)
 *   BENCH_NODE_FLAGS            extra Node/V8 flags for every target process (e.g. "--single-threaded-gc")
 *   BENCH_B_FLAGS               with BENCH_ONLY naming sqlite-flags: a second SQLite target run with these Node/V8
 *   flags, interleaved (A/B); "--env-file=FILE" gives it environment variables, e.g. OTEL_* to
 *   measure tracing (docs/benchmarks.md, "Tracing's cost"; scripts/bench/otlp-receiver.ts)
 *   BENCH_SERVE_LOG_LEVEL       Shouquan logs at this level (serve's default is info) into a temp file; default: no
 *   logs
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
import { formatGmt8, signParams, type SignMethod } from '../../src/gateway/sign.js';
import { runMessageBench } from './messages.js';
import {
  peerBrowsers,
  peerCode,
  peerForm,
  peerTokens,
  retryOnce,
  type PeerBrowser,
  type PeerReady,
} from './peer-client.js';

const here = dirname(fileURLToPath(import.meta.url));
const luaDir = join(here, 'lua');
const env = process.env;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const DURATION = Number(env.BENCH_DURATION ?? 4);
const EXCHANGE_SECONDS = Number(env.BENCH_EXCHANGE_SECONDS ?? 2);
const CONNS = Number(env.BENCH_CONNECTIONS ?? 32);
const FLOW_CONNS = Number(env.BENCH_FLOW_CONNECTIONS ?? 8);
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
const pin = (core: number | string, cmd: string[]) => (hasTaskset ? ['taskset', '-c', String(core), ...cmd] : cmd);
const log = (s: string) => process.stderr.write(`${s}\n`);

// ---------- targets ----------

interface Ready {
  /** The server process (taskset execs node, so the same pid). */
  pid?: number;
  url: string;
  port: number;
  // Shouquan targets:
  apps?: Record<string, { appKey: string; appSecret: string }>;
  sellers?: Array<{ username: string; sellerId: number }>;
  password?: string;
  callback?: string;
}

async function startTarget<R extends { pid?: number } = Ready>(
  script: string,
  args: string[],
  cores = '0',
  extraFlags: string[] = [],
): Promise<R> {
  const prof = env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_CPU_PROF}`] : [];
  const flags = [...(env.BENCH_NODE_FLAGS ? env.BENCH_NODE_FLAGS.split(' ').filter(Boolean) : []), ...extraFlags];
  const [cmd, ...rest] = pin(cores, [
    process.execPath,
    ...flags,
    ...prof,
    '--import',
    'tsx',
    join(here, script),
    ...args,
  ]);
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, NODE_ENV: 'production' } });
  children.push(child);
  // oidc-provider warns about Node 20 and its development signing keys (we sign no JWTs): keep stderr quiet.
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!line.startsWith('oidc-provider WARNING')) process.stderr.write(`${line}\n`);
  });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    lines.on('line', (line) => {
      if (line.startsWith('{')) resolve({ ...(JSON.parse(line) as R), pid: child.pid });
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
  /** The run used up its single-use work and ended when the last answer was in (not an error). */
  drained?: boolean;
  note?: string;
  /** Server CPU time (user + system, all threads) per request, microseconds: robust to a busy machine. */
  cpuUs?: number;
  /** The seller directory's own time per request during the run (seller login (directory)). */
  directory?: DirectoryStats;
}

/** What directory-target.ts measured: requests answered, their p50/p99 in ms, and their statuses. */
interface DirectoryStats {
  requests: number;
  p50_ms: number;
  p99_ms: number;
  statuses: Record<string, number>;
}

const directoryNote = (ds: DirectoryStats[]) =>
  `directory p50 ${median(ds.map((d) => d.p50_ms)).toFixed(2)} ms, p99 ${median(ds.map((d) => d.p99_ms)).toFixed(2)} ms`;

/**
 * CPU seconds used so far by a process and its live descendants, e.g. serve --workers (Linux /proc; undefined
 * elsewhere).
 */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    const own = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100/s)
    return children.reduce((sum, c) => sum + (cpuSeconds(c) ?? 0), own);
  } catch {
    return undefined;
  }
}

function wrk(
  script: string,
  target: { url: string; pid?: number },
  vars: Record<string, string>,
  duration = DURATION,
  conns = CONNS,
): Result {
  const args = pin(1, [
    'wrk',
    '-t1',
    `-c${conns}`,
    `-d${duration}s`,
    '--timeout',
    '10s',
    '--latency',
    '-s',
    join(luaDir, script),
    target.url,
  ]);
  const cpu0 = cpuSeconds(target.pid);
  const res = spawnSync(args[0]!, args.slice(1), {
    env: { ...env, BENCH_LUA_DIR: luaDir, ...vars },
    encoding: 'utf8',
    timeout: (duration + 30) * 1000,
  });
  const m = /BENCH_RESULT (\{.*\})/.exec(res.stdout ?? '');
  if (!m) throw new Error(`wrk gave no result: ${res.stdout}\n${res.stderr}`);
  const r = JSON.parse(m[1]!);
  const bad = /BENCH_FIRST_BAD (.*)/.exec(res.stderr ?? '');
  if (bad && r.errors > 0) log(`    first unexpected answer (${script}): ${bad[1]}`);
  const cpu1 = cpuSeconds(target.pid);
  const cpuUs =
    cpu0 !== undefined && cpu1 !== undefined && r.requests > 0 ? ((cpu1 - cpu0) * 1e6) / r.requests : undefined;
  return {
    rps: r.rps,
    p50: r.p50_us / 1000,
    p99: r.p99_us / 1000,
    errors: r.errors,
    requests: r.requests,
    drained: r.drained > 0,
    cpuUs,
  };
}

function file(name: string, lines: string[]): string {
  const p = join(work, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

/** A refresh_token grant's form with client_secret_post credentials. */
const refreshForm = (refreshToken: string, client: { client_id: string; client_secret: string }) => ({
  grant_type: 'refresh_token',
  refresh_token: refreshToken,
  ...client,
});

async function tokenRequest(url: string, form: Record<string, string>): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;

interface Produced {
  codes: string[];
  rate: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * Run `flow(browser)` (one browser-side authorization, returns a code) in one sequential loop per
 * browser, at most CONNS at a time, until `count` codes exist or `maxSeconds` pass.
 * The rate is flows per second as driven by this Node client (not pinned: it shares core 1 with nothing else while no
 * wrk runs).
 */
async function produceWith<B>(
  browsers: B[],
  flow: (b: B) => Promise<string | null>,
  count: number,
  maxSeconds: number,
): Promise<Produced> {
  const codes: string[] = [];
  const lat: number[] = [];
  let errors = 0;
  let left = count;
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  await Promise.all(
    browsers.slice(0, CONNS).map(async (b) => {
      while (left-- > 0 && performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const code = await flow(b);
          if (code) codes.push(code);
          else errors++;
        } catch (e) {
          if (errors++ === 0) log(`  code pool: first error: ${(e as Error).message}`);
        }
        lat.push(performance.now() - t0);
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  return { codes, rate: codes.length / secs, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), errors };
}

// ---------- results ----------

type Results = Map<string, Map<string, Result[]>>;
const results: Results = new Map();
function record(target: string, workload: string, r: Result) {
  if (!results.has(target)) results.set(target, new Map());
  const t = results.get(target)!;
  if (!t.has(workload)) t.set(workload, []);
  t.get(workload)!.push(r);
  log(
    `  ${target.padEnd(16)} ${workload.padEnd(28)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}` +
      `${r.cpuUs !== undefined ? `  cpu ${r.cpuUs.toFixed(0)} µs/req` : ''}  n=${r.requests}${r.drained ? ' (pool used up)' : ''}`,
  );
}

/** Last measured code-exchange rate per target: sizes the next round's code pool. */
const exchangeRate = new Map<string, number>();

/**
 * Code exchange without running dry: produce a pool of codes worth EXCHANGE_SECONDS at the last
 * measured rate (first round: a guess), at most 2 × DURATION seconds of production, then let wrk
 * exchange each once; the run ends when the last answer is in and the rate is answers / time spent.
 */
async function exchangeRun(
  name: string,
  target: { url: string; pid?: number },
  produce: (count: number, maxSeconds: number) => Promise<Produced>,
  body: (code: string) => string,
  tokenPath: string,
) {
  const est = exchangeRate.get(name) ?? 3000;
  const want = Math.min(60_000, Math.max(500, Math.ceil(est * EXCHANGE_SECONDS)));
  const cpu0 = cpuSeconds(target.pid);
  const produced = await produce(want, 2 * DURATION);
  const cpu1 = cpuSeconds(target.pid);
  const cpuUs =
    cpu0 !== undefined && cpu1 !== undefined ? ((cpu1 - cpu0) * 1e6) / Math.max(1, produced.codes.length) : undefined;
  record(name, 'flow authorize→code', {
    rps: produced.rate,
    p50: produced.p50,
    p99: produced.p99,
    errors: produced.errors,
    requests: produced.codes.length,
    note: 'node client',
    cpuUs,
  });
  if (!runs('exchange') || produced.codes.length === 0) return;
  // wrk's -d is only a ceiling here: the run ends when the pool is used up.
  const ceiling = Math.min(60, Math.ceil((produced.codes.length / Math.max(est, 1)) * 3) + 2);
  const r = wrk(
    'bodies.lua',
    target,
    {
      BENCH_BODIES: file(`${name}-codes.txt`, produced.codes.map(body)),
      BENCH_PATH: tokenPath,
      BENCH_EXPECT: '"access_token"',
    },
    ceiling,
  );
  record(name, 'code exchange', r);
  exchangeRate.set(name, Math.max(r.rps, 100));
}

// ---------- Shouquan ----------

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
  const token = `${ready.url}/oauth/token`;
  // Every seller logs in through the login form once, then authorizes the refresh and access apps.
  const queue = [...sellers.keys()];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const s = sellers[i]!;
        const a = await retryOnce(() =>
          authorizeThroughForms(ready.url, authorizeUrl(ready, apps.refresh!.appKey), {
            username: s.username,
            password: ready.password!,
          }),
        );
        const t1 = await tokenRequest(token, {
          grant_type: 'authorization_code',
          code: new URL(a.location).searchParams.get('code')!,
          redirect_uri: ready.callback!,
          ...creds(apps.refresh!),
        });
        refreshTokens.push(t1.refresh_token);
        const b = await retryOnce(() =>
          authorizeThroughForms(ready.url, authorizeUrl(ready, apps.access!.appKey), {
            username: s.username,
            password: ready.password!,
            client: a.client,
          }),
        );
        const t2 = await tokenRequest(token, {
          grant_type: 'authorization_code',
          code: new URL(b.location).searchParams.get('code')!,
          redirect_uri: ready.callback!,
          ...creds(apps.access!),
        });
        accessTokens.push(t2.access_token);
        browsers[i] = a.client;
      }
    }),
  );
  const form = await loginForm(ready, [sellers[0]!.username], ready.password!);
  return {
    ready,
    browsers,
    refreshTokens,
    accessTokens,
    login: { path: form.path, cookie: form.cookie, body: form.bodies[0]! },
  };
}

/** A login form to post again and again (the seller-login workloads): one interaction, its cookie and CSRF token. */
async function loginForm(ready: Ready, usernames: string[], password: string) {
  const fc = new FormClient(ready.url);
  const res = await fc.get(authorizeUrl(ready, ready.apps!.exchange!.appKey));
  const page = await (await fc.get(res.headers.get('location')!)).text();
  const csrf = hiddenInput(page, 'csrf_token')!;
  const bodies = usernames.map((username) => new URLSearchParams({ csrf_token: csrf, username, password }).toString());
  const cookie = [...fc.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return { path: formAction(page)!, cookie, bodies };
}

/** A Shouquan target signing sellers in through the HTTP seller directory (directory-target.ts) it is pointed at. */
interface DirectoryPrepared {
  ready: Ready;
  /** The directory's `GET /stats`: its own time per request since the last call. */
  stats: string;
  login: { path: string; cookie: string; bodies: string[] };
}

async function prepareDirectory(db: string): Promise<DirectoryPrepared> {
  // The shared secret, from the environment for both sides as for `serve --seller-directory`.
  env.SHOUQUAN_SELLER_DIRECTORY_SECRET ??= randomBytes(32).toString('hex');
  // The directory shares core 1 with wrk, like the other helper processes: core 0 is Shouquan's alone.
  const dir = await startTarget<{ pid?: number; url: string; stats: string; sellers: string[]; password: string }>(
    'directory-target.ts',
    [],
    '1',
  );
  const ready = await startTarget('shouquan-target.ts', [db, '--sellers', '1', '--seller-directory', dir.url]);
  return { ready, stats: dir.stats, login: await loginForm(ready, dir.sellers, dir.password) };
}

/**
 * Logins in flight at once: below the per-IP login budget (30 attempts from one address, docs/adr/0110), which
 * 32 connections from 127.0.0.1 exceed at times (those answers are 429 refusals, not logins).
 */
const DIRECTORY_CONNS = Math.min(CONNS, 16);

/**
 * Seller login through the directory, cycling over its sellers; the directory's own time per request
 * (arrival to end of its answer) beside the row, so Shouquan's cost is seen apart from the directory's.
 */
async function directoryLogin(name: string, d: DirectoryPrepared): Promise<Result> {
  const stats = async () => (await (await fetch(d.stats)).json()) as DirectoryStats;
  await stats(); // counts afresh from here
  const r = wrk(
    'bodies.lua',
    d.ready,
    {
      BENCH_BODIES: file(`${name}-directory.txt`, d.login.bodies),
      BENCH_CYCLE: '1',
      BENCH_PATH: d.login.path,
      BENCH_COOKIE: d.login.cookie,
      // Signed in: 303 back to the interaction (consent); 401, 429, 503 or anything else is an error.
      BENCH_EXPECT_STATUS: '303',
    },
    DURATION,
    DIRECTORY_CONNS,
  );
  const directory = await stats();
  return { ...r, directory, note: directoryNote([directory]) };
}

/** The browser side with a logged-in seller: authorize → consent page → consent POST → code. */
function shouquanCodes(p: Prepared) {
  const app = p.ready.apps!.exchange!;
  return (count: number, maxSeconds: number) =>
    produceWith(
      p.browsers,
      // A new authorization each time, so trying again after a dropped keep-alive socket is safe.
      async (client) =>
        retryOnce(async () =>
          new URL(
            (
              await authorizeThroughForms(p.ready.url, authorizeUrl(p.ready, app.appKey), {
                username: '',
                password: '',
                client,
              })
            ).location,
          ).searchParams.get('code'),
        ),
      count,
      maxSeconds,
    );
}

/**
 * Signed router calls (`POST /router/rest`, TOP convention, docs/gateway.md): `<prefix>.store.get`
 * for each seller's store with its access token as `session`, half signed md5, half hmac-sha256,
 * every parameter in the form body. Signed now; the timestamp stays valid for the server's skew
 * (600 s), longer than the run that uses them.
 */
function routerBodies(p: Prepared): string[] {
  const app = p.ready.apps!.access!;
  const timestamp = formatGmt8(Date.now());
  return p.accessTokens.flatMap((session) =>
    (['md5', 'hmac-sha256'] as SignMethod[]).map((signMethod) => {
      const params = {
        method: 'shouquan.store.get',
        app_key: app.appKey,
        session,
        timestamp,
        v: '2.0',
        format: 'json',
        sign_method: signMethod,
      };
      return new URLSearchParams({ ...params, sign: signParams(params, app.appSecret, signMethod) }).toString();
    }),
  );
}

/**
 * Full flow, as a new browser each time: authorize → login form (argon2id) → consent form → code →
 * token endpoint. FLOW_CONNS browsers at once for DURATION seconds (Node client loop); counts
 * complete flows per second, up to the last one that finished.
 */
async function fullFlow(p: Prepared): Promise<Result> {
  const app = p.ready.apps!.flow!;
  const sellers = p.ready.sellers!;
  const lat: number[] = [];
  let next = 0;
  let done = 0;
  let errors = 0;
  const cpu0 = cpuSeconds(p.ready.pid);
  const t0 = performance.now();
  let last = t0;
  const deadline = t0 + DURATION * 1000;
  await Promise.all(
    Array.from({ length: FLOW_CONNS }, async () => {
      while (performance.now() < deadline && errors < 50) {
        const s = sellers[next++ % sellers.length]!;
        const start = performance.now();
        try {
          const { location } = await authorizeThroughForms(p.ready.url, authorizeUrl(p.ready, app.appKey), {
            username: s.username,
            password: p.ready.password!,
          });
          const code = new URL(location).searchParams.get('code');
          if (!code) throw new Error(`no code in ${location}`);
          await tokenRequest(`${p.ready.url}/oauth/token`, {
            grant_type: 'authorization_code',
            code,
            redirect_uri: p.ready.callback!,
            ...creds(app),
          });
          done++;
          last = performance.now();
          lat.push(last - start);
        } catch (e) {
          if (errors++ === 0) log(`  full flow: first error: ${(e as Error).message}`);
        }
      }
    }),
  );
  const cpu1 = cpuSeconds(p.ready.pid);
  lat.sort((a, b) => a - b);
  const cpuUs = cpu0 !== undefined && cpu1 !== undefined && done > 0 ? ((cpu1 - cpu0) * 1e6) / done : undefined;
  return {
    rps: done / Math.max(0.001, (last - t0) / 1000),
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    errors,
    requests: done,
    note: 'node client',
    cpuUs,
  };
}

async function runShouquan(
  name: string,
  p: Prepared,
  opts: { login: boolean; flow: boolean; router?: boolean; directory?: DirectoryPrepared },
) {
  const target = p.ready;
  const apps = p.ready.apps!;
  const ex = creds(apps.exchange!);
  if (runs('exchange') || runs('flow'))
    await exchangeRun(
      name,
      target,
      shouquanCodes(p),
      (code) =>
        new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: p.ready.callback!,
          ...ex,
        }).toString(),
      '/oauth/token',
    );
  if (runs('refresh')) {
    const rf = creds(apps.refresh!);
    const refresh = wrk('refresh.lua', target, {
      BENCH_BODIES: file(`${name}-refresh.txt`, p.refreshTokens),
      BENCH_AUTH: `&client_id=${rf.client_id}&client_secret=${rf.client_secret}`,
      BENCH_PATH: '/oauth/token',
    });
    record(name, 'refresh (rotation)', refresh);
    // The chains moved on inside wrk; start the next round from fresh grants.
    p.refreshTokens = await reseedRefresh(p);
  }
  if (runs('grace')) {
    // A client retrying a refresh whose answer it lost (docs/adr/0100): each chain is rotated once here, then
    // wrk replays the rotated tokens within the grace window; every answer is the sealed successor, again.
    const rf = creds(apps.refresh!);
    const rotated = p.refreshTokens;
    const successors = await Promise.all(
      rotated.map(async (t) => (await tokenRequest(`${target.url}/oauth/token`, refreshForm(t, rf))).refresh_token),
    );
    record(
      name,
      'refresh retried in grace',
      wrk('bodies.lua', target, {
        BENCH_BODIES: file(
          `${name}-grace.txt`,
          rotated.map((t) => new URLSearchParams(refreshForm(t, rf)).toString()),
        ),
        BENCH_CYCLE: '1',
        BENCH_PATH: '/oauth/token',
        BENCH_EXPECT: '"access_token"',
      }),
    );
    // The successors are live: the next round's refresh chains start from them.
    p.refreshTokens = successors;
  }
  const ac = creds(apps.access!);
  const intro = p.accessTokens.map((t) => `token=${t}&client_id=${ac.client_id}&client_secret=${ac.client_secret}`);
  if (runs('introspection'))
    record(
      name,
      'introspection',
      wrk('bodies.lua', target, {
        BENCH_BODIES: file(`${name}-intro.txt`, intro),
        BENCH_CYCLE: '1',
        BENCH_PATH: '/oauth/introspect',
        BENCH_EXPECT: '"active":true',
      }),
    );
  const bearerVars = {
    BENCH_BODIES: file(`${name}-bearer.txt`, p.accessTokens),
    BENCH_PATH: '/api/v1/store',
    BENCH_EXPECT: '"store_id"',
  };
  if (runs('bearer')) record(name, 'bearer API call', wrk('bearer.lua', target, bearerVars));
  if (opts.router !== false && runs('router'))
    record(
      name,
      'signed router store.get',
      wrk('bodies.lua', target, {
        BENCH_BODIES: file(`${name}-router.txt`, routerBodies(p)),
        BENCH_CYCLE: '1',
        BENCH_PATH: '/router/rest',
        BENCH_EXPECT: '"shouquan_store_get_response"',
      }),
    );
  if (opts.login && runs('login')) {
    const loginVars = {
      BENCH_BODIES: file(`${name}-login.txt`, [p.login.body]),
      BENCH_CYCLE: '1',
      BENCH_PATH: p.login.path,
      BENCH_COOKIE: p.login.cookie,
      BENCH_EXPECT_STATUS: '303',
    };
    record(name, 'seller login (argon2id)', wrk('bodies.lua', target, loginVars));
    // argon2 runs on libuv's pool: bearer calls must keep flowing during a login burst (8 connections).
    const [burstCmd, ...burstArgs] = pin(1, [
      'wrk',
      '-t1',
      '-c8',
      `-d${DURATION + 2}s`,
      '--timeout',
      '10s',
      '-s',
      join(luaDir, 'bodies.lua'),
      target.url,
    ]);
    const burst = spawn(burstCmd!, burstArgs, {
      env: { ...env, BENCH_LUA_DIR: luaDir, ...loginVars },
      stdio: 'ignore',
    });
    await new Promise((r) => setTimeout(r, 1000));
    record(name, 'bearer during login burst', wrk('bearer.lua', target, bearerVars));
    await new Promise((r) => burst.once('exit', r));
  }
  if (opts.directory && runs('directory'))
    record(name, 'seller login (directory)', await directoryLogin(name, opts.directory));
  if (opts.flow && runs('flow')) record(name, 'full flow (login+consent+exchange)', await fullFlow(p));
}

/** New refresh chains for the next round: each seller authorizes the refresh app again (ends the old grant). */
async function reseedRefresh(p: Prepared): Promise<string[]> {
  const app = p.ready.apps!.refresh!;
  const out: string[] = [];
  await Promise.all(
    // A keep-alive socket the server dropped while wrk ran surfaces as "fetch failed": the flow is
    // started again from the authorize request (the abandoned interaction simply expires).
    p.browsers.map(async (client) => {
      const t = await retryOnce(async () => {
        const { location } = await authorizeThroughForms(p.ready.url, authorizeUrl(p.ready, app.appKey), {
          username: '',
          password: '',
          client,
        });
        return tokenRequest(`${p.ready.url}/oauth/token`, {
          grant_type: 'authorization_code',
          code: new URL(location).searchParams.get('code')!,
          redirect_uri: p.ready.callback!,
          ...creds(app),
        });
      });
      out.push(t.refresh_token);
    }),
  );
  return out;
}

// ---------- peers ----------

interface PeerPrepared {
  ready: PeerReady;
  browsers: PeerBrowser[];
  refreshTokens: string[];
  accessTokens: string[];
}

async function preparePeer(ready: PeerReady): Promise<PeerPrepared> {
  const browsers = await peerBrowsers(ready);
  const refreshTokens: string[] = [];
  const accessTokens: string[] = [];
  for (const b of browsers) {
    const t = await peerTokens(ready, b);
    refreshTokens.push(t.refresh_token);
    accessTokens.push(t.access_token);
  }
  return { ready, browsers, refreshTokens, accessTokens };
}

async function runPeer(name: string, p: PeerPrepared) {
  const r = p.ready;
  if (runs('exchange') || runs('flow'))
    await exchangeRun(
      name,
      r,
      (count, maxSeconds) => produceWith(p.browsers, (b) => peerCode(r, b), count, maxSeconds),
      (code) => peerForm(r, { grant_type: 'authorization_code', code, redirect_uri: r.callback }),
      r.paths.token,
    );
  if (runs('refresh')) {
    record(
      name,
      'refresh (rotation)',
      wrk('refresh.lua', r, {
        BENCH_BODIES: file(`${name}-refresh.txt`, p.refreshTokens),
        BENCH_AUTH: `&${peerForm(r, {})}`,
        BENCH_PATH: r.paths.token,
      }),
    );
    p.refreshTokens = await Promise.all(p.browsers.map(async (b) => (await peerTokens(r, b)).refresh_token));
  }
  if (r.paths.introspect && runs('introspection'))
    record(
      name,
      'introspection',
      wrk('bodies.lua', r, {
        BENCH_BODIES: file(
          `${name}-intro.txt`,
          p.accessTokens.map((token) => peerForm(r, { token })),
        ),
        BENCH_CYCLE: '1',
        BENCH_PATH: r.paths.introspect,
        BENCH_EXPECT: '"active":true',
      }),
    );
  if (r.paths.bearer && runs('bearer'))
    record(
      name,
      'bearer API call',
      wrk('bearer.lua', r, {
        BENCH_BODIES: file(`${name}-bearer.txt`, p.accessTokens),
        BENCH_PATH: r.paths.bearer,
        BENCH_EXPECT: '"store_id"',
      }),
    );
}

// ---------- report ----------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Published anchors from issue 8 (same kind of 2-core machine, not this run): the footnote only. */
const PUBLISHED =
  'node-oidc-provider 9 in memory: code exchange 2.1 k, refresh 2.1 k, introspection 3.1 k req/s; @node-oauth/oauth2-server 5 in memory: exchange 6.8 k, refresh 6.1 k, bearer 19 k req/s';

const PEERS = ['oidc-provider', 'oauth2-server'];

function table(): string {
  const med = (target: string, workload: string, f: (r: Result) => number | undefined) => {
    const xs = (results.get(target)?.get(workload) ?? [])
      .map(f)
      .filter((x): x is number => x !== undefined && Number.isFinite(x));
    return xs.length ? median(xs) : undefined;
  };
  const ceil = med('echo', 'echo form POST', (r) => r.rps);
  const ceilCpu = med('echo', 'echo form POST', (r) => r.cpuUs);
  const head = [
    'target',
    'workload',
    'req/s (median)',
    'rounds',
    'spread',
    'p50 ms',
    'p99 ms',
    'errors',
    '% ceiling',
    'CPU µs/req',
    'req/s per core†',
    '% ceiling†',
  ];
  for (const peer of PEERS) head.push(`x ${peer}`, `x ${peer}†`);
  const rows = [head];
  for (const [target, ws] of results) {
    for (const [workload, rs] of ws) {
      const rps = rs.map((r) => r.rps);
      const m = median(rps);
      const spread = rps.length > 1 ? `±${(((Math.max(...rps) - Math.min(...rps)) / 2 / m) * 100).toFixed(0)}%` : '';
      const cpu = med(target, workload, (r) => r.cpuUs);
      // The directory's own time: the medians over the rounds, like the row's.
      const dirs = rs.flatMap((r) => (r.directory ? [r.directory] : []));
      const note = dirs.length ? directoryNote(dirs) : rs[0]?.note;
      const row = [
        target,
        workload + (note ? ` (${note})` : ''),
        m.toFixed(0),
        rps.map((x) => x.toFixed(0)).join(' / '),
        spread,
        median(rs.map((r) => r.p50)).toFixed(2),
        median(rs.map((r) => r.p99)).toFixed(2),
        String(rs.reduce((n, r) => n + r.errors, 0)),
        ceil ? `${((m / ceil) * 100).toFixed(0)}%` : '',
        cpu ? cpu.toFixed(0) : '',
        cpu ? (1e6 / cpu).toFixed(0) : '',
        cpu && ceilCpu ? `${((ceilCpu / cpu) * 100).toFixed(0)}%` : '',
      ];
      for (const peer of PEERS) {
        const mine = !PEERS.includes(target) && target !== 'echo';
        const theirs = mine ? med(peer, workload, (r) => r.rps) : undefined;
        const theirsCpu = mine ? med(peer, workload, (r) => r.cpuUs) : undefined;
        row.push(theirs ? (m / theirs).toFixed(2) : '', theirsCpu && cpu ? (theirsCpu / cpu).toFixed(2) : '');
      }
      rows.push(row);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

// ---------- main ----------

async function main() {
  // The message service alone (scripts/bench/messages.ts): no token targets to set up.
  if (WORKLOADS && WORKLOADS.length === 1 && WORKLOADS[0] === 'messages') {
    await runMessageBench(ONLY);
    return;
  }
  const started = Date.now();
  const want = (t: string) => !ONLY || ONLY.includes(t);
  const load0 = readFileSync('/proc/loadavg', 'utf8').trim();
  log(
    `bench: ${cpus().length} cpus (${cpus()[0]?.model}), node ${process.version}, ${ROUNDS} rounds × ${DURATION} s, ${CONNS} connections, ${hasTaskset ? 'servers on core 0, wrk on core 1' : 'NOT pinned (taskset missing or 1 cpu)'}; load average ${load0}`,
  );
  const targets: Array<{ name: string; run: () => Promise<void> }> = [];
  const echoBody = file('echo.txt', [
    'grant_type=refresh_token&refresh_token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG&client_id=12345678&client_secret=0123456789abcdef0123456789abcdef',
  ]);
  // The large database fills inside its own process while the others are prepared.
  const large =
    want('sqlite-large') && FILL > 0
      ? startTarget('shouquan-target.ts', [`sqlite:${join(work, 'large.db')}`, '--fill', String(FILL)])
      : undefined;
  if (large) log(`filling a SQLite database with ${FILL} tokens…`);
  if (want('echo')) {
    const echo = await startTarget('echo-target.ts', []);
    targets.push({
      name: 'echo',
      run: async () =>
        record(
          'echo',
          'echo form POST',
          wrk('bodies.lua', echo, { BENCH_BODIES: echoBody, BENCH_CYCLE: '1', BENCH_PATH: '/echo' }),
        ),
    });
  }
  for (const peer of PEERS) {
    if (!want(peer)) continue;
    const p = await preparePeer(await startTarget<PeerReady>(`${peer}-target.ts`, []));
    targets.push({ name: peer, run: () => runPeer(peer, p) });
  }
  if (want('sqlite')) {
    const p = await prepare(await startTarget('shouquan-target.ts', [`sqlite:${join(work, 'bench.db')}`]));
    // Seller login through the HTTP seller directory: a second SQLite Shouquan with --seller-directory.
    const directory = runs('directory') ? await prepareDirectory(`sqlite:${join(work, 'directory.db')}`) : undefined;
    targets.push({ name: 'sqlite', run: () => runShouquan('sqlite', p, { login: true, flow: true, directory }) });
  }
  // An A/B twin of the SQLite target with extra Node/V8 flags, interleaved with it (opt-in).
  if (ONLY?.includes('sqlite-flags') && env.BENCH_B_FLAGS) {
    const p = await prepare(
      await startTarget(
        'shouquan-target.ts',
        [`sqlite:${join(work, 'bench-b.db')}`],
        '0',
        env.BENCH_B_FLAGS.split(' ').filter(Boolean),
      ),
    );
    // The name is used in file names: the flags are logged, not put in it.
    const name = 'sqlite B';
    log(`sqlite B: node ${env.BENCH_B_FLAGS}`);
    targets.push({ name, run: () => runShouquan(name, p, { login: false, flow: false }) });
  }
  if (want('postgres')) {
    if (await pgAnswers()) {
      const p = await prepare(await startTarget('shouquan-target.ts', [await freshPgSchema()]));
      targets.push({ name: 'postgres', run: () => runShouquan('postgres', p, { login: false, flow: true }) });
    } else log(`PostgreSQL does not answer at ${PG_URL.replace(/\/\/[^@]*@/, '//')}: skipped`);
  }
  if (large) {
    const name = `sqlite+${FILL >= 1e6 ? `${FILL / 1e6}M` : FILL} tokens`;
    const p = await prepare(await large);
    targets.push({ name, run: () => runShouquan(name, p, { login: false, flow: false }) });
  }
  // serve --workers N through the CLI (token workloads), only when BENCH_ONLY names them.
  for (const [name, db, workers] of [
    ['sqlite-1w', 'sqlite', 1],
    ['postgres-1w', 'postgres', 1],
    ['postgres-2w', 'postgres', 2],
  ] as const) {
    if (!ONLY?.includes(name)) continue;
    if (db === 'postgres' && !(await pgAnswers())) continue;
    const url = db === 'postgres' ? await freshPgSchema() : `sqlite:${join(work, `${name}.db`)}`;
    // Two workers get both cores; wrk stays on core 1, so on a 2-core machine it shares a core with a worker.
    const p = await prepare(
      await startTarget('shouquan-target.ts', [url, '--workers', String(workers)], workers > 1 ? '0,1' : '0'),
    );
    // The CLI serves without the gateway here, so no signed-router workload.
    targets.push({ name, run: () => runShouquan(name, p, { login: false, flow: false, router: false }) });
  }
  const setup = (Date.now() - started) / 1000;
  log(`set-up done in ${setup.toFixed(0)} s`);
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}`);
    // Alternate the order every round so drift on a shared machine does not favour one target.
    for (const t of round % 2 ? targets : [...targets].reverse()) await t.run();
  }
  const load1 = readFileSync('/proc/loadavg', 'utf8').trim();
  process.stdout.write(
    `\n${table()}\n\n` +
      `x <peer>: this row's req/s divided by the peer's median req/s for the same workload, measured in this run; x <peer>†: the same from server CPU time per request (the peer's µs / ours).\n` +
      `† from the server's own CPU time (user+system, all its threads) per request: what one fully available core would serve; steadier than req/s on a shared machine.\n` +
      `Code exchange: each code once, from a pool made just before the run through the real flow; the run ends when the pool is used up (req/s = answers / time spent). "node client" rows are driven by this Node process, not wrk.\n` +
      `Published figures (issue 8, same kind of 2-core machine, for reference only): ${PUBLISHED}.\n`,
  );
  process.stdout.write(
    `Machine: ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; load average at the start ${load0}, at the end ${load1}; set-up ${setup.toFixed(0)} s, total ${((Date.now() - started) / 1000).toFixed(0)} s.\n`,
  );
  if (env.BENCH_JSON)
    writeFileSync(
      env.BENCH_JSON,
      JSON.stringify(Object.fromEntries([...results].map(([k, v]) => [k, Object.fromEntries(v)])), null, 2),
    );
  if (runs('messages')) await runMessageBench(ONLY);
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
