import { describe, before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { openRedisLimitStore } from '../../src/storage/redis/redis-limit-store.js';
import type { LimitStore } from '../../src/storage/ports.js';
import { REDIS_SKIP, REDIS_URL, redisAvailable } from '../helpers/databases.js';
import { limitStoreContract } from './limit-store-contract.js';

/** The same contract as the database store, against the real Redis (skipped when none answers). */
const skip = (await redisAvailable()) ? false : REDIS_SKIP;

describe('limit store (redis)', { skip }, () => {
  let store: LimitStore;
  before(async () => {
    store = await openRedisLimitStore(REDIS_URL, { prefix: `shouquan-test:${process.pid}:` });
  });
  after(async () => {
    await store?.close();
  });
  limitStoreContract(() => store);

  it('refuses to open when nothing answers, naming the URL without its password', async () => {
    await assert.rejects(openRedisLimitStore('redis://user:hunter2@127.0.0.1:1/0'), (e: Error) => {
      assert.match(e.message, /^cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1\/0/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
  });
});
