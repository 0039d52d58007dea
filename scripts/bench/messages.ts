/**
 * The message service's bench (issue 16 §2), run by `npm run bench` after the token workloads
 * (or alone: `BENCH_WORKLOADS=messages npm run bench`). Per target (SQLite, PostgreSQL when it
 * answers, SQLite with the queues in NATS JetStream when NATS answers), a real `shouquan serve`
 * pinned to core 0, this process on core 1:
 *   publish   publishers POST /admin/api/v1/events in batches of 100 → events/s published (each
 *             event reaches one app, so one queue entry each)
 *   deliver   consumers GET /api/v1/messages?max=100 and POST /api/v1/messages/ack until the
 *             backlog is drained → events/s delivered (pulled and acknowledged)
 *   latency   publishers at a fixed rate while consumers long-poll (wait=20): publish → delivery
 *             time of every event (p50, p99), on this process's clock
 *   push      (database targets) an app with a webhook on a receiver in this process: events/s
 *             pushed (published until received), and whether each store's came in publish order
 * Two cases per target: one app with one store (the worst case for FIFO per store) and one app
 * with BENCH_MSG_STORES (200) stores, events spread over them round robin.
 * Environment: BENCH_MSG_EVENTS (30000) events per publish/deliver run; BENCH_MSG_RATE (2000)
 * events/s in the latency run, for BENCH_MSG_LATENCY_SECONDS (5); BENCH_MSG_PUBLISHERS (4),
 * BENCH_MSG_CONSUMERS (4); BENCH_MSG_PUSH_EVENTS (3000) events in the push run (0: none);
 * BENCH_MSG_CASES (`1,200`: stores per case); BENCH_ONLY as in run.ts (sqlite, postgres, nats; and only when
 * named, postgres-1w and postgres-2w: `serve --workers 1` on core 0 against `--workers 2` on cores 0,1).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createSeller } from '../../src/admin.js';
import { createApp, updateApp } from '../../src/apps/apps.js';
import { createOperatorToken } from '../../src/management/operator-tokens.js';
import { loadSecretKey, openStorage } from '../../src/runtime.js';

const env = process.env;
const EVENTS = Number(env.BENCH_MSG_EVENTS ?? 30_000);
const RATE = Number(env.BENCH_MSG_RATE ?? 2000);
const LATENCY_SECONDS = Number(env.BENCH_MSG_LATENCY_SECONDS ?? 5);
const PUBLISHERS = Number(env.BENCH_MSG_PUBLISHERS ?? 4);
const CONSUMERS = Number(env.BENCH_MSG_CONSUMERS ?? 4);
const STORES = Number(env.BENCH_MSG_STORES ?? 200);
const PUSH_EVENTS = Number(env.BENCH_MSG_PUSH_EVENTS ?? 3000);
const CASES = (env.BENCH_MSG_CASES ?? `1,${STORES}`).split(',').map(Number);
const PG_URL = env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS = env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0 && cpus().length >= 2;
const log = (s: string) => process.stderr.write(`${s}\n`);

const answers = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });

interface Target {
  name: string;
  url: string;
  broker?: string;
  /** `serve --workers N` (the workers comparison): N processes on cores 0,1 instead of one on core 0. */
  workers?: number;
  cleanup?: () => Promise<void>;
}

export interface MessageBenchRow {
  target: string;
  stores: number;
  published: number;
  delivered: number;
  p50: number;
  p99: number;
  latencyEvents: number;
  /** Events/s pushed to the webhook (NaN: not run); whether every store's arrived in publish order. */
  pushed: number;
  pushOrdered: boolean | undefined;
}

async function startServer(t: Target): Promise<{ url: string; proc: ChildProcess }> {
  const args = [
    '--import',
    'tsx',
    join(root, 'test/helpers/cli-entry.ts'),
    'serve',
    '--database',
    t.url,
    '--port',
    '0',
    '--json',
    '--log-level',
    process.env.BENCH_MSG_LOG ?? 'silent',
    '--janitor-interval',
    '0',
    ...(t.broker ? ['--message-broker', t.broker] : []),
    ...(t.workers ? ['--workers', String(t.workers)] : []),
  ];
  // Two workers get both cores (this process, on core 1, then shares one with a worker), as in run.ts.
  const cores = (t.workers ?? 1) > 1 ? '0,1' : '0';
  const cmd = hasTaskset ? ['taskset', '-c', cores, process.execPath, ...args] : [process.execPath, ...args];
  const proc = spawn(cmd[0]!, cmd.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (l) => {
      try {
        const v = JSON.parse(l) as { url?: string };
        if (v.url) resolve(v.url);
      } catch {
        // not the summary
      }
    });
    proc.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { url, proc };
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function benchTarget(t: Target, stores: number): Promise<MessageBenchRow> {
  // Set-up through the code's own functions: an app subscribed to trade.paid, a seller, a live grant, an operator
  // token.
  const storage = await openStorage(t.url, { createIfMissing: true });
  const key = await loadSecretKey(storage);
  const app = await createApp(storage, key, { name: 'Bench consumer', callbacks: ['https://isv.example.com/cb'] });
  await updateApp(storage, app.appKey, { topics: ['trade.paid'] }, Date.now());
  // The push case's app: a webhook on a receiver in this process.
  const received: Array<{ store: number; order: number }> = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const m = JSON.parse(body) as { store_id: number; data: { order_id: number } };
      received.push({ store: m.store_id, order: m.data.order_id });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const pusher = await createApp(storage, key, { name: 'Bench pushed', callbacks: ['https://isv.example.com/cb'] });
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  await updateApp(storage, pusher.appKey, { topics: ['refund.created'], webhookUrl: hook }, Date.now());
  const seller = await createSeller(storage, {
    username: `bench${randomBytes(3).toString('hex')}`,
    password: 'correct horse battery',
    stores: Array.from({ length: stores }, (_, i) => `Bench store ${i + 1}`),
  });
  const storeIds = seller.stores.map((st) => st.storeId);
  for (const appKey of [app.appKey, pusher.appKey])
    await storage.grants.createWithTokens({
      now: Date.now(),
      grant: {
        grantId: randomUUID(),
        appKey,
        sellerId: seller.sellerId,
        storeId: storeIds[0]!,
        storeIds,
        scope: ['seller'],
        createdAt: Date.now(),
        revokedAt: null,
        revokedReason: null,
      },
      tokens: [],
    });
  const operator = (
    await createOperatorToken(storage, {
      name: `bench-${randomBytes(3).toString('hex')}`,
      readOnly: false,
      createdBy: 'cli',
      now: Date.now(),
    })
  ).token;
  await storage.close();
  const server = await startServer(t);
  const base = server.url;
  const auth = `Basic ${Buffer.from(`${app.appKey}:${app.appSecret}`).toString('base64')}`;
  const publish = async (n: number, seq: () => number, topic = 'trade.paid') => {
    const events = Array.from({ length: n }, () => {
      const order = seq();
      return {
        topic,
        seller_id: seller.sellerId,
        store_id: storeIds[order % storeIds.length]!,
        data: { order_id: order, t: Date.now() },
      };
    });
    const res = await fetch(`${base}/admin/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    if (res.status !== 201) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const pull = async (wait: number) => {
    const res = await fetch(`${base}/api/v1/messages?max=100&wait=${wait}`, { headers: { authorization: auth } });
    const body = (await res.json()) as { messages: Array<{ id: string; data: { t: number } }> };
    const at = Date.now();
    if (body.messages.length > 0) {
      const ack = await fetch(`${base}/api/v1/messages/ack`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ ids: body.messages.map((m) => m.id) }),
      });
      await ack.arrayBuffer();
    }
    return { messages: body.messages, at };
  };
  try {
    // Warm-up.
    let n = 0;
    await publish(100, () => n++);
    while ((await pull(0)).messages.length > 0);

    // 1. Publish rate.
    n = 0;
    let sent = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: PUBLISHERS }, async () => {
        while (sent < EVENTS) {
          sent += 100;
          await publish(100, () => n++);
        }
      }),
    );
    const published = sent / ((performance.now() - t0) / 1000);

    // 2. Pull-delivery rate: drain the backlog.
    let got = 0;
    let empty = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: CONSUMERS }, async () => {
        // Few stores: FIFO per store (ADR 0145) hands a store's messages to one consumer at a time, so the
        // others see empty pulls while a batch is in flight; stop on the whole backlog, or on a run
        // of empties that only a lost message could explain.
        while (got < sent && empty < 5000) {
          const r = await pull(0);
          if (r.messages.length === 0) empty++;
          else empty = 0;
          got += r.messages.length;
        }
      }),
    );
    const delivered = got / ((performance.now() - t1) / 1000);

    // 3. Publish → delivery latency at a fixed rate with long-polling consumers.
    const lat: number[] = [];
    let stop = false;
    const consumers = Array.from({ length: CONSUMERS }, async () => {
      while (!stop) {
        const r = await pull(1);
        for (const m of r.messages) lat.push(r.at - m.data.t);
      }
    });
    const batch = Math.max(1, Math.round(RATE / 100));
    const end = Date.now() + LATENCY_SECONDS * 1000;
    let next = Date.now();
    while (Date.now() < end) {
      await publish(batch, () => n++);
      next += 10;
      const wait = next - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(consumers);

    // 4. Push: publish to the webhook app, time until the receiver has them all (the database's
    // webhook outbox; with NATS the pushes go through the same outbox, so it is not run there).
    let pushed = NaN;
    let pushOrdered: boolean | undefined;
    if (PUSH_EVENTS > 0 && !t.broker) {
      let k = 0;
      const t2 = performance.now();
      for (let i = 0; i < PUSH_EVENTS; i += 100)
        await publish(Math.min(100, PUSH_EVENTS - i), () => k++, 'refund.created');
      const limit = Date.now() + 300_000;
      while (received.length < PUSH_EVENTS && Date.now() < limit) await new Promise((r) => setTimeout(r, 20));
      pushed = received.length / ((performance.now() - t2) / 1000);
      const last = new Map<number, number>();
      pushOrdered = received.every((r) => {
        const ok = (last.get(r.store) ?? -1) < r.order;
        last.set(r.store, r.order);
        return ok;
      });
      if (received.length < PUSH_EVENTS) log(`message bench: only ${received.length}/${PUSH_EVENTS} pushed in 300 s`);
    }
    return {
      target: t.name,
      stores,
      published,
      delivered,
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      latencyEvents: lat.length,
      pushed,
      pushOrdered,
    };
  } finally {
    server.proc.kill('SIGTERM');
    await new Promise((r) => server.proc.once('exit', r));
    await new Promise((r) => receiver.close(r));
  }
}

/** Run the message bench on every target that answers; returns the rows (and prints them). */
export async function runMessageBench(only?: string[]): Promise<MessageBenchRow[]> {
  const want = (t: string) => !only || only.includes(t);
  const work = mkdtempSync(join(tmpdir(), 'shouquan-msgbench-'));
  const targets: Target[] = [];
  if (want('sqlite')) targets.push({ name: 'SQLite', url: `sqlite:${join(work, 'msg.db')}` });
  const pgu = new URL(PG_URL);
  const pgTarget = async (name: string, workers?: number): Promise<Target> => {
    const schema = `msgbench_${randomBytes(4).toString('hex')}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
    const u = new URL(PG_URL);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return {
      name,
      url: u.toString(),
      workers,
      cleanup: async () => {
        const d = new pg.Client({ connectionString: PG_URL });
        await d.connect();
        await d.query(`drop schema if exists ${schema} cascade`);
        await d.end();
      },
    };
  };
  const pgUp = await answers(pgu.hostname, Number(pgu.port || 5432));
  if (want('postgres') && pgUp) {
    targets.push(await pgTarget('PostgreSQL'));
  } else if (want('postgres')) log('message bench: PostgreSQL does not answer; skipped');
  // The workers comparison (issue 18: delivery with `serve --workers 2` against one worker), only when named,
  // as in run.ts: postgres-1w is the CLI's single process through the same path as postgres-2w.
  for (const [key, workers] of [
    ['postgres-1w', 1],
    ['postgres-2w', 2],
  ] as const) {
    if (!only?.includes(key)) continue;
    if (pgUp) targets.push(await pgTarget(`PostgreSQL, serve --workers ${workers}`, workers));
    else log(`message bench: PostgreSQL does not answer; ${key} skipped`);
  }
  const nu = new URL(NATS);
  if (want('nats') && (await answers(nu.hostname, Number(nu.port || 4222)))) {
    const stream = `BENCH${randomBytes(4).toString('hex')}`;
    targets.push({
      name: 'NATS JetStream (SQLite for routing)',
      url: `sqlite:${join(work, 'msg-nats.db')}`,
      broker: `${NATS}?stream=${stream}`,
      cleanup: async () => {
        const { connect } = await import('nats');
        const nc = await connect({ servers: nu.host });
        const jsm = await nc.jetstreamManager();
        // The stream and its claims bucket (the key-value bucket's stream is KV_<name>, ADR 0180).
        for (const name of [stream, `KV_${stream}_claims`]) await jsm.streams.delete(name).catch(() => false);
        await nc.close();
      },
    });
  } else if (want('nats')) log('message bench: NATS does not answer; skipped');
  const rows: MessageBenchRow[] = [];
  try {
    for (const t of targets)
      for (const stores of CASES) {
        log(`message bench: ${t.name}, ${stores} store(s)…`);
        rows.push(await benchTarget(t, stores));
      }
  } finally {
    for (const t of targets) await t.cleanup?.().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '–');
  process.stdout.write(
    `\nMessage service (${EVENTS} events per run, batches of 100, ${PUBLISHERS} publishers, ${CONSUMERS} consumers; latency at ${RATE} events/s for ${LATENCY_SECONDS} s with long polls; ${PUSH_EVENTS} events pushed; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at the end)\n\n` +
      '| target | stores | published events/s | delivered events/s (pull + ack) | publish → delivery p50 ms | p99 ms | events timed | pushed events/s (webhook) | push order per store |\n| --- | --: | --: | --: | --: | --: | --: | --: | --- |\n' +
      rows
        .map(
          (r) =>
            `| ${r.target} | ${r.stores} | ${f(r.published)} | ${f(r.delivered)} | ${f(r.p50)} | ${f(r.p99)} | ${r.latencyEvents} | ${f(r.pushed)} | ${r.pushOrdered === undefined ? '–' : r.pushOrdered ? 'kept' : 'broken'} |`,
        )
        .join('\n') +
      '\n',
  );
  return rows;
}

// Run alone: node --import tsx scripts/bench/messages.ts
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runMessageBench(env.BENCH_ONLY ? env.BENCH_ONLY.split(',') : undefined);
}
