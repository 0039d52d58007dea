import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { QuotaRepository } from './ports.js';
import { batchQuota } from './quota.js';

/** The shared counter table, as the database keeps it; `down` makes writes fail. */
function sharedCounters() {
  const rows = new Map<string, number>();
  const writes: Array<{ window: string; by: number }> = [];
  const state = { down: false };
  const repo: QuotaRepository = {
    async hit(appKey, window, _expiresAt, by = 1) {
      if (state.down) throw new Error('connection refused');
      writes.push({ window, by });
      const key = `${appKey}/${window}`;
      rows.set(key, (rows.get(key) ?? 0) + by);
      return rows.get(key)!;
    },
    async prune() {},
  };
  return { repo, rows, writes, state };
}

describe('batched quota counters (ADR 0035)', () => {
  it('counts every call at once on one node and writes the sum in one statement per window', async () => {
    const db = sharedCounters();
    const q = batchQuota(db.repo, { flushMs: 60_000 });
    const counts = [];
    for (let i = 0; i < 5; i++) counts.push(await q.hit('app', 's:1', 2000));
    assert.deepEqual(counts, [1, 2, 3, 4, 5]);
    assert.deepEqual(db.writes, [], 'nothing written per call');
    await q.flush();
    assert.deepEqual(db.writes, [{ window: 's:1', by: 5 }]);
    assert.equal(await q.hit('app', 's:1', 2000), 6);
    await q.stop();
    assert.equal(db.rows.get('app/s:1'), 6, 'stop writes what is pending');
  });

  it('sees the calls of other nodes after a write', async () => {
    const db = sharedCounters();
    const a = batchQuota(db.repo, { flushMs: 60_000 });
    const b = batchQuota(db.repo, { flushMs: 60_000 });
    for (let i = 0; i < 3; i++) await a.hit('app', 'd:20261122', 9e15);
    await a.flush();
    assert.equal(await b.hit('app', 'd:20261122', 9e15), 1, 'b has not heard from the table yet');
    await b.flush();
    assert.equal(await b.hit('app', 'd:20261122', 9e15), 5, "a's three, b's first, and this one");
    await a.stop();
    await b.stop();
    assert.equal(db.rows.get('app/d:20261122'), 5);
  });

  it('keeps counts while the database is unreachable and writes them when it answers', async () => {
    const db = sharedCounters();
    const q = batchQuota(db.repo, { flushMs: 60_000 });
    db.state.down = true;
    await q.hit('app', 's:7', 9000);
    await q.hit('app', 's:7', 9000);
    await q.flush();
    assert.equal(q.pending, 2);
    assert.equal(await q.hit('app', 's:7', 9000), 3, 'calls are still judged on the local count');
    db.state.down = false;
    await q.flush();
    assert.equal(q.pending, 0);
    assert.equal(db.rows.get('app/s:7'), 3);
    await q.stop();
  });

  it('forgets windows that expired with nothing pending', async () => {
    const db = sharedCounters();
    let t = 1000;
    const q = batchQuota(db.repo, { flushMs: 60_000, now: () => t });
    await q.hit('app', 's:1', 2000);
    await q.flush();
    t = 5000;
    await q.flush();
    assert.equal(await q.hit('app', 's:1', 2000), 1, 'a forgotten window starts from what it is told next');
    await q.stop();
  });
});

describe('batched quota counters while a write is in flight', () => {
  it('counts the calls being written: a call during a slow write sees every call before it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let total = 0;
    const repo: QuotaRepository = {
      async hit(_a, _w, _e, by = 1) {
        await gate;
        total += by;
        return total;
      },
      async prune() {},
    };
    const q = batchQuota(repo, { flushMs: 60_000 });
    for (let i = 0; i < 3; i++) await q.hit('app', 'd:1', 9e15);
    const writing = q.flush();
    assert.equal(await q.hit('app', 'd:1', 9e15), 4, 'the three being written count');
    release();
    await writing;
    assert.equal(await q.hit('app', 'd:1', 9e15), 5);
    await q.stop();
    assert.equal(total, 5);
  });
});
