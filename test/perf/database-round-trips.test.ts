import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freshPostgres, postgresAvailable, PG_SKIP } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sellerTokens, topCall } from '../helpers/gateway.js';
import { codeFor, exchange, token } from '../helpers/oauth.js';
import { postForm } from '../helpers/browserless.js';
import { getProfile } from '../../src/profiles/registry.js';

/**
 * Database round trips per request on PostgreSQL (issue 18, docs/adr/0186): each statement, BEGIN and COMMIT is one
 * trip over the network and one write/read on the event loop, the largest share of a token request's CPU there.
 * Counted by wrapping pg's `Client#query` (what Kysely's PostgreSQL driver calls), after a warm-up request so the
 * caches (apps, keys) are as they are under load. A count, not a time: it cannot flake with the machine's load.
 */
const counted: string[] = [];
const original = pg.Client.prototype.query;
function countQueries(): void {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    counted.push(String(text ?? '').slice(0, 60));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
}

async function trips(fn: () => Promise<unknown>): Promise<{ n: number; sql: string[] }> {
  counted.length = 0;
  await fn();
  // Writes that finish after the answer (call records, last-used stamps) are not on the request's path; wait a
  // moment so they are not counted into the next measurement either.
  await new Promise((r) => setTimeout(r, 50));
  // Not counted, because they are amortised over many requests and fall on one when a clock turns over (so a count
  // with them would depend on the machine's load): the call quota's lease refills and returns (ADR 0111), and the
  // app record's re-read once its cache entry is a second old (ADR 0051).
  const sql = counted.filter(
    (q) => !/^(insert into|update) "shared_limits"|^select (\* from "apps"|"apps"\.\*)/.test(q),
  );
  return { n: sql.length, sql };
}

const pgUp = await postgresAvailable();
const standard = getProfile('standard');
for (const reconsent of ['add', 'replace'] as const) {
  describe(
    `database round trips per request (postgres, reconsent ${reconsent})`,
    { skip: pgUp ? false : PG_SKIP },
    () => {
      let s: TestServer;
      before(async () => {
        s = await startTestServer({
          db: await freshPostgres(),
          profile: { ...standard, grants: { stores: 'several', reconsent } },
          gateway: { defaultQuotaPerSecond: 1e9, defaultQuotaPerDay: 1e12, webhookPollMs: 0 },
        });
        countQueries();
      });
      after(async () => {
        pg.Client.prototype.query = original;
        await s?.close();
      });

      it('code exchange, refresh, introspection, bearer call and signed router call', async () => {
        await sellerTokens(s, s.seller.stores[0]!.storeId);
        const codes = [await codeFor(s), await codeFor(s)];
        let tokens = { access_token: '', refresh_token: '' };
        // Each request twice; the second is counted: the steady state under load, where the app cache is warm.
        const twice = async (fn: () => Promise<unknown>) => {
          await fn();
          await new Promise((r) => setTimeout(r, 20));
          return trips(fn);
        };
        const ex = await twice(async () => {
          const res = await exchange(s, codes.shift()!);
          assert.equal(res.status, 200, res.text);
          tokens = res.json;
        });
        const rf = await twice(async () => {
          const res = await token(s, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
          assert.equal(res.status, 200, res.text);
          tokens = res.json;
        });
        const intro = await twice(async () => {
          const res = await postForm(`${s.url}/oauth/introspect`, {
            token: tokens.access_token,
            client_id: s.client.appKey,
            client_secret: s.client.appSecret,
          });
          assert.equal(res.json.active, true, res.text);
        });
        const bearer = await twice(async () => {
          const res = await fetch(`${s.url}/api/v1/store`, {
            headers: { authorization: `Bearer ${tokens.access_token}` },
          });
          assert.equal(res.status, 200, await res.text());
        });
        const router = await twice(async () => {
          const res = await topCall(s, 'shouquan.store.get', {}, tokens.access_token);
          assert.equal(res.status, 200, res.text);
          assert.ok(res.text.includes('shouquan_store_get_response'), res.text);
        });
        const got = { exchange: ex.n, refresh: rf.n, introspection: intro.n, bearer: bearer.n, router: router.n };
        const detail = JSON.stringify({ ex: ex.sql, rf: rf.sql, intro: intro.sql, router: router.sql }, null, 1);
        // The lockout check (shared_limits) and the code or token lookup, then the writes in one statement.
        assert.deepEqual(got, { exchange: 3, refresh: 3, introspection: 2, bearer: 1, router: 2 }, detail);
      });
    },
  );
}
