import type { FastifyInstance } from 'fastify';
import type { CoreContext, Lifetimes } from './core/context.js';
import { refreshGraceOf, type Profile } from './profiles/profile.js';
import { buildServer } from './server/app.js';
import { DatabaseNewerError, migrateToLatest, openDatabase } from './storage/kysely/database.js';
import { createKyselyStorage } from './storage/kysely/kysely-storage.js';
import type { LimitStore, Storage } from './storage/ports.js';
import { withAppCache } from './storage/app-cache.js';
import { loadServerKey } from './crypto/server-key.js';

/**
 * Open storage for a database URL and bring its schema up to date. `migrate: false` skips the
 * migrations: `serve --workers N` runs them once in the primary before forking (docs/adr/0090).
 * `redisUrl` keeps the shared limits (failure counters, lockouts, quotas) in Redis instead of the
 * database (`serve --redis`, docs/adr/0110).
 */
export async function openStorage(
  databaseUrl: string,
  opts: {
    createIfMissing?: boolean;
    migrate?: boolean;
    redisUrl?: string;
    messageBroker?: string;
    messageRetentionMs?: number;
  } = {},
): Promise<Storage> {
  const storage = await openStorageWithLimits(databaseUrl, opts);
  if (opts.messageBroker === undefined) return storage;
  try {
    return await withMessageBroker(storage, opts.messageBroker, opts.messageRetentionMs ?? 3 * 86_400_000);
  } catch (e) {
    await storage.close().catch(() => {});
    throw e;
  }
}

/**
 * `serve --message-broker nats://…`: the message service's queues move to NATS JetStream
 * (docs/adr/0145); it must answer now. Routing and webhook pushes stay in the database.
 */
export async function withMessageBroker(storage: Storage, url: string, retentionMs: number): Promise<Storage> {
  const gateway = storage.gateway;
  if (!gateway) return storage;
  // Loaded only here: deployments without a broker never load the NATS client.
  const { openNatsMessageQueue } = await import('./messages/nats-message-queue.js');
  const messages = await openNatsMessageQueue({
    url,
    retentionMs,
    outbox: gateway.outbox,
    publicStoreId: async (id) => {
      const store = await storage.sellers.store(id);
      return store ? (store.externalId ?? store.storeId) : id;
    },
  });
  return {
    ...storage,
    gateway: { ...gateway, messages },
    async close() {
      await messages.close();
      await storage.close();
    },
  };
}

async function openStorageWithLimits(
  databaseUrl: string,
  opts: { createIfMissing?: boolean; migrate?: boolean; redisUrl?: string },
): Promise<Storage> {
  let opened;
  try {
    opened = openDatabase(databaseUrl, { createIfMissing: opts.createIfMissing });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'SQLITE_CANTOPEN' || /does not exist|unable to open/i.test(err.message ?? '')) {
      throw new Error(
        `database ${databaseUrl} does not exist (run "shouquan migrate --database ${databaseUrl}" or "shouquan serve" first)`,
      );
    }
    throw e;
  }
  // App records are cached in-process (docs/adr/0051).
  const storage = withAppCache(
    createKyselyStorage(opened.db, opened.dialect, {
      pool: opened.pool,
      commitStats: opened.commitStats,
      direct: opened.direct,
    }),
  );
  try {
    if (opts.migrate !== false) await migrateToLatest(opened.db, opened.dialect);
  } catch (e) {
    await storage.close().catch(() => {});
    if (e instanceof DatabaseNewerError) throw e;
    const msg = (e as Error).message;
    throw new Error(`cannot open database ${redactDbUrl(databaseUrl)}: ${msg}`);
  }
  if (opts.redisUrl === undefined) return storage;
  // `serve --redis`: the shared counters move to Redis (docs/adr/0110); it must answer now.
  let limits: LimitStore;
  try {
    // Loaded only here: deployments without Redis never load ioredis.
    const { openRedisLimitStore } = await import('./storage/redis/redis-limit-store.js');
    limits = await openRedisLimitStore(opts.redisUrl);
  } catch (e) {
    await storage.close().catch(() => {});
    throw e;
  }
  return {
    ...storage,
    limits,
    async close() {
      await limits.close();
      await storage.close();
    },
  };
}

/** A database URL without its password, for messages. */
export function redactDbUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

/**
 * The server's key for keyed hashes and sealed secrets: from `keyFile` (`--secret-key-file`,
 * checked against the database's fingerprint of it), else the embedded default's key kept in the
 * database (docs/adr/0003, docs/adr/0115). Throws a one-line reason when the key does not fit.
 */
export async function loadSecretKey(storage: Storage, keyFile?: string): Promise<Buffer> {
  return (await loadServerKey(storage, keyFile)).key;
}

export interface RuntimeOptions {
  storage: Storage;
  profile: Profile;
  /**
   * The issuer, or where to read it: `serve --port 0` passes a resolver that knows the port once
   * the server listens (docs/adr/0167), so nothing rewrites the context afterwards.
   */
  issuer: string | (() => string);
  lifetimes?: Partial<Lifetimes>;
  now?: () => number;
  /** The server key's file (`serve --secret-key-file`); without it the key kept in the database (docs/adr/0115). */
  secretKeyFile?: string;
}

/** Assemble the core context from its parts. */
export async function createCoreContext(opts: RuntimeOptions): Promise<CoreContext> {
  const { profile } = opts;
  const serverKey = await loadServerKey(opts.storage, opts.secretKeyFile);
  // The sandbox clock (POST /sandbox/clock) adds an offset to the real one; 0 unless moved.
  const base = opts.now ?? Date.now;
  let offset = 0;
  const issuer = opts.issuer;
  const core: CoreContext = {
    storage: opts.storage,
    profile,
    issuer: typeof issuer === 'string' ? issuer : issuer(),
    secretKey: serverKey.key,
    secretKeySource: serverKey.source,
    secretKeyWarnings: serverKey.warnings,
    now: () => base() + offset,
    advanceClock(ms: number) {
      offset += ms;
      return base() + offset;
    },
    lifetimes: {
      code: profile.lifetimes.code,
      access: profile.lifetimes.access,
      refresh: profile.lifetimes.refresh,
      interaction: 30 * 60,
      session: 12 * 3600,
      refreshGrace: refreshGraceOf(profile),
      ...opts.lifetimes,
    },
  };
  if (typeof issuer === 'function') Object.defineProperty(core, 'issuer', { get: issuer, enumerable: true });
  return core;
}

export type { FastifyInstance };
export { buildServer };
