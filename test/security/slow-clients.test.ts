// Issue 15, finding 2: a body sent one byte every 5 s was still open after 110 s, and 1,000 such
// connections held the server at 1,028 descriptors. Requests, headers and bodies now time out
// (`serve --request-timeout`, default 30 s), and one address may hold only so many connections
// (`serve --max-connections-per-ip`). Real sockets, a one-second timeout set by the test; the
// assertions are about what the server does (408, closed, 429), never how fast.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freshPostgres, freshSqlite, postgresAvailable, PG_SKIP, type TestDatabase } from '../helpers/databases.js';
import { perWorkerConnections } from '../../src/server/connection-limits.js';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';
import { resolveServeConfig } from '../../src/config.js';

/** Give up on a socket the server never closes: a liveness bound for the test, not a timing assertion. */
const GIVE_UP_MS = 20_000;

interface Outcome {
  /** What the server sent before it closed (or until we gave up). */
  received: string;
  /** Did the server close the connection? */
  closed: boolean;
  /** Bytes we managed to trickle before that. */
  sent: number;
}

/** Open a socket, send `head`, then trickle `drip` one byte every 200 ms until the server closes it (or we give up). */
function trickle(url: string, head: string, drip: string): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    let received = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ received, closed, sent });
    };
    const giveUp = setTimeout(() => finish(false), GIVE_UP_MS);
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (socket.destroyed || socket.writableEnded) return;
        socket.write(drip[sent % drip.length]!);
        sent++;
      }, 200);
    });
  });
}

/** An open, idle TCP connection; resolves once connected. */
function idle(url: string): Promise<{ socket: net.Socket; data: () => string; closed: Promise<void> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    let data = '';
    // Closed by the server, or by us after GIVE_UP_MS (then `data` tells the difference).
    const closed = new Promise<void>((r) => {
      const giveUp = setTimeout(() => socket.destroy(), GIVE_UP_MS);
      socket.on('close', () => {
        clearTimeout(giveUp);
        r();
      });
    });
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, data: () => data, closed }));
    socket.once('error', reject);
  });
}

describe('security: slow clients are cut off (request timeout 1 s)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ server: { requestTimeout: 1 } });
  });
  after(async () => s?.close());

  it('a form body sent one byte at a time: 408 and the connection is closed', async () => {
    const head = `POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\n`;
    const r = await trickle(s.url, head, 'grant_type=refresh_token&');
    assert.equal(r.closed, true, `still open after ${GIVE_UP_MS} ms with ${r.sent} bytes sent`);
    assert.match(r.received, /^HTTP\/1\.1 408 /);
  });

  it('headers sent one byte at a time: 408 and the connection is closed', async () => {
    const r = await trickle(s.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    assert.equal(r.closed, true, `still open after ${GIVE_UP_MS} ms with ${r.sent} bytes sent`);
    assert.match(r.received, /^HTTP\/1\.1 408 /);
  });

  it('a connection that sends nothing is closed', async () => {
    const c = await idle(s.url);
    const outcome = await Promise.race([
      c.closed.then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('open'), GIVE_UP_MS)),
    ]);
    c.socket.destroy();
    assert.equal(outcome, 'closed');
  });

  it('a normal request still works', async () => {
    const res = await fetch(`${s.url}/healthz`);
    assert.equal(res.status, 200);
  });
});

describe('security: open connections per client address are bounded', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ server: { maxConnectionsPerIp: 4 } });
  });
  after(async () => s?.close());

  it('the 5th open connection from one address gets 429 and is closed; a slot frees when one closes', async () => {
    const held = await Promise.all([1, 2, 3, 4].map(() => idle(s.url)));
    const fifth = await idle(s.url);
    fifth.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await fifth.closed;
    assert.match(fifth.data(), /^HTTP\/1\.1 429 Too Many Requests\r\n/);
    assert.match(fifth.data(), /\r\nRetry-After: 1\r\n/);
    assert.match(fifth.data(), /"error":"too_many_connections"/);
    held[0]!.socket.destroy();
    await held[0]!.closed;
    // The server learns of the close asynchronously: retry a few times until the slot is free.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      const c = await idle(s.url);
      c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await c.closed;
      status = Number(/^HTTP\/1\.1 (\d+)/.exec(c.data())?.[1] ?? 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 200);
    for (const h of held) h.socket.destroy();
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /^shouquan_connections_refused_total [1-9]/m);
  });
});

describe('serve: --request-timeout and --max-connections-per-ip', () => {
  it('flags and SHOUQUAN_* variables, defaults 30 s and 128, bad values refused', () => {
    const base = { database: 'sqlite:/tmp/x.db' };
    assert.equal(resolveServeConfig(base, {}).requestTimeout, 30);
    assert.equal(resolveServeConfig(base, {}).maxConnectionsPerIp, 128);
    assert.equal(resolveServeConfig({ ...base, 'request-timeout': '5' }, {}).requestTimeout, 5);
    assert.equal(resolveServeConfig(base, { SHOUQUAN_REQUEST_TIMEOUT: '7' }).requestTimeout, 7);
    assert.equal(resolveServeConfig(base, { SHOUQUAN_MAX_CONNECTIONS_PER_IP: '0' }).maxConnectionsPerIp, 0);
    assert.equal(
      resolveServeConfig({ ...base, 'max-connections-per-ip': '9' }, { SHOUQUAN_MAX_CONNECTIONS_PER_IP: '3' })
        .maxConnectionsPerIp,
      9,
    );
    assert.throws(
      () => resolveServeConfig({ ...base, 'request-timeout': '0' }, {}),
      /--request-timeout must be greater than 0/,
    );
    assert.throws(
      () => resolveServeConfig({ ...base, 'request-timeout': '1.5' }, {}),
      /--request-timeout must be a whole number/,
    );
    assert.throws(
      () => resolveServeConfig({ ...base, 'max-connections-per-ip': '-1' }, {}),
      /--max-connections-per-ip must be a whole number/,
    );
  });

  describe('a real serve process', () => {
    let p: ServerProcess;
    const db = freshSqlite();
    before(async () => {
      p = await spawnServer(db.url, ['--request-timeout', '1', '--max-connections-per-ip', '3']);
    });
    after(async () => {
      await p?.stop();
      await db.cleanup();
    });

    it('cuts off a slow body and bounds connections per address', async () => {
      const head = `POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\n`;
      const r = await trickle(p.url, head, 'a=b&');
      assert.equal(r.closed, true);
      assert.match(r.received, /^HTTP\/1\.1 408 /);
      const held = await Promise.all([1, 2, 3].map(() => idle(p.url)));
      const fourth = await idle(p.url);
      await fourth.closed;
      assert.match(fourth.data(), /^HTTP\/1\.1 429 /);
      for (const h of held) h.socket.destroy();
    });
  });
});

/**
 * Open a connection and ask for /healthz on it (keep-alive): the status line's code; an accepted connection stays open.
 */
function probe(url: string): Promise<{ status: number; socket: net.Socket }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    let data = '';
    const giveUp = setTimeout(() => socket.destroy(), GIVE_UP_MS);
    const done = () => {
      clearTimeout(giveUp);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(data)?.[1] ?? 0), socket });
    };
    socket.on('error', () => {});
    socket.on('data', (d) => {
      data += d.toString('latin1');
      if (data.includes('\r\n\r\n')) done();
    });
    socket.on('close', done);
    socket.once('connect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
  });
}

describe('--max-connections-per-ip with --workers N: the limit is for the whole serve command, divided among its workers', () => {
  it('each worker allows floor(N / workers), at least 1; 0 stays no limit', () => {
    assert.equal(perWorkerConnections(128, 1), 128);
    assert.equal(perWorkerConnections(128, 4), 32);
    assert.equal(perWorkerConnections(10, 3), 3, 'rounded down: 9 in all, never more than 10');
    assert.equal(perWorkerConnections(2, 4), 1, 'at least one connection per worker');
    assert.equal(perWorkerConnections(0, 4), 0);
  });

  describe('a real serve --workers 2 --max-connections-per-ip 4 (PostgreSQL)', async () => {
    const pgUp = await postgresAvailable();
    let p: ServerProcess | undefined;
    let db: TestDatabase | undefined;
    before(async () => {
      if (!pgUp) return;
      db = await freshPostgres();
      p = await spawnServer(db.url, ['--workers', '2', '--max-connections-per-ip', '4']);
    });
    after(async () => {
      await p?.stop();
      await db?.cleanup();
    });

    it(
      'one address holds at most 4 connections over both workers, not 4 per worker',
      { skip: pgUp ? false : PG_SKIP },
      async () => {
        const opened: Array<{ status: number; socket: net.Socket }> = [];
        for (let i = 0; i < 10; i++) opened.push(await probe(p!.url));
        const statuses = opened.map((o) => o.status);
        const accepted = statuses.filter((s) => s === 200).length;
        assert.ok(accepted <= 4, `accepted ${accepted} of 10 (statuses ${statuses.join(' ')})`);
        assert.ok(accepted >= 2, `each worker accepts its share (statuses ${statuses.join(' ')})`);
        assert.equal(statuses.filter((s) => s === 429).length, 10 - accepted);
        for (const o of opened) o.socket.destroy();
      },
    );
  });
});
