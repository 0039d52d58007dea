// Issue 19 part 1: idempotent refresh within a grace window (docs/adr/0100). A refresh token
// rotated no more than G seconds ago, whose successor's refresh token is unused, gets the very
// same successor again; after that, or outside the window, reuse revokes the grant as before.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { sha256 } from '../src/crypto/tokens.js';
import { purgeExpired } from '../src/janitor.js';
import { openDatabase } from '../src/storage/kysely/database.js';
import { accessWorks, eachDialect, token, tokensFor } from './helpers/oauth.js';

const BAD_REFRESH = { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' };
/** A frozen clock: only `advance` moves it, so `expires_in` is exact. */
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

await eachDialect('refresh grace window (standard, G = 60 s)', { now: () => T0 }, (server) => {
  const refresh = (refreshToken: string) =>
    token(server(), { grant_type: 'refresh_token', refresh_token: refreshToken });

  it('a retry within the window gets the very same successor, expires_in counting down', async () => {
    const s = server();
    const t0 = await tokensFor(s);
    const first = await refresh(t0.refresh_token);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(Object.keys(first.json), [
      'access_token',
      'token_type',
      'expires_in',
      'refresh_token',
      'scope',
      'seller_id',
      'store_id',
    ]);
    assert.equal(first.json.expires_in, 7200);
    s.advance(5_000);
    try {
      const again = await refresh(t0.refresh_token);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.headers.get('cache-control'), 'no-store');
      assert.deepEqual(again.json, {
        access_token: first.json.access_token,
        token_type: 'bearer',
        expires_in: 7195,
        refresh_token: first.json.refresh_token,
        scope: 'seller',
        seller_id: s.seller.sellerId,
        store_id: s.seller.stores[0]!.storeId,
      });
      s.advance(55_000); // 60 s after the rotation: still "no more than G seconds ago"
      const last = await refresh(t0.refresh_token);
      assert.deepEqual(last.json, { ...first.json, expires_in: 7140 });
      assert.equal(await accessWorks(s, first.json.access_token), true);
      // The successor is the one live refresh token of the family.
      const next = await refresh(first.json.refresh_token);
      assert.equal(next.status, 200, next.text);
      assert.notEqual(next.json.refresh_token, first.json.refresh_token);
    } finally {
      s.advance(-60_000);
    }
  });

  it("using the successor's access token does not end the window; using its refresh token does", async () => {
    const s = server();
    const t0 = await tokensFor(s);
    const t1 = (await refresh(t0.refresh_token)).json;
    assert.equal(await accessWorks(s, t1.access_token), true);
    const again = await refresh(t0.refresh_token);
    assert.deepEqual(again.json, t1);
    const t2 = await refresh(t1.refresh_token);
    assert.equal(t2.status, 200, t2.text);
    const reuse = await refresh(t0.refresh_token);
    assert.equal(reuse.status, 400);
    assert.deepEqual(reuse.json, BAD_REFRESH);
    // Reuse as today: the grant is revoked and every token of it dies.
    assert.equal(await accessWorks(s, t1.access_token), false);
    assert.equal(await accessWorks(s, t2.json.access_token), false);
    assert.deepEqual((await refresh(t2.json.refresh_token)).json, BAD_REFRESH);
  });

  it('outside the window a rotated token is reuse: the grant is revoked', async () => {
    const s = server();
    const t0 = await tokensFor(s);
    const t1 = (await refresh(t0.refresh_token)).json;
    s.advance(60_001);
    try {
      const reuse = await refresh(t0.refresh_token);
      assert.equal(reuse.status, 400);
      assert.deepEqual(reuse.json, BAD_REFRESH);
      assert.equal(await accessWorks(s, t1.access_token), false);
      assert.deepEqual((await refresh(t1.refresh_token)).json, BAD_REFRESH);
    } finally {
      s.advance(-60_001);
    }
  });

  it('a replay within the window is not counted as issued tokens in /metrics, but as a grace replay', async () => {
    const s = server();
    const metric = async (line: RegExp): Promise<number> => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      return Number(text.match(line)?.[1] ?? 0);
    };
    const issued = () => metric(/^shouquan_tokens_issued_total\{grant_type="refresh_token"\} (\d+)$/m);
    const replays = () => metric(/^shouquan_refresh_grace_replays_total (\d+)$/m);
    const t0 = await tokensFor(s);
    const [issued0, replays0] = [await issued(), await replays()];
    const t1 = await refresh(t0.refresh_token);
    assert.equal(t1.status, 200, t1.text);
    assert.equal(await issued(), issued0 + 1, 'a rotation issues tokens');
    const again = await refresh(t0.refresh_token);
    assert.deepEqual(again.json, t1.json);
    const last = await refresh(t0.refresh_token);
    assert.deepEqual(last.json, t1.json);
    assert.equal(await issued(), issued0 + 1, 'the same successor handed out again issues nothing');
    assert.equal(await replays(), replays0 + 2);
  });

  it('concurrent requests with one refresh token all get that one successor', async () => {
    const s = server();
    const t0 = await tokensFor(s);
    const { db } = openDatabase(s.db.url);
    // Refresh tokens of t0's grant (on standard a later consent adds to the live grant, so earlier
    // tests' tokens may share it): one rotation adds exactly one.
    const refreshTokens = async () =>
      Number(
        (
          await sql<{
            n: number;
          }>`select count(*) as n from tokens where kind = 'refresh' and grant_id = (select grant_id from tokens where token_hash = ${sha256(t0.refresh_token)})`.execute(
            db,
          )
        ).rows[0]!.n,
      );
    let results: Awaited<ReturnType<typeof refresh>>[];
    try {
      const before = await refreshTokens();
      results = await Promise.all(Array.from({ length: 10 }, () => refresh(t0.refresh_token)));
      assert.deepEqual(
        results.map((r) => r.status),
        Array.from({ length: 10 }, () => 200),
        results.map((r) => r.text).join('\n'),
      );
      for (const r of results) assert.deepEqual(r.json, results[0]!.json);
      assert.equal(await refreshTokens(), before + 1, 'one rotation: one new refresh token');
      const row = await sql<{
        rotated_at: number | null;
      }>`select rotated_at from tokens where token_hash = ${sha256(results[0]!.json.refresh_token)}`.execute(db);
      assert.equal(row.rows[0]!.rotated_at, null, 'the successor is live');
    } finally {
      await db.destroy();
    }
    const next = await refresh(results[0]!.json.refresh_token);
    assert.equal(next.status, 200, next.text);
  });

  it('keeps the successor only sealed, and the janitor clears it once the window ended', async () => {
    const s = server();
    const t0 = await tokensFor(s);
    const t1 = (await refresh(t0.refresh_token)).json;
    const { db } = openDatabase(s.db.url);
    try {
      const rows = await sql<Record<string, unknown>>`select * from tokens`.execute(db);
      const dump = JSON.stringify(rows.rows);
      assert.ok(!dump.includes(t1.access_token) && !dump.includes(t1.refresh_token), 'no token in the clear at rest');
      // Successors whose window ends at T0 + 60 s (the earlier tests of this server leave others).
      const kept = async () =>
        Number(
          (
            await sql<{
              n: number;
            }>`select count(*) as n from tokens where successor is not null and grace_until <= ${T0 + 60_000}`.execute(
              db,
            )
          ).rows[0]!.n,
        );
      assert.ok((await kept()) >= 1);
      // Within the window the janitor keeps it.
      const early = await purgeExpired(s.core.storage, { now: () => T0 + 60_000 });
      assert.equal(early.successors, 0);
      const report = await purgeExpired(s.core.storage, { now: () => T0 + 60_001 });
      assert.ok(report.successors >= 1, JSON.stringify(report));
      assert.equal(await kept(), 0);
      // Nothing to hand out any more: reuse, as outside the window.
      assert.deepEqual((await refresh(t0.refresh_token)).json, BAD_REFRESH);
      assert.equal(await accessWorks(s, t1.access_token), false);
    } finally {
      await db.destroy();
    }
  });
});

await eachDialect(
  'refresh grace window off (refreshGrace 0: every reuse revokes)',
  { now: () => T0, lifetimes: { refreshGrace: 0 } },
  (server) => {
    it('a retry right after the rotation revokes the grant, and concurrent refreshes have one winner', async () => {
      const s = server();
      const t0 = await tokensFor(s);
      const t1 = await token(s, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
      assert.equal(t1.status, 200);
      const reuse = await token(s, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
      assert.deepEqual(reuse.json, BAD_REFRESH);
      assert.equal(await accessWorks(s, t1.json.access_token), false);
      const t2 = await tokensFor(s);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => token(s, { grant_type: 'refresh_token', refresh_token: t2.refresh_token })),
      );
      assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(','));
    });
  },
);
