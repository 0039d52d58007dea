import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freshPostgres, postgresAvailable, PG_SKIP } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sellerTokens, topCall } from '../helpers/gateway.js';
import { authorizeUrl, codeFor, exchange, token } from '../helpers/oauth.js';
import { authorizeThroughForms, formAction, hiddenInput, postForm } from '../helpers/browserless.js';
import { getProfile } from '../../src/profiles/registry.js';

/**
 * Database round trips per request on PostgreSQL (issue 18, docs/adr/0186): each statement, BEGIN and COMMIT is one
 * trip over the network and one write/read on the event loop, the largest share of a token request's CPU there.
 * Counted by wrapping pg's `Client#query` (what Kysely's PostgreSQL driver calls), after a warm-up request so the
 * caches (apps, keys) are as they are under load. A count, not a time: it cannot flake with the machine's load.
 * The statements are in each test's diagnostics (cut at 60 characters; ROUND_TRIPS_FULL=1 prints them whole).
 */
const counted: string[] = [];
const original = pg.Client.prototype.query;
function countQueries(): void {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = String(
      (typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text) ?? '',
    );
    // The app cache's re-read (ADR 0051) and the console's app details read the same SQL: only the first is left
    // out below, told apart by the (async) stack.
    const cache = /^select \* from "apps"/.test(text) && /app-cache\.ts/.test(new Error().stack ?? '');
    counted.push(`${cache ? '(app cache) ' : ''}${text.slice(0, process.env.ROUND_TRIPS_FULL ? 4000 : 60)}`);
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
  const sql = counted.filter((q) => !/^(insert into|update) "shared_limits"|^\(app cache\) /.test(q));
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

      it('authorize with a live session: authorize, the consent page, the consent POST (docs/adr/0189)', async (t) => {
        // A logged-in browser and an app the seller already granted (the bench's "flow authorize→code"). First in
        // the suite: the gateway's call records of the next test are written a second later, in a transaction that
        // would fall into this count.
        const { client } = await authorizeThroughForms(s.url, authorizeUrl(s), {
          username: s.seller.username,
          password: s.seller.password,
        });
        assert.equal((await exchange(s, await codeFor(s))).status, 200);
        // Each request of the flow, in order, counted separately; the whole flow twice, the second counted.
        const once = async () => {
          const out: Array<{ n: number; sql: string[] }> = [];
          let location = '';
          out.push(
            await trips(async () => {
              const res = await client.get(authorizeUrl(s));
              assert.equal(res.status, 303, await res.text());
              location = res.headers.get('location') ?? '';
            }),
          );
          let page = '';
          out.push(
            await trips(async () => {
              const res = await client.get(location);
              page = await res.text();
              assert.equal(res.status, 200, page);
            }),
          );
          out.push(
            await trips(async () => {
              const res = await client.post(formAction(page) ?? '', [
                ['csrf_token', hiddenInput(page, 'csrf_token') ?? ''],
                ['store_id', String(s.seller.stores[0]!.storeId)],
                ['decision', 'approve'],
              ]);
              assert.equal(res.status, 303, await res.text());
              assert.match(res.headers.get('location') ?? '', /[?&]code=/);
            }),
          );
          return out;
        };
        await once();
        const [authorize, consentPage, consentPost] = await once();
        const got = { authorize: authorize!.n, page: consentPage!.n, consent: consentPost!.n };
        const detail = JSON.stringify(
          { authorize: authorize!.sql, page: consentPage!.sql, consent: consentPost!.sql },
          null,
          1,
        );
        t.diagnostic(detail);
        // The interaction's insert; the page's reads in one statement (the interaction, the session's seller, their
        // stores, the app's details, the live grant); the consent's reads in one, then consume + code in one.
        assert.deepEqual(got, { authorize: 1, page: 1, consent: 2 }, detail);
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
