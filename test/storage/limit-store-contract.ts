import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LimitStore } from '../../src/storage/ports.js';

/**
 * The {@link LimitStore} contract (docs/adr/0110), run on every implementation: the database store
 * on SQLite and PostgreSQL (test/storage/storage-ports.test.ts) and the Redis store
 * (test/storage/redis-limit-store.test.ts). Times are real: Redis expires keys on its own clock.
 */
export function limitStoreContract(store: () => LimitStore): void {
  const k = (name: string) => `test:${name}:${randomBytes(6).toString('hex')}`;

  it('limits: add counts atomically across many concurrent callers and keeps the window', async () => {
    const key = k('add');
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 25 }, () => store().add(key, 1, now + 60_000, now)));
    assert.deepEqual(
      [...results].sort((a, b) => a - b),
      Array.from({ length: 25 }, (_, i) => i + 1),
      'every caller gets its own number',
    );
    assert.equal(await store().add(key, 5, now + 1, now), 30, 'a live counter keeps its count');
    assert.equal(await store().add(key, 0, now + 1, now), 30);
  });

  it('limits: an expired counter starts again from zero', async () => {
    const key = k('expire');
    const now = Date.now();
    assert.equal(await store().add(key, 3, now + 50, now), 3);
    await new Promise((r) => setTimeout(r, 120));
    const later = Date.now();
    assert.equal(await store().add(key, 1, later + 60_000, later), 1);
    assert.equal((await store().liveUntil([key], later)) > later, true);
  });

  it('limits: take never passes the limit, whatever the concurrency', async () => {
    const key = k('take');
    const now = Date.now();
    const got = await Promise.all(Array.from({ length: 30 }, () => store().take(key, 3, 20, now + 60_000, now)));
    assert.equal(
      got.reduce((a, b) => a + b, 0),
      20,
      'exactly the limit was handed out',
    );
    assert.ok(got.every((g) => g >= 0 && g <= 3));
    assert.equal(await store().take(key, 1, 20, now + 60_000, now), 0, 'full');
    assert.equal(await store().add(key, 0, now + 60_000, now), 20);
    await store().giveBack(key, 4, now);
    assert.equal(await store().take(key, 10, 20, now + 60_000, now), 4, 'what was given back can be taken again');
    await store().giveBack(key, 500, now);
    assert.equal(await store().add(key, 0, now + 60_000, now), 0, 'never below zero');
    assert.equal(await store().take(k('fresh'), 5, 3, now + 60_000, now), 3, 'a new counter grants at most the limit');
    assert.equal(await store().take(k('zero'), 5, 0, now + 60_000, now), 0);
  });

  it('limits: limits and counts past 32 bits (a daily quota of 10^12 calls) work like small ones', async () => {
    // Found by `npm run bench` on PostgreSQL: a quota of 1e12 a day made every signed call fail (code 15),
    // because the counters were 32-bit integers there.
    const key = k('big');
    const now = Date.now();
    const big = 1_000_000_000_000;
    assert.equal(await store().take(key, 2, big, now + 60_000, now), 2);
    assert.equal(await store().take(key, 3, big, now + 60_000, now), 3);
    assert.equal(await store().add(key, 5_000_000_000, now + 60_000, now), 5_000_000_005, 'counts past 2^32');
    assert.equal(await store().take(key, 1, 5_000_000_006, now + 60_000, now), 1);
    assert.equal(await store().take(key, 1, 5_000_000_006, now + 60_000, now), 0, 'full at the big limit');
  });

  it('limits: giveBack on an absent counter creates nothing', async () => {
    const key = k('absent');
    const now = Date.now();
    await store().giveBack(key, 2, now);
    assert.equal(await store().liveUntil([key], now), 0);
    assert.equal(await store().add(key, 1, now + 60_000, now), 1);
  });

  it('limits: block keeps the longer expiry; liveUntil answers the latest live one; delete forgets', async () => {
    const a = k('block');
    const b = k('block');
    const now = Date.now();
    assert.equal(await store().liveUntil([a, b], now), 0);
    await store().block(a, now + 60_000, now);
    await store().block(a, now + 30_000, now);
    await store().block(b, now + 90_000, now);
    const until = await store().liveUntil([a, b], now);
    assert.ok(Math.abs(until - (now + 90_000)) < 1_000, `latest expiry, got ${until - now} ms`);
    const onlyA = await store().liveUntil([a], now);
    assert.ok(Math.abs(onlyA - (now + 60_000)) < 1_000, `the longer block kept, got ${onlyA - now} ms`);
    await store().delete([a, b]);
    assert.equal(await store().liveUntil([a, b], now), 0);
  });
}
