import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../runtime.js';
import type { Storage } from '../storage/ports.js';
import { beginLogin, SharedFailureLimiter, type Throttle } from './throttle.js';

describe('failure budgets in the shared limit store (ADR 0110)', () => {
  let dir: string;
  let storage: Storage;
  let now = 1_000_000;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shouquan-throttle-'));
    storage = await openStorage(`sqlite:${join(dir, 't.db')}`, { createIfMissing: true });
  });
  after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const limiter = (name: string, max: number, windowMs: number, blockMs: number) =>
    new SharedFailureLimiter({ max, windowMs, blockMs }, storage.limits, name, () => now);
  const throttle = (): Throttle => ({
    limits: {} as Throttle['limits'],
    store: storage.limits,
    sellerPerUser: limiter('u', 5, 900_000, 900_000),
    sellerPerIp: limiter('ip', 30, 900_000, 900_000),
    clientPerClient: limiter('c', 30, 60_000, 60_000),
    clientPerIp: limiter('cip', 100, 60_000, 60_000),
    throttled: { inc() {} } as unknown as Throttle['throttled'],
  });

  it('blocks a key after max failures within the window, for blockMs', async () => {
    const l = limiter('a', 3, 10_000, 5_000);
    assert.equal(await l.fail('k'), 0);
    assert.equal(await l.fail('k'), 0);
    assert.equal(await l.fail('k'), 5_000);
    assert.equal(await l.retryAfter('k'), 5_000);
    assert.equal(await l.retryAfter('other'), 0);
    now += 4_000;
    assert.equal(await l.retryAfter('k'), 1_000);
    now += 1_000;
    assert.equal(await l.retryAfter('k'), 0);
  });

  it('forgets failures once the window has passed, and on reset', async () => {
    const l = limiter('b', 2, 1_000, 1_000);
    await l.fail('k');
    now += 1_500;
    assert.equal(await l.fail('k'), 0, 'a new window');
    await l.reset('k');
    assert.equal(await l.fail('k'), 0);
    assert.equal(await l.fail('k'), 1_000);
  });

  it('lets at most 5 of 12 concurrent sign-ins reach the password check; the lockout follows the 5th failure', async () => {
    const t = throttle();
    const attempts = await Promise.all(
      Array.from({ length: 12 }, () => beginLogin(t, 'seller-a', '10.0.0.1', () => now)),
    );
    const checked = attempts.filter((a) => a.wait === 0);
    assert.equal(checked.length, 5);
    assert.ok(attempts.filter((a) => a.wait > 0).every((a) => a.wait === 900_000));
    const waits = await Promise.all(checked.map((a) => a.failed()));
    assert.equal(waits.filter((w) => w > 0).length, 1, 'the 5th failure starts the lockout');
    const sixth = await beginLogin(t, 'seller-a', '10.0.0.2', () => now);
    assert.equal(sixth.wait, 900_000, 'locked from any address');
  });

  it('a right password ends the user streak and does not count against the IP', async () => {
    const t = throttle();
    for (let i = 0; i < 4; i++) await (await beginLogin(t, 'seller-b', '10.0.0.3', () => now)).failed();
    await (await beginLogin(t, 'seller-b', '10.0.0.3', () => now)).succeeded();
    for (let i = 0; i < 4; i++)
      assert.equal(await (await beginLogin(t, 'seller-b', '10.0.0.3', () => now)).failed(), 0);
    assert.equal(
      await storage.limits.add(t.sellerPerIp.counterKey('10.0.0.3'), 0, now + 1, now),
      8,
      'eight failures, the success not counted',
    );
  });

  it('spends the per-IP budget across usernames', async () => {
    const t = throttle();
    for (let i = 0; i < 29; i++)
      assert.equal(await (await beginLogin(t, `user${i}`, '10.0.0.9', () => now)).failed(), 0);
    assert.equal(
      await (await beginLogin(t, 'user29', '10.0.0.9', () => now)).failed(),
      900_000,
      'the 30th failure blocks the IP',
    );
    assert.equal((await beginLogin(t, 'someone-else', '10.0.0.9', () => now)).wait, 900_000);
  });
});
