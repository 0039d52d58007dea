import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../runtime.js';
import type { LimitStore, Storage } from '../storage/ports.js';
import { leaseQuota } from './quota.js';

/** The real database store, with the number of statements each method ran. */
function counted(store: LimitStore) {
  const calls = { take: 0, giveBack: 0 };
  const wrapped: LimitStore = {
    ...store,
    kind: store.kind,
    add: (...a) => store.add(...a),
    take: (...a) => ((calls.take += 1), store.take(...a)),
    giveBack: (...a) => ((calls.giveBack += 1), store.giveBack(...a)),
  };
  return { store: wrapped, calls };
}

describe('quota leases on the shared limit store (ADR 0111)', () => {
  let dir: string;
  let storage: Storage;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shouquan-quota-'));
    storage = await openStorage(`sqlite:${join(dir, 'q.db')}`, { createIfMissing: true });
  });
  after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const shared = (key: string) => storage.limits.add(key, 0, Date.now() + 60_000, Date.now());

  it('never admits more than the limit across nodes, however the calls interleave', async () => {
    const a = leaseQuota(storage.limits, { leaseMs: 60_000 });
    const b = leaseQuota(storage.limits, { leaseMs: 60_000 });
    const exp = Date.now() + 60_000;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).admit('q:app:d:1', 20, exp)),
    );
    assert.equal(results.filter(Boolean).length, 20);
    await a.stop();
    await b.stop();
    assert.equal(await shared('q:app:d:1'), 20, 'the shared count is what was admitted');
  });

  it('takes a lease per statement far from the limit, not one per call, and gives back what it did not use', async () => {
    const { store, calls } = counted(storage.limits);
    const q = leaseQuota(store, { leaseMs: 60_000, maxLease: 64 });
    const exp = Date.now() + 60_000;
    for (let i = 0; i < 100; i++) assert.equal(await q.admit('q:app:d:2', 100_000, exp), true);
    assert.equal(calls.take, 2, '64 + 64 units for 100 calls');
    assert.equal(await shared('q:app:d:2'), 128, 'held units count in the shared window');
    assert.equal(q.held, 28);
    await q.flush();
    assert.equal(q.held, 28, 'a window used since the last flush keeps its lease');
    await q.flush();
    assert.equal(q.held, 0, 'an idle window gives it back');
    assert.equal(await shared('q:app:d:2'), 100);
    await q.stop();
  });

  it('asks one unit at a time near the limit, and concurrent calls share one statement', async () => {
    const { store, calls } = counted(storage.limits);
    const q = leaseQuota(store, { leaseMs: 60_000 });
    const exp = Date.now() + 60_000;
    const first = await Promise.all(Array.from({ length: 10 }, () => q.admit('q:app:d:3', 10, exp)));
    assert.deepEqual(first, Array(10).fill(true));
    assert.ok(calls.take <= 3, `10 concurrent calls took ${calls.take} statements`);
    assert.equal(await q.admit('q:app:d:3', 10, exp), false);
    const before = calls.take;
    assert.equal(await q.admit('q:app:d:3', 10, exp), false, 'a full window is trusted for leaseMs');
    assert.equal(calls.take, before);
    await q.stop();
  });

  it('release puts a unit back in the lease; stop gives every unused unit back', async () => {
    const q = leaseQuota(storage.limits, { leaseMs: 60_000 });
    const exp = Date.now() + 60_000;
    assert.equal(await q.admit('q:app:s:4', 5, exp), true);
    q.release('q:app:s:4');
    await q.stop();
    assert.equal(q.held, 0);
    assert.equal(await shared('q:app:s:4'), 0);
  });

  it('a store that does not answer refuses the call with its error (never admits blindly)', async () => {
    const broken: LimitStore = {
      ...storage.limits,
      kind: 'database',
      take: async () => Promise.reject(new Error('connect ECONNREFUSED')),
    };
    const q = leaseQuota(broken, { leaseMs: 60_000 });
    await assert.rejects(q.admit('q:app:d:5', 10, Date.now() + 60_000), /ECONNREFUSED/);
    await q.stop();
  });
});

describe('quota leases when the app quota changes', () => {
  it('gives back the units leased under the old limit and admits no more than the new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shouquan-quota-'));
    const storage = await openStorage(`sqlite:${join(dir, 'q.db')}`, { createIfMissing: true });
    try {
      const q = leaseQuota(storage.limits, { leaseMs: 60_000 });
      const exp = Date.now() + 60_000;
      for (let i = 0; i < 3; i++) assert.equal(await q.admit('q:app:d:9', 100_000, exp), true);
      assert.equal(q.held, 61);
      const admitted = [];
      for (let i = 0; i < 5; i++) admitted.push(await q.admit('q:app:d:9', 6, exp));
      assert.deepEqual(admitted, [true, true, true, false, false], '3 used + 3 more = the new limit of 6');
      await q.stop();
      assert.equal(await storage.limits.add('q:app:d:9', 0, exp, Date.now()), 6);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('quota leases while units are being given back', () => {
  it('a take waits for the give-back in flight instead of finding the window full', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shouquan-quota-'));
    const storage = await openStorage(`sqlite:${join(dir, 'q.db')}`, { createIfMissing: true });
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow: LimitStore = {
        ...storage.limits,
        kind: 'database',
        giveBack: async (...a) => (await gate, storage.limits.giveBack(...a)),
      };
      const q = leaseQuota(slow, { leaseMs: 60_000 });
      const exp = Date.now() + 60_000;
      for (let i = 0; i < 3; i++) assert.equal(await q.admit('q:app:d:10', 100_000, exp), true);
      await q.flush(); // used since the last flush: kept
      const returning = q.flush(); // idle: the 61 units go back, slowly
      const admitted = q.admit('q:app:d:10', 6, exp); // the app's quota just changed to 6
      release();
      await returning;
      assert.equal(await admitted, true, 'the 4th call of 6');
      assert.equal(await q.admit('q:app:d:10', 6, exp), true);
      assert.equal(await q.admit('q:app:d:10', 6, exp), true);
      assert.equal(await q.admit('q:app:d:10', 6, exp), false);
      await q.stop();
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
