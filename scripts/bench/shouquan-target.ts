/**
 * One Shouquan server for the bench, in its own process (the orchestrator pins it to a core).
 * Usage: node --import tsx scripts/bench/shouquan-target.ts <database-url> [--fill N] [--workers N]
 *   [--seller-directory URL]
 *
 * Starts the real server (standard profile, logger off, the Open API gateway with quotas high
 * enough never to refuse a bench call: the quota counters are still charged on every router call;
 * OpenTelemetry tracing when the environment asks for it, as `serve` does),
 * registers the bench apps and sellers
 * through the admin functions, optionally fills the tokens table with N unrelated live tokens
 * (for the 1 M / 10 M workloads), and prints one JSON line with everything the load generator
 * needs. Codes and tokens are NOT made here: the orchestrator gets them through the HTTP flows.
 *
 * With `--workers N` the server is the real CLI instead, `shouquan serve --workers N --log-level
 * silent` (a child of this process; the orchestrator counts the CPU of the whole process tree).
 * `--workers 1` is the CLI's single process, the baseline for the workers comparison.
 *
 * With `--seller-directory URL` sellers sign in through the platform's HTTP seller directory
 * (`serve --seller-directory`, docs/adr/0125; the secret from SHOUQUAN_SELLER_DIRECTORY_SECRET as
 * for the CLI): the "seller login (directory)" workload, against scripts/bench/directory-target.ts.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createSeller } from '../../src/admin.js';
import { createApp } from '../../src/apps/apps.js';
import { hashPassword } from '../../src/crypto/password.js';
import { getProfile } from '../../src/profiles/registry.js';
import { buildServer, createCoreContext, openStorage } from '../../src/runtime.js';
import { DEFAULT_SELLER_DIRECTORY_TIMEOUT_MS } from '../../src/sellers/seller-directory.js';
import { fillTokens } from './fill.js';
import { startTracing } from '../../src/tracing/tracing.js';
import pino from 'pino';
import { tmpdir } from 'node:os';

const [url, ...rest] = process.argv.slice(2);
if (!url) throw new Error('usage: shouquan-target.ts <database-url> [--fill N] [--sellers N]');
const flag = (name: string, def: number) => {
  const i = rest.indexOf(name);
  return i === -1 ? def : Number(rest[i + 1]);
};
const fill = flag('--fill', 0);
const sellerCount = flag('--sellers', 64);
const workers = flag('--workers', 0);
const directoryAt = rest.indexOf('--seller-directory');
const sellerDirectory =
  directoryAt === -1
    ? undefined
    : {
        url: rest[directoryAt + 1]!,
        secret: process.env.SHOUQUAN_SELLER_DIRECTORY_SECRET ?? '',
        timeoutMs: DEFAULT_SELLER_DIRECTORY_TIMEOUT_MS,
      };
if (sellerDirectory && !sellerDirectory.secret)
  throw new Error('--seller-directory needs SHOUQUAN_SELLER_DIRECTORY_SECRET');

// Tracing as `serve` starts it, before the database opens: off unless the environment sets an OTLP
// endpoint (e.g. through BENCH_B_FLAGS="--env-file=…" for the A/B twin; docs/benchmarks.md, "Tracing").
if (workers === 0) await startTracing(process.env, (m) => process.stderr.write(`shouquan-target: ${m}\n`));
const storage = await openStorage(url, { createIfMissing: true });
const core = await createCoreContext({ storage, profile: getProfile('standard'), issuer: 'http://127.0.0.1' });
// With --workers the real CLI serves (started below, after the set-up); otherwise this process does.
// BENCH_SERVE_LOG_LEVEL: log as `serve` does at that level (its default is info: two lines per
// request), into a file in the temporary directory, since stdout carries the ready line.
const logLevel = process.env.BENCH_SERVE_LOG_LEVEL;
// pino's own synchronous file destination: what `serve` does with stdout redirected to a file.
const logger =
  logLevel && logLevel !== 'silent'
    ? {
        level: logLevel,
        stream: pino.destination({ dest: join(tmpdir(), `shouquan-bench-${process.pid}.log`), sync: true }),
      }
    : false;
const server =
  workers > 0
    ? undefined
    : await buildServer({
        core,
        logger,
        gateway: { defaultQuotaPerSecond: 1e9, defaultQuotaPerDay: 1e12 },
        sellerDirectory,
      });
await server?.listen({ host: '127.0.0.1', port: 0 });
const addr = server?.server.address();
let port = typeof addr === 'object' && addr ? addr.port : 0;
core.issuer = `http://127.0.0.1:${port}`;

const callback = 'https://isv.example.com/callback';
// One app per workload family so that workloads do not end each other's grants (one live grant per
// seller and app): codes for the exchange run, refresh chains, access tokens (introspection, bearer,
// router), and the full flow's fresh grants.
const apps: Record<string, { appKey: string; appSecret: string }> = {};
for (const role of ['exchange', 'refresh', 'access', 'flow'])
  apps[role] = await createApp(storage, core.secretKey, { name: `Bench ${role}`, callbacks: [callback] });
const password = 'bench-password-1';
// The first seller through the admin path (argon2id); the others share its hash so the set-up does
// not spend minutes hashing. Every seller still logs in through the real login form.
const first = await createSeller(storage, { username: 'bench0', password, stores: ['Store 0'] });
const sellers = [{ username: 'bench0', sellerId: first.sellerId }];
const hash = await hashPassword(password);
for (let i = 1; i < sellerCount; i++) {
  const made = await storage.sellers.create({ username: `bench${i}`, passwordHash: hash, createdAt: Date.now() }, [
    `Store ${i}`,
  ]);
  sellers.push({ username: `bench${i}`, sellerId: made.seller.sellerId });
}
if (fill > 0) {
  const filler = await createApp(storage, core.secretKey, { name: 'Bench filler', callbacks: [callback] });
  await fillTokens(url, fill, filler.appKey);
}

let cli: ReturnType<typeof spawn> | undefined;
if (workers > 0) {
  await storage.close();
  const entry = join(dirname(fileURLToPath(import.meta.url)), '../../test/helpers/cli-entry.ts');
  const args = [
    'serve',
    '--database',
    url,
    '--port',
    '0',
    '--json',
    '--log-level',
    process.env.BENCH_SERVE_LOG_LEVEL ?? 'silent',
    '--janitor-interval',
    '0',
    '--workers',
    String(workers),
    // One client address opens wrk's 32 connections plus the set-up's keep-alive sockets; serve's
    // default (128 per node, 64 per worker with two) answered part of them 429 too_many_connections.
    '--max-connections-per-ip',
    '4096',
  ];
  cli = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const summary = await new Promise<{ url: string }>((resolve, reject) => {
    cli!.once('exit', (code) => reject(new Error(`shouquan serve exited with ${code}`)));
    createInterface({ input: cli!.stdout! }).on(
      'line',
      (line) => line.startsWith('{"url"') && resolve(JSON.parse(line)),
    );
  });
  core.issuer = summary.url;
  port = Number(new URL(summary.url).port);
}

process.stdout.write(`${JSON.stringify({ ready: true, url: core.issuer, port, apps, sellers, password, callback })}\n`);
const stop = async () => {
  if (cli) {
    cli.kill('SIGTERM');
    if (cli.exitCode === null) await new Promise((r) => cli!.once('exit', r));
  } else {
    await server?.close();
    await storage.close();
  }
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
