// `shouquan serve --workers 2` as real processes on PostgreSQL (issue 8, docs/adr/0090): the flow
// and a refresh through the shared port, requests spread over both workers, /metrics summed over
// the workers, a killed worker replaced while the other keeps answering, SIGTERM ending everything
// with 0, a taken port ending the start with exit 1, a crash loop ending the server; and SQLite
// refused with a usage error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createSeller } from '../../src/admin.js';
import { createApp } from '../../src/apps/apps.js';
import { loadSecretKey, openStorage } from '../../src/runtime.js';
import { freshPostgres, freshSqlite, postgresAvailable, PG_SKIP, type TestDatabase } from '../helpers/databases.js';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';
import { authorizeThroughForms } from '../helpers/browserless.js';
import { formatGmt8, signParams } from '../../src/gateway/sign.js';

const CALLBACK = 'https://isv.example.com/callback';
const seller = { username: 'worker-seller', password: 'correct horse battery' };

/** One GET on a new TCP connection (node:cluster hands out connections, not requests). */
function getFresh(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { connection: 'close', ...headers } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** A metric's value from Prometheus text, or undefined. */
function metric(text: string, nameAndLabels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${nameAndLabels} `));
  return line === undefined ? undefined : Number(line.slice(nameAndLabels.length + 1));
}

/** Pids that logged a completed request. */
const requestPids = (node: ServerProcess) =>
  new Set(
    node.lines
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return undefined;
        }
      })
      .filter((v) => v?.msg === 'request completed')
      .map((v) => v.pid as number),
  );

async function seed(url: string, extraApps = 0) {
  const storage = await openStorage(url, { createIfMissing: true });
  try {
    const key = await loadSecretKey(storage);
    const app = await createApp(storage, key, { name: 'Workers App', callbacks: [CALLBACK] });
    await createSeller(storage, { ...seller, stores: ['Workers Store'] });
    const others = [];
    for (let i = 1; i <= extraApps; i++)
      others.push(await createApp(storage, key, { name: `Metrics App ${i}`, callbacks: [CALLBACK] }));
    return { ...app, others };
  } finally {
    await storage.close();
  }
}

/** A signed router call of an app (a method that does not exist: gateway code 22, counted for the app). */
async function routerCall(base: string, app: { appKey: string; appSecret: string }) {
  const params = {
    method: 'shouquan.no.such',
    app_key: app.appKey,
    timestamp: formatGmt8(Date.now()),
    v: '2.0',
    format: 'json',
    sign_method: 'md5',
  };
  const sign = signParams(params, app.appSecret, 'md5');
  const res = await getFresh(`${base}/router/rest?${new URLSearchParams({ ...params, sign })}`);
  return (JSON.parse(res.body) as { error_response?: { code: number } }).error_response?.code;
}

/** `shouquan_api_calls_total` samples of a scrape: app_key -> calls (all faces). */
function apiCalls(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^shouquan_api_calls_total\{(.*)\} (\S+)$/gm)) {
    const app = /app_key="([^"]*)"/.exec(m[1]!)![1]!;
    out.set(app, (out.get(app) ?? 0) + Number(m[2]));
  }
  return out;
}

const pgUp = await postgresAvailable();
describe('serve --workers 2', { concurrency: true }, () => {
  describe('serve --workers 2 (postgres)', { skip: pgUp ? false : PG_SKIP, concurrency: 1 }, () => {
    let db: TestDatabase;
    let node: ServerProcess;
    let client: { appKey: string; appSecret: string; others: { appKey: string; appSecret: string }[] };
    const workerPids = () =>
      node.lines.flatMap((l) =>
        l.includes('"worker listening"') ? [JSON.parse(l) as { worker: number; workerPid: number }] : [],
      );

    before(async () => {
      db = await freshPostgres();
      client = await seed(db.url, 3);
      node = await spawnServer(db.url, ['--workers', '2', '--log-level', 'info', '--metrics-app-limit', '1']);
    });
    after(async () => {
      await node?.kill9();
      await db?.cleanup();
    });

    it('holds --metrics-app-limit for the node, not per worker: at most 1 app label over 2 workers', async () => {
      // Three apps in turn on new connections, which node:cluster hands to the workers in turn: each
      // worker gives its one slot to the first app it sees, and those differ.
      const rounds = 3;
      for (let i = 0; i < rounds; i++)
        for (const app of client.others) assert.equal(await routerCall(node.url, app), 22);
      const total = rounds * client.others.length;
      const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      let calls = new Map<string, number>();
      // The count is made as the response ends: scrape until both workers' counts are in.
      for (let i = 0; i < 50 && sum(calls) < total; i++) calls = apiCalls((await getFresh(`${node.url}/metrics`)).body);
      assert.equal(sum(calls), total, `every call counted once: ${JSON.stringify([...calls])}`);
      const labelled = [...calls.keys()].filter((k) => k !== 'other' && k !== 'unknown');
      assert.equal(labelled.length, 1, `one app label for the node: ${JSON.stringify([...calls])}`);
      assert.ok(client.others.some((a) => a.appKey === labelled[0]));
      // A later scrape keeps the same app labelled.
      assert.equal(await routerCall(node.url, client.others[0]!), 22);
      for (let i = 0; i < 50 && sum(calls) < total + 1; i++)
        calls = apiCalls((await getFresh(`${node.url}/metrics`)).body);
      assert.deepEqual(
        [...calls.keys()].filter((k) => k !== 'other' && k !== 'unknown'),
        labelled,
      );
    });

    it('prints the start-up summary once, after both workers listen', async () => {
      // The primary logs each "worker listening" through pino, whose writes may reach stdout after
      // the summary line: wait for both log lines (the summary itself is awaited by spawnServer).
      for (const n of [1, 2]) await node.waitForLine((v) => v.msg === 'worker listening' && v.worker === n);
      const summaries = node.lines.filter((l) => l.startsWith('{"url"'));
      assert.equal(summaries.length, 1);
      assert.deepEqual(Object.keys(JSON.parse(summaries[0]!)), ['url', 'issuer', 'profile', 'database', 'workers']);
      assert.equal(JSON.parse(summaries[0]!).workers, 2);
      assert.deepEqual(
        workerPids()
          .map((w) => w.worker)
          .sort(),
        [1, 2],
      );
    });

    it('runs the authorization-code flow and a refresh', async () => {
      const authorizeUrl = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.appKey, redirect_uri: CALLBACK, state: 's' })}`;
      const { location } = await authorizeThroughForms(node.url, authorizeUrl, seller);
      const code = new URL(location).searchParams.get('code')!;
      const token = async (form: Record<string, string>) => {
        const res = await fetch(`${node.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ client_id: client.appKey, client_secret: client.appSecret, ...form }),
        });
        return { status: res.status, json: (await res.json()) as Record<string, string> };
      };
      const issued = await token({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
      assert.equal(issued.status, 200, JSON.stringify(issued.json));
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: issued.json.refresh_token! });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json));
      assert.notEqual(refreshed.json.refresh_token, issued.json.refresh_token);
      const store = async () =>
        (await getFresh(`${node.url}/api/v1/store`, { authorization: `Bearer ${refreshed.json.access_token}` })).status;
      assert.deepEqual([await store(), await store(), await store(), await store()], [200, 200, 200, 200]);
      // Within the grace window (docs/adr/0100) a retry on any worker gets the same successor …
      const retry = await token({ grant_type: 'refresh_token', refresh_token: issued.json.refresh_token! });
      assert.equal(retry.json.refresh_token, refreshed.json.refresh_token);
      // … until the successor's refresh token is used.
      assert.equal(
        (await token({ grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token! })).status,
        200,
      );
      const again = await token({ grant_type: 'refresh_token', refresh_token: issued.json.refresh_token! });
      assert.equal(again.json.error, 'invalid_grant', 'the rotated refresh token is dead');
      // Reuse of a rotated refresh token ends the grant (RFC 9700 §4.14): on every worker.
      assert.deepEqual([await store(), await store(), await store(), await store()], [401, 401, 401, 401]);
    });

    it('spreads connections over both workers and sums /metrics over them', async () => {
      const before = await (await getFresh(`${node.url}/metrics`)).body;
      const healthz = (t: string) =>
        metric(t, 'shouquan_http_requests_total{method="GET",route="/healthz",status="200"}') ?? 0;
      const N = 20;
      for (let i = 0; i < N; i++) assert.equal((await getFresh(`${node.url}/healthz`)).status, 200);
      const after = (await getFresh(`${node.url}/metrics`)).body;
      assert.equal(healthz(after) - healthz(before), N, 'the scrape counts the requests of both workers');
      const w1 = metric(after, 'shouquan_worker_http_requests_total{worker="1"}') ?? 0;
      const w2 = metric(after, 'shouquan_worker_http_requests_total{worker="2"}') ?? 0;
      assert.ok(w1 > 0 && w2 > 0, `both workers answered (worker 1: ${w1}, worker 2: ${w2})`);
      assert.equal(metric(after, 'shouquan_cluster_workers'), 2);
      assert.equal(metric(after, 'shouquan_db_up'), 1);
      const pids = requestPids(node);
      assert.deepEqual(
        [...pids].sort(),
        workerPids()
          .map((w) => w.workerPid)
          .sort(),
        'request logs come from the two worker pids',
      );
    });

    it('replaces a killed worker while the other keeps answering', async () => {
      const [victim, survivor] = workerPids();
      process.kill(victim!.workerPid, 'SIGKILL');
      await node.waitForLine(
        (v) => v.msg === 'worker exited unexpectedly; restarting it' && v.workerPid === victim!.workerPid,
      );
      for (let i = 0; i < 6; i++) assert.equal((await getFresh(`${node.url}/readyz`)).status, 200);
      const replacement = await node.waitForLine(
        (v) => v.msg === 'worker listening' && v.worker === victim!.worker && v.workerPid !== victim!.workerPid,
      );
      assert.notEqual(replacement.workerPid, survivor!.workerPid);
      const seen = new Set<string>();
      for (let i = 0; i < 20 && seen.size < 2; i++) {
        assert.equal((await getFresh(`${node.url}/healthz`)).status, 200);
        const m = (await getFresh(`${node.url}/metrics`)).body;
        if ((metric(m, `shouquan_worker_http_requests_total{worker="${victim!.worker}"}`) ?? 0) > 0)
          seen.add('replacement');
        seen.add('any');
      }
      assert.ok(seen.has('replacement'), 'the replacement answers requests');
      const m = (await getFresh(`${node.url}/metrics`)).body;
      assert.equal(metric(m, 'shouquan_cluster_worker_restarts_total'), 1);
      assert.equal(metric(m, 'shouquan_cluster_workers'), 2);
    });

    it('SIGTERM: every worker drains and exits 0, then the primary exits 0', async () => {
      const pids = workerPids().slice(-2);
      node.proc.kill('SIGTERM');
      assert.deepEqual(await node.exited, { code: 0, signal: null });
      const exits = node.lines.filter((l) => l.includes('"msg":"worker exited"')).map((l) => JSON.parse(l));
      assert.equal(exits.length, 2);
      assert.ok(
        exits.every((e) => e.code === 0 && e.signal === null),
        JSON.stringify(exits),
      );
      for (const { workerPid } of pids)
        assert.throws(() => process.kill(workerPid, 0), /ESRCH/, 'no worker is left behind');
    });
  });

  it('refuses SQLite with a usage error (exit 2): one writer at a time, docs/adr/0090', async () => {
    const db = freshSqlite();
    try {
      await assert.rejects(spawnServer(db.url, ['--workers', '2']), (e: Error) => {
        assert.match(
          e.message,
          /server exited \(2\) before the line appeared: shouquan: --workers above 1 needs PostgreSQL: SQLite lets one process write at a time/,
        );
        return true;
      });
    } finally {
      await db.cleanup();
    }
  });

  describe('start-up and crash loops (postgres)', { skip: pgUp ? false : PG_SKIP, concurrency: 1 }, () => {
    let db: TestDatabase;
    before(async () => {
      db = await freshPostgres();
      await seed(db.url);
    });
    after(async () => db?.cleanup());

    it('a taken port ends the start with exit 1 and one clear message, not a restart loop', async () => {
      const holder = net.createServer();
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
      const port = (holder.address() as net.AddressInfo).port;
      try {
        const started = spawnServer(db.url, ['--workers', '2', '--port', String(port)]);
        await assert.rejects(started, (e: Error) => {
          assert.match(e.message, /server exited \(1\)/);
          const errors =
            e.message.match(/shouquan: port \d+ on 127\.0\.0\.1 is already in use \(choose another with --port\)/g) ??
            [];
          assert.equal(errors.length, 1, e.message);
          return true;
        });
      } finally {
        holder.close();
      }
    });

    it('gives up with exit 1 when a worker keeps dying right after it starts', async () => {
      const node = await spawnServer(db.url, ['--workers', '2', '--log-level', 'info']);
      try {
        const killed = new Set<number>();
        // Kill worker 1 and each of its replacements as soon as it is started.
        for (let i = 0; i < 6; i++) {
          const started = await node.waitForLine(
            (v) => v.msg === 'worker started' && v.worker === 1 && !killed.has(v.workerPid as number),
          );
          killed.add(started.workerPid as number);
          try {
            process.kill(started.workerPid as number, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        assert.deepEqual(await node.exited, { code: 1, signal: null });
        assert.match(node.stderr(), /^shouquan: worker 1 exited 6 times in a row within 10 s of starting; stopping\n$/);
        const delays = node.lines.filter((l) => l.includes('restarting it')).map((l) => JSON.parse(l).restartInMs);
        assert.deepEqual(delays, [200, 400, 800, 1600, 3200], 'the back-off doubles');
      } finally {
        await node.kill9();
      }
    });
  });
});
