/**
 * Fill the tokens table with N live, unrelated tokens (half access, half refresh, two per grant)
 * so token workloads can be measured against a large table. The rows are generated inside the
 * database (SQLite recursive CTE / PostgreSQL generate_series) with random SHA-256-shaped keys,
 * like real hashed tokens. They belong to a filler app no workload uses.
 *
 * SQLite, fast enough for 10 M (ADR 0081): every index is filled in ascending order, so each insert
 * is an append instead of a random B-tree descent. Grant ids are zero-padded (`fill-0000000042`),
 * seller ids ascend, and a token key is 8 hex digits that rise evenly over the key space with the
 * row number followed by 56 random hex digits: still 64 hex digits spread uniformly like SHA-256
 * values (the real tokens made later land all over the index, as in a real database), but made in
 * sorted order. The pages written this way are fuller than randomly grown ones, so later inserts
 * split pages a little more often: if anything, a slightly harder table than a grown one.
 */
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { parseDatabaseUrl } from '../../src/storage/kysely/database.js';

export async function fillTokens(url: string, n: number, appKey: string): Promise<void> {
  const started = Date.now();
  const now = Date.now();
  const exp = now + 30 * 24 * 3600 * 1000;
  const parsed = parseDatabaseUrl(url);
  const chunk = 1_000_000;
  if (parsed.dialect === 'sqlite') {
    const db = new SQLite(parsed.target);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -200000');
    for (let off = 0; off < n; off += chunk) {
      const size = Math.min(chunk, n - off);
      const grants = Math.ceil(size / 2);
      db.transaction(() => {
        db.prepare(
          `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
           INSERT INTO grants (grant_id, app_key, seller_id, store_id, scope, created_at, revoked_at, revoked_reason)
           SELECT printf('fill-%010d', ? + i), ?, 1000000000 + ? + i, 1, 'seller', ?, NULL, NULL FROM c`,
        ).run(grants, off / 2, appKey, off / 2, now);
        db.prepare(
          `WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ? - 1)
           INSERT INTO tokens (token_hash, kind, grant_id, app_key, scope, created_at, expires_at, revoked_at, rotated_at)
           SELECT printf('%08x', CAST((? + i) * ? AS INTEGER)) || lower(hex(randomblob(28))), CASE i % 2 WHEN 0 THEN 'access' ELSE 'refresh' END,
                  printf('fill-%010d', (? + i) / 2 + 1), ?, 'seller', ?, ?, NULL, NULL FROM c`,
        ).run(size, off, 4294967296 / n, off, appKey, now, exp);
      })();
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    // No ANALYZE here: its sqlite_stat4 made SQLite re-plan the token lookup on every call and was
    // most of the "1 M tokens" slowdown once measured (docs/adr/0057); Shouquan clears it at start-up.
    db.close();
  } else {
    const client = new pg.Client({ connectionString: parsed.target });
    await client.connect();
    for (let off = 0; off < n; off += chunk) {
      const size = Math.min(chunk, n - off);
      await client.query(
        `INSERT INTO grants (grant_id, app_key, seller_id, store_id, scope, created_at)
         SELECT 'fill-' || ($1::bigint + i), $2, 1000000000 + $1::bigint + i, 1, 'seller', $3 FROM generate_series(1, $4::bigint) i`,
        [off, appKey, now, Math.ceil(size / 2)],
      );
      await client.query(
        `INSERT INTO tokens (token_hash, kind, grant_id, app_key, scope, created_at, expires_at)
         SELECT encode(sha256(($1::bigint + i)::text::bytea || $6::bytea), 'hex'), CASE i % 2 WHEN 0 THEN 'access' ELSE 'refresh' END,
                'fill-' || ($1::bigint + i / 2 + 1), $2, 'seller', $3, $4 FROM generate_series(0, $5::bigint - 1) i`,
        [off, appKey, now, exp, size, String(now)],
      );
    }
    await client.query('VACUUM ANALYZE tokens');
    await client.query('VACUUM ANALYZE grants');
    await client.end();
  }
  process.stderr.write(`filled ${n} tokens in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
