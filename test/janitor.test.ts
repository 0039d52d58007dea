// The janitor: expired rows are purged in batches without stopping the server
// (issue 6 "a test with a million expired rows"; RFC 6819 §5.1.4.1.3).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { main } from '../src/cli/main.js';
import { purgeExpired } from '../src/janitor.js';
import { openDatabase } from '../src/storage/kysely/database.js';
import { testDialects } from './helpers/databases.js';
import { OUTBOX_DONE } from '../src/storage/gateway-ports.js';
import { accessWorks, tokensFor } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Expired tokens to plant. A million takes more than a few seconds (measured here: SQLite plant
 * 4–12 s + purge 8–12 s; PostgreSQL plant ~30 s + purge ~12 s), so the default suite plants
 * 200,000 on SQLite and 100,000 on PostgreSQL; SHOUQUAN_JANITOR_ROWS=1000000 runs the million.
 */
const rowsFor = (dialect: string) =>
  Number(process.env.SHOUQUAN_JANITOR_ROWS ?? (dialect === 'postgres' ? 100_000 : 200_000));
const SMALL = 1000;

for (const d of await testDialects()) {
  describe(`janitor (${d.name})`, { skip: d.skip }, () => {
    let s: TestServer;
    const ROWS = rowsFor(d.name);
    before(async () => {
      s = await startTestServer({ db: await d.fresh() });
    });
    after(async () => s?.close());

    it(`purges ${ROWS.toLocaleString('en')} expired tokens and more in batches while requests are served`, async (t) => {
      const live = await tokensFor(s);
      const { db } = openDatabase(s.db.url);
      const planted = Date.now();
      try {
        const app = s.client.appKey;
        await db
          .insertInto('grants')
          .values({
            grant_id: 'janitor-grant',
            app_key: app,
            seller_id: s.seller.sellerId,
            store_id: s.seller.stores[0]!.storeId,
            scope: 'seller',
            created_at: 0,
            revoked_at: 1,
            revoked_reason: 'test',
          })
          .execute();
        if (d.name === 'postgres') {
          await sql`insert into tokens (token_hash, kind, grant_id, app_key, scope, created_at, expires_at, revoked_at, rotated_at) select 'exp' || i, 'access', 'janitor-grant', ${app}, 'seller', 0, 1000, null, null from generate_series(1, ${ROWS}::int) i`.execute(
            db,
          );
          await sql`insert into auth_codes select 'code' || i, ${app}, ${s.seller.sellerId}, 1, 'https://x', 1, 'seller', null, null, 0, 1000, null, null, null from generate_series(1, ${SMALL}::int) i`.execute(
            db,
          );
          await sql`insert into interactions select 'ia' || i, 'h', '{}', 0, 1000, null from generate_series(1, ${SMALL}::int) i`.execute(
            db,
          );
          await sql`insert into seller_sessions (id_hash, seller_id, created_at, expires_at) select 'sess' || i, ${s.seller.sellerId}, 0, 1000 from generate_series(1, ${SMALL}::int) i`.execute(
            db,
          );
        } else {
          const series = (n: number) =>
            sql`with recursive c(i) as (select 1 union all select i + 1 from c where i < ${n})`;
          await sql`${series(ROWS)} insert into tokens (token_hash, kind, grant_id, app_key, scope, created_at, expires_at, revoked_at, rotated_at) select 'exp' || i, 'access', 'janitor-grant', ${app}, 'seller', 0, 1000, null, null from c`.execute(
            db,
          );
          await sql`${series(SMALL)} insert into auth_codes select 'code' || i, ${app}, ${s.seller.sellerId}, 1, 'https://x', 1, 'seller', null, null, 0, 1000, null, null, null from c`.execute(
            db,
          );
          await sql`${series(SMALL)} insert into interactions select 'ia' || i, 'h', '{}', 0, 1000, null from c`.execute(
            db,
          );
          await sql`${series(SMALL)} insert into seller_sessions (id_hash, seller_id, created_at, expires_at) select 'sess' || i, ${s.seller.sellerId}, 0, 1000 from c`.execute(
            db,
          );
        }
      } finally {
        await db.destroy();
      }
      t.diagnostic(`planted ${ROWS} tokens and ${3 * SMALL} other rows in ${Date.now() - planted} ms`);

      // Serve requests during the purge: each must succeed, and some must finish before it ends.
      let purging = true;
      let served = 0;
      const traffic = (async () => {
        while (purging) {
          const res = await fetch(`${s.url}/healthz`);
          assert.equal(res.status, 200);
          await res.arrayBuffer();
          served++;
        }
      })();
      const report = await purgeExpired(s.core.storage, { batchSize: 10_000, graceMs: 0 });
      purging = false;
      await traffic;
      t.diagnostic(`janitor: ${JSON.stringify(report)}; ${served} requests served during the purge`);

      assert.equal(report.tokens, ROWS);
      assert.equal(report.codes, SMALL);
      assert.equal(report.interactions, SMALL);
      assert.equal(report.sessions, SMALL);
      assert.ok(report.grants >= 1, 'the revoked grant with no tokens left is gone');
      assert.ok(report.batches >= ROWS / 10_000);
      assert.ok(served > 0, 'requests were answered while the janitor ran');
      assert.equal(await accessWorks(s, live.access_token), true, 'live tokens survive');
      const refresh = await fetch(`${s.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: live.refresh_token,
          client_id: s.client.appKey,
          client_secret: s.client.appSecret,
        }),
      });
      assert.equal(refresh.status, 200, await refresh.text());
    });

    it('keeps rows within the grace period, and the CLI reports what it purged', async () => {
      const { db } = openDatabase(s.db.url);
      const now = Date.now();
      try {
        await db
          .insertInto('interactions')
          .values([
            {
              id: 'recent',
              browser_hash: 'h',
              request: '{}',
              created_at: now - 120_000,
              expires_at: now - 60_000,
              consumed_at: null,
            },
            {
              id: 'old',
              browser_hash: 'h',
              request: '{}',
              created_at: 0,
              expires_at: now - 7_200_000,
              consumed_at: null,
            },
          ])
          .execute();
      } finally {
        await db.destroy();
      }
      const lines: string[] = [];
      const code = await main(['janitor', '--database', s.db.url, '--json', '--batch-size', '1'], {
        log: (x) => lines.push(x),
        err: (x) => lines.push(x),
      });
      assert.equal(code, 0, lines.join('\n'));
      const report = JSON.parse(lines[0]!);
      assert.equal(report.interactions, 1, 'the one expired past the default one-hour grace');
      assert.equal(await s.core.storage.interactions.find('recent').then((r) => r?.id), 'recent');
      assert.equal(await s.core.storage.interactions.find('old'), undefined);
      assert.deepEqual(Object.keys(report), [
        'interactions',
        'sessions',
        'codes',
        'tokens',
        'grants',
        'web_sessions',
        'calls',
        'successors',
        'limits',
        'webhook_deliveries',
        'messages',
        'messages_unacked',
        'batches',
        'ms',
      ]);
      const bad: string[] = [];
      assert.equal(
        await main(['janitor', '--database', s.db.url, '--batch-size', '0'], {
          log: (x) => bad.push(x),
          err: (x) => bad.push(x),
        }),
        2,
      );
      assert.deepEqual(bad, ['shouquan: --batch-size must be a whole number of at least 1, got "0"']);
    });

    it("purges delivered webhook pushes past the call retention, never an undelivered one nor a kept grant's", async () => {
      await tokensFor(s);
      const now = Date.now();
      const day = 86_400_000;
      const row = (key: string, createdAt: number, deliveredAt: number | null) => ({
        app_key: s.client.appKey,
        grant_id: key,
        event: key.startsWith('msg:') ? 'trade.paid' : 'authorization.revoked',
        body: '{}',
        created_at: createdAt,
        attempts: deliveredAt === null ? 3 : 1,
        next_attempt_at: deliveredAt === null ? now + 60_000 : OUTBOX_DONE,
        delivered_at: deliveredAt,
      });
      const { db } = openDatabase(s.db.url);
      const keys = async () =>
        (await db.selectFrom('gateway_webhook_outbox').select('grant_id').where('grant_id', 'like', 'jan-%').execute())
          .map((r) => r.grant_id)
          .sort();
      const { grant_id: grantId } = await db
        .selectFrom('grants')
        .select('grant_id')
        .where('app_key', '=', s.client.appKey)
        .executeTakeFirstOrThrow();
      try {
        await db
          .insertInto('gateway_webhook_outbox')
          .values([
            row('jan-msg:old-delivered', now - 10 * day, now - 10 * day),
            row('jan-msg:recent-delivered', now - 10 * day, now - 3600_000),
            row('jan-msg:old-undelivered', now - 10 * day, null),
            // A grant's event: its row is what stops the webhook dispatcher enqueueing it again, so it stays while
            // the grant is kept, and goes with it (docs/adr/0031).
            row('jan-gone-grant', now - 10 * day, now - 10 * day),
          ])
          .execute();
        await db
          .insertInto('gateway_webhook_outbox')
          .values({ ...row('x', 0, now - 10 * day), grant_id: grantId })
          .execute();
        const report = await purgeExpired(s.core.storage, { callRetentionMs: 7 * day });
        assert.equal(report.deliveries, 2);
        assert.deepEqual(await keys(), ['jan-msg:old-undelivered', 'jan-msg:recent-delivered']);
        const kept = await db
          .selectFrom('gateway_webhook_outbox')
          .select('id')
          .where('grant_id', '=', grantId)
          .execute();
        assert.equal(kept.length, 1, "the kept grant's delivered event stays");
        const again = await purgeExpired(s.core.storage, { callRetentionMs: 7 * day });
        assert.equal(again.deliveries, 0);
      } finally {
        await db.deleteFrom('gateway_webhook_outbox').where('grant_id', 'like', 'jan-%').execute();
        await db.deleteFrom('gateway_webhook_outbox').where('grant_id', '=', grantId).execute();
        await db.destroy();
      }
    });

    it('purges expired console sessions and call records past the retention, and reports them', async () => {
      const account = await s.core.storage.console.createAccount({
        realm: 'developer',
        username: `janitor-dev-${d.name}`,
        passwordHash: 'p',
        createdAt: 0,
      });
      const now = Date.now();
      const day = 86_400_000;
      const { db } = openDatabase(s.db.url);
      try {
        await db
          .insertInto('web_sessions')
          .values([
            {
              id_hash: 'web-expired',
              realm: 'developer',
              account_id: account.accountId,
              created_at: 0,
              expires_at: now - 2 * 3600_000,
            },
            {
              id_hash: 'web-in-grace',
              realm: 'operator',
              account_id: account.accountId,
              created_at: 0,
              expires_at: now - 60_000,
            },
            {
              id_hash: 'web-live',
              realm: 'developer',
              account_id: account.accountId,
              created_at: 0,
              expires_at: now + 3600_000,
            },
          ])
          .execute();
      } finally {
        await db.destroy();
      }
      const call = (at: number) => ({
        appKey: s.client.appKey,
        method: 'shouquan.store.get',
        face: 'router' as const,
        storeId: null,
        sellerId: null,
        code: null,
        subCode: null,
        httpStatus: 200,
        durationMs: 1,
        at,
      });
      await s.core.storage.gateway!.calls.append([
        call(now - 10 * day),
        call(now - 8 * day),
        call(now - 3 * day),
        call(now - 60_000),
      ]);
      // Shared limits (docs/adr/0110): a lockout that ended 2 hours ago, one that still runs.
      await s.core.storage.limits.block(`b:login-user:janitor-${d.name}`, now - 2 * 3600_000, now - 3 * 3600_000);
      await s.core.storage.limits.block(`b:login-user:janitor-live-${d.name}`, now + 3600_000, now);

      const run = async (...extra: string[]) => {
        const lines: string[] = [];
        const code = await main(['janitor', '--database', s.db.url, '--json', ...extra], {
          log: (x) => lines.push(x),
          err: (x) => lines.push(x),
        });
        assert.equal(code, 0, lines.join('\n'));
        return JSON.parse(lines[0]!);
      };
      const first = await run();
      assert.equal(first.web_sessions, 1, 'the console session expired more than the one-hour grace ago');
      assert.equal(first.calls, 2, 'call records older than the default 7 days');
      assert.equal(first.limits, 1, 'the expired lockout');
      assert.ok(
        (await s.core.storage.limits.liveUntil([`b:login-user:janitor-live-${d.name}`], now)) > now,
        'the running lockout stays',
      );
      assert.equal(await s.core.storage.console.findSession('web-expired', 'developer', 0), undefined);
      assert.equal(
        (await s.core.storage.console.findSession('web-in-grace', 'operator', 0))?.accountId,
        account.accountId,
      );
      assert.equal(
        (await s.core.storage.console.findSession('web-live', 'developer', 0))?.accountId,
        account.accountId,
      );
      // Only the planted records: the first test's /api/v1/store calls are in the call log too.
      const planted = async () =>
        (await s.core.storage.gateway!.calls.recent(s.client.appKey, 100)).filter(
          (c) => c.method === 'shouquan.store.get',
        );
      assert.equal((await planted()).length, 2);

      const second = await run('--call-retention', '1');
      assert.equal(second.calls, 1, 'only the last day is kept with --call-retention 1');
      assert.equal(second.web_sessions, 0);
      assert.deepEqual(
        (await planted()).map((c) => c.at),
        [now - 60_000],
      );

      const bad: string[] = [];
      assert.equal(
        await main(['janitor', '--database', s.db.url, '--call-retention', '0'], {
          log: (x) => bad.push(x),
          err: (x) => bad.push(x),
        }),
        2,
      );
      assert.deepEqual(bad, ['shouquan: --call-retention must be a whole number of days from 1 to 366, got "0"']);
      const text: string[] = [];
      assert.equal(
        await main(['janitor', '--database', s.db.url], { log: (x) => text.push(x), err: (x) => text.push(x) }),
        0,
      );
      assert.match(
        text[0]!,
        /^purged 0 codes, 0 tokens, 0 sessions, 0 interactions, 0 grants, 0 console sessions, 0 call records, 0 sealed refresh successors, \d+ expired limit counters, 0 delivered webhook pushes in \d+ batches \(\d+ ms\); 0 messages past retention \(0 never acknowledged\)$/,
      );
    });
  });
}
