import { it } from 'node:test';
import assert from 'node:assert/strict';
import { FailureLimiter } from './throttle.js';

it('blocks a key after max failures within the window, for blockMs', () => {
  let now = 1_000;
  const l = new FailureLimiter({ max: 3, windowMs: 10_000, blockMs: 5_000 }, () => now);
  assert.equal(l.fail('a'), 0);
  assert.equal(l.fail('a'), 0);
  assert.equal(l.fail('a'), 5_000);
  assert.equal(l.retryAfter('a'), 5_000);
  assert.equal(l.retryAfter('b'), 0);
  now += 4_000;
  assert.equal(l.retryAfter('a'), 1_000);
  now += 1_000;
  assert.equal(l.retryAfter('a'), 0);
});

it('forgets failures once the window has passed, and on reset', () => {
  let now = 0;
  const l = new FailureLimiter({ max: 2, windowMs: 1_000, blockMs: 1_000 }, () => now);
  l.fail('a');
  now = 1_500;
  assert.equal(l.fail('a'), 0, 'a new window');
  l.reset('a');
  assert.equal(l.fail('a'), 0);
  assert.equal(l.fail('a'), 1_000);
});

it('keeps memory bounded by dropping the oldest keys', () => {
  const l = new FailureLimiter({ max: 1, windowMs: 1_000, blockMs: 1_000 }, () => 0, 3);
  for (const k of ['a', 'b', 'c', 'd']) l.fail(k);
  assert.equal(l.retryAfter('a'), 0, 'oldest dropped');
  assert.equal(l.retryAfter('d'), 1_000);
});
