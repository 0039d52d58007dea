/**
 * In-process measurement of the storage layer alone (no HTTP): the code-exchange write
 * (`grants.redeemAuthCode`), refresh rotation and the token lookup, with N concurrent callers,
 * on SQLite through Kysely's own SqliteDialect ("kysely"), the new driver with only its statement
 * cache ("cache") and with group commit as well ("group"; ADR 0050).
 * Prints operations per second and CPU µs per operation for each.
 * Usage: node --import tsx scripts/bench/storage-micro.ts [ops=20000] [concurrency=32]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../../src/storage/kysely/schema.js';
import { migrateToLatest } from '../../src/storage/kysely/database.js';
import { SqliteGroupCommitDialect } from '../../src/storage/kysely/sqlite-group-commit-driver.js';
import { createKyselyStorage } from '../../src/storage/kysely/kysely-storage.js';
import type { Storage } from '../../src/storage/ports.js';
import { benchToken, createBenchApp, hex, seedAccessTokens } from './seed-tokens.js';

const OPS = Number(process.argv[2] ?? 20000);
const CONC = Number(process.argv[3] ?? 32);

async function setup(kind: 'kysely' | 'cache' | 'group'): Promise<{ storage: Storage; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sq-micro-'));
  const sqlite = new SQLite(join(dir, 'db.sqlite'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({
    dialect:
      kind === 'kysely'
        ? new SqliteDialect({ database: sqlite })
        : new SqliteGroupCommitDialect(sqlite, { groupCommit: kind === 'group' }),
  });
  await migrateToLatest(db, 'sqlite');
  const storage = createKyselyStorage(db, 'sqlite');
  await createBenchApp(storage);
  return { storage, dir };
}

const tok = benchToken;

async function run(label: string, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      for (let i = next++; i < OPS; i = next++) await op(i);
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${label.padEnd(44)} ${(OPS / secs).toFixed(0).padStart(7)} ops/s  ${((cpu.user + cpu.system) / OPS).toFixed(1).padStart(6)} CPU µs/op`,
  );
}

for (const kind of ['kysely', 'cache', 'group'] as const) {
  const { storage, dir } = await setup(kind);
  const now = Date.now();
  // Codes for redeemAuthCode, one seller per code so grants do not collide.
  const codes = Array.from({ length: OPS }, (_, i) => ({ codeHash: hex(), sellerId: i + 1 }));
  for (const c of codes) {
    await storage.codes.create({
      codeHash: c.codeHash,
      appKey: 'app',
      sellerId: c.sellerId,
      storeId: 1,
      redirectUri: 'https://a/cb',
      redirectUriSent: true,
      scope: ['seller'],
      codeChallenge: null,
      codeChallengeMethod: null,
      createdAt: now,
      expiresAt: now + 600_000,
      consumedAt: null,
      grantId: null,
    });
  }
  const refresh: string[] = [];
  await run(`${kind}: redeemAuthCode (exchange write)`, async (i) => {
    const c = codes[i]!;
    const grant = {
      grantId: `g${i}`,
      appKey: 'app',
      sellerId: c.sellerId,
      storeId: 1,
      scope: ['seller'],
      createdAt: now,
      revokedAt: null,
      revokedReason: null,
    };
    const tokens = [tok(grant.grantId, 'access', now), tok(grant.grantId, 'refresh', now)];
    refresh[i] = tokens[1]!.tokenHash;
    const r = await storage.grants.redeemAuthCode({ codeHash: c.codeHash, now, grant, tokens });
    if (r.status !== 'redeemed') throw new Error('not redeemed');
  });
  await run(`${kind}: rotateRefreshToken`, async (i) => {
    const r = await storage.tokens.rotateRefreshToken({
      oldHash: refresh[i]!,
      now,
      tokens: [tok(`g${i}`, 'access', now), tok(`g${i}`, 'refresh', now)],
    });
    if (r.status !== 'rotated') throw new Error('not rotated');
  });
  await run(`${kind}: tokens.find (introspection/bearer read)`, async (i) => {
    if (!(await storage.tokens.find(refresh[i]!))) throw new Error('not found');
  });
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}

// The token lookup precompiled (src/storage/kysely/compiled-query.ts) against the Kysely builder per call.
{
  const { precompile } = await import('../../src/storage/kysely/compiled-query.js');
  const dir = mkdtempSync(join(tmpdir(), 'sq-micro-'));
  const sqlite = new SQLite(join(dir, 'db.sqlite'));
  sqlite.pragma('journal_mode = WAL');
  const db = new Kysely<Database>({ dialect: new SqliteGroupCommitDialect(sqlite) });
  await migrateToLatest(db, 'sqlite');
  const storage = createKyselyStorage(db, 'sqlite');
  await createBenchApp(storage);
  const now = Date.now();
  const hashes = await seedAccessTokens(storage, 2000, now);
  const build = (h: string) =>
    db
      .selectFrom('tokens as t')
      .innerJoin('grants as g', 'g.grant_id', 't.grant_id')
      .select([
        't.token_hash',
        't.kind',
        't.grant_id',
        't.app_key',
        't.scope',
        't.created_at',
        't.expires_at',
        't.revoked_at',
        't.rotated_at',
        'g.seller_id',
        'g.store_id',
        'g.scope as grant_scope',
        'g.created_at as grant_created_at',
        'g.revoked_at as grant_revoked_at',
        'g.revoked_reason',
      ])
      .where('t.token_hash', '=', h);
  const fast = precompile(db, ['h'], (p) => build(p.h));
  await run('builder per call: token lookup', async (i) => {
    if (!(await build(hashes[i % 2000]!).executeTakeFirst())) throw new Error('missing');
  });
  await run('precompiled: token lookup', async (i) => {
    if (!(await fast({ h: hashes[i % 2000]! })).rows[0]) throw new Error('missing');
  });
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
