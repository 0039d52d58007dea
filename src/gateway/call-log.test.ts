import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { CallLogWriter, CallTracker } from './call-log.js';
import { GATEWAY_CODES, GatewayError } from './errors.js';
import type { CallLogRepository, CallRecord } from '../storage/gateway-ports.js';

/** An in-memory repository that remembers every INSERT (one array per batch) and can be told to fail. */
function memoryRepo() {
  const batches: CallRecord[][] = [];
  let failures = 0;
  const repo: CallLogRepository & { batches: CallRecord[][]; failNext(n: number): void; rows(): CallRecord[] } = {
    batches,
    failNext(n) {
      failures = n;
    },
    rows: () => batches.flat(),
    async append(records) {
      await tick();
      if (failures > 0) {
        failures--;
        throw new Error('database down');
      }
      batches.push([...records]);
    },
    async recent() {
      return [];
    },
    async summary() {
      return { calls: 0, errors: 0, topErrors: [] };
    },
  };
  return repo;
}

const call = (i: number): CallRecord => ({
  appKey: 'app1',
  method: `m${i}`,
  face: 'router',
  storeId: 1,
  sellerId: 2,
  code: null,
  subCode: null,
  httpStatus: 200,
  durationMs: i,
  at: 1000 + i,
});
const HOUR = 3_600_000;

/** Wait (bounded) until a condition holds; not a timing assertion. */
async function until(check: () => boolean, what: string) {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('CallLogWriter (batched call records, docs/adr/0062)', () => {
  it('writes a full batch at once with one INSERT, without waiting for the timer', async () => {
    const repo = memoryRepo();
    const w = new CallLogWriter(repo, { flushIntervalMs: HOUR, maxBatch: 5 });
    for (let i = 0; i < 4; i++) w.record(call(i));
    await tick();
    await tick();
    assert.equal(repo.batches.length, 0, 'four records wait for the timer');
    w.record(call(4));
    await until(() => repo.batches.length === 1, 'the full batch');
    assert.deepEqual(
      repo.batches[0]!.map((c) => c.method),
      ['m0', 'm1', 'm2', 'm3', 'm4'],
    );
    assert.equal(w.pending, 0);
    await w.close();
  });

  it('writes what is buffered when the interval passes', async () => {
    const repo = memoryRepo();
    const w = new CallLogWriter(repo, { flushIntervalMs: 10, maxBatch: 500 });
    w.record(call(1));
    w.record(call(2));
    await until(() => repo.batches.length === 1, 'the timed flush');
    assert.deepEqual(
      repo.batches[0]!.map((c) => c.method),
      ['m1', 'm2'],
    );
    w.record(call(3));
    await until(() => repo.batches.length === 2, 'the next timed flush');
    assert.deepEqual(
      repo.batches[1]!.map((c) => c.method),
      ['m3'],
    );
    await w.close();
    assert.equal(repo.batches.length, 2, 'nothing left to write at close');
  });

  it('loses nothing on an orderly close: everything is written in batches of at most maxBatch, in order', async () => {
    const repo = memoryRepo();
    const w = new CallLogWriter(repo, { flushIntervalMs: HOUR, maxBatch: 7 });
    for (let i = 0; i < 100; i++) w.record(call(i));
    await w.close();
    assert.deepEqual(
      repo.rows().map((c) => c.durationMs),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.ok(repo.batches.every((b) => b.length <= 7 && b.length > 0));
    assert.equal(w.pending, 0);
  });

  it('keeps records through failed writes, drops and counts beyond the bound, and never throws to the caller', async () => {
    const repo = memoryRepo();
    let dropped = 0;
    const errors: unknown[] = [];
    const w = new CallLogWriter(repo, {
      flushIntervalMs: 10,
      maxBatch: 5,
      maxBuffered: 20,
      onDrop: (n) => (dropped += n),
      onError: (e) => errors.push(e),
    });
    repo.failNext(3);
    for (let i = 0; i < 25; i++) w.record(call(i));
    await until(() => repo.rows().length === 20, 'the retries to succeed');
    assert.equal(dropped, 5, 'five records did not fit in the buffer while the database was down');
    assert.equal(errors.length, 3);
    assert.deepEqual(
      repo.rows().map((c) => c.durationMs),
      Array.from({ length: 20 }, (_, i) => i),
      'the kept records, in order, once each',
    );
    await w.close();
  });

  it('counts what it cannot write at close, and what arrives after close', async () => {
    const repo = memoryRepo();
    let dropped = 0;
    const w = new CallLogWriter(repo, { flushIntervalMs: HOUR, maxBatch: 50, onDrop: (n) => (dropped += n) });
    for (let i = 0; i < 3; i++) w.record(call(i));
    repo.failNext(1);
    await w.close();
    assert.equal(dropped, 3);
    w.record(call(9));
    assert.equal(dropped, 4);
    assert.equal(repo.rows().length, 0);
  });
});

describe('CallTracker', () => {
  it('records calls of known apps with the TOP outcome, and ignores the rest', async () => {
    const repo = memoryRepo();
    const w = new CallLogWriter(repo, { flushIntervalMs: HOUR });
    const tracker = new CallTracker(w, () => 42);
    const ok = {};
    tracker.track(ok, {
      face: 'router',
      method: 'shouquan.store.get',
      appKey: 'a',
      appKnown: true,
      storeId: 3,
      sellerId: 4,
    });
    tracker.finish(ok, 200, 1.6);
    const refused = {};
    tracker.track(refused, {
      face: 'rest',
      method: 'shouquan.orders.list',
      appKey: 'a',
      appKnown: true,
      error: new GatewayError(GATEWAY_CODES.insufficientPermissions, 'isv.permission-api-package-empty'),
    });
    tracker.finish(refused, 403, 0.2);
    const crashed = {};
    tracker.track(crashed, { face: 'rest', method: 'shouquan.orders.list', appKey: 'a', appKnown: true });
    tracker.finish(crashed, 503, 3);
    const unknownApp = {};
    tracker.track(unknownApp, {
      face: 'router',
      method: 'shouquan.store.get',
      appKey: 'nope',
      error: new GatewayError(GATEWAY_CODES.invalidAppKey),
    });
    tracker.finish(unknownApp, 200, 1);
    tracker.finish({}, 200, 1);
    await w.close();
    assert.deepEqual(repo.rows(), [
      {
        appKey: 'a',
        method: 'shouquan.store.get',
        face: 'router',
        storeId: 3,
        sellerId: 4,
        code: null,
        subCode: null,
        httpStatus: 200,
        durationMs: 2,
        at: 42,
      },
      {
        appKey: 'a',
        method: 'shouquan.orders.list',
        face: 'rest',
        storeId: null,
        sellerId: null,
        code: 11,
        subCode: 'isv.permission-api-package-empty',
        httpStatus: 403,
        durationMs: 0,
        at: 42,
      },
      {
        appKey: 'a',
        method: 'shouquan.orders.list',
        face: 'rest',
        storeId: null,
        sellerId: null,
        code: 15,
        subCode: 'isp.unknown-error',
        httpStatus: 503,
        durationMs: 3,
        at: 42,
      },
    ]);
  });
});
