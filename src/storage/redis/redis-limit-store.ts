import { Redis } from 'ioredis';
import type { LimitStore } from '../ports.js';

/** Keys are namespaced so one Redis can serve other things (and several Shouquan deployments). */
export const DEFAULT_REDIS_PREFIX = 'shouquan:limits:';

// Each script is one atomic step in Redis (scripts run alone), the same contract as the
// database's single statements. TTLs are relative (PEXPIRE), so node and Redis clocks need not agree.
const ADD = `
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`;
const TAKE = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local want = tonumber(ARGV[1])
local room = tonumber(ARGV[2]) - cur
if room < 0 then room = 0 end
if room < want then want = room end
if want > 0 then
  redis.call('INCRBY', KEYS[1], want)
  if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
return want`;
const GIVE_BACK = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = tonumber(ARGV[1])
if n > cur then n = cur end
if n > 0 then redis.call('DECRBY', KEYS[1], n) end
return n`;
const BLOCK = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[1]) then
  if ttl == -2 then redis.call('SET', KEYS[1], '0', 'PX', ARGV[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
end
return 1`;
const LIVE_FOR = `
local best = 0
for i, k in ipairs(KEYS) do
  local t = redis.call('PTTL', k)
  if t > best then best = t end
end
return best`;

interface LimitCommands {
  shqAdd(key: string, by: number, ttlMs: number): Promise<number>;
  shqTake(key: string, want: number, limit: number, ttlMs: number): Promise<number>;
  shqGiveBack(key: string, n: number): Promise<number>;
  shqBlock(key: string, ttlMs: number): Promise<number>;
  shqLiveFor(numberOfKeys: number, ...keys: string[]): Promise<number>;
}

/** A Redis store was asked something and did not answer: a 503 like a database outage (docs/adr/0042). */
export class LimitStoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Redis limit store unreachable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'LimitStoreUnavailableError';
  }
}

export interface RedisLimitStoreOptions {
  /** Key prefix (default `shouquan:limits:`). */
  prefix?: string;
  /** A command that gets no answer within this fails (ms, default 2000): a request is not held up by a stuck Redis. */
  commandTimeoutMs?: number;
}

const ttl = (expiresAt: number, now: number) => Math.max(1, Math.ceil(expiresAt - now));

/**
 * The {@link LimitStore} in Redis (`serve --redis URL`, docs/adr/0110), over ioredis. Every method
 * is one Lua script, so concurrent nodes never lose an update; keys expire on their own (PEXPIRE),
 * so the janitor has nothing to purge here. Commands are not queued while Redis is away: they fail
 * at once, and requests that need them get a 503 (limits are never silently skipped).
 * Resolves once Redis answered a PING; rejects (and disconnects) when it does not.
 */
export async function openRedisLimitStore(url: string, options: RedisLimitStoreOptions = {}): Promise<LimitStore> {
  const redis = new Redis(url, {
    keyPrefix: options.prefix ?? DEFAULT_REDIS_PREFIX,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: 5000,
    // Reconnect with a capped back-off for as long as the process runs.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Without a listener ioredis reports every reconnect failure as an unhandled 'error' event.
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactRedisUrl(url)}: ${(e as Error).message}`);
  }
  redis.defineCommand('shqAdd', { numberOfKeys: 1, lua: ADD });
  redis.defineCommand('shqTake', { numberOfKeys: 1, lua: TAKE });
  redis.defineCommand('shqGiveBack', { numberOfKeys: 1, lua: GIVE_BACK });
  redis.defineCommand('shqBlock', { numberOfKeys: 1, lua: BLOCK });
  redis.defineCommand('shqLiveFor', { lua: LIVE_FOR, readOnly: true });
  const r = redis as unknown as LimitCommands;
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if ((e as Error)?.name === 'ReplyError') throw e; // a script error is a bug, not an outage
      throw new LimitStoreUnavailableError(e);
    }
  };
  return {
    kind: 'redis',
    add: (key, by, expiresAt, now) =>
      call(async () => Number(await r.shqAdd(key, Math.floor(by), ttl(expiresAt, now)))),
    take: (key, want, limit, expiresAt, now) =>
      call(async () =>
        Number(await r.shqTake(key, Math.max(0, Math.floor(want)), Math.floor(limit), ttl(expiresAt, now))),
      ),
    giveBack: (key, n) =>
      call(async () => {
        if (n > 0) await r.shqGiveBack(key, Math.floor(n));
      }),
    block: (key, until, now) =>
      call(async () => {
        if (until > now) await r.shqBlock(key, ttl(until, now));
      }),
    liveUntil: (keys, now) =>
      call(async () => {
        if (keys.length === 0) return 0;
        const left = Number(await r.shqLiveFor(keys.length, ...keys));
        return left > 0 ? now + left : 0;
      }),
    delete: (keys) =>
      call(async () => {
        if (keys.length > 0) await redis.del(...keys);
      }),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** A Redis URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
