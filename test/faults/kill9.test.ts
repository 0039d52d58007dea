// kill -9 in the middle of a load of code exchanges and refreshes, then restart (issue 6):
// every token a client received still works, no code is redeemable twice, no refresh family
// is split (at most one live refresh token per grant), and a refresh cut off by the crash is
// retried with success (issue 19: the grace window hands back the successor the lost answer had).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createSeller } from '../../src/admin.js';
import { createApp } from '../../src/apps/apps.js';
import { loadSecretKey, openStorage } from '../../src/runtime.js';
import { openDatabase } from '../../src/storage/kysely/database.js';
import { testDialects, type TestDatabase } from '../helpers/databases.js';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';
import { FormClient, formAction, hiddenInput } from '../helpers/browserless.js';

const CALLBACK = 'https://isv.example.com/callback';
const CODE_APPS = 25;
const FAMILIES = 15;
const REFRESHES = 20;
const KILL_AFTER = 80; // responses

type App = { appKey: string; appSecret: string };
/**
 * A refresh grace window (docs/adr/0100) longer than any restart here, so the retries after it never depend on timing.
 */
const GRACE = ['--refresh-grace', '3600'];

const dialects = await testDialects();
// The dialects run side by side: most of the time is spent starting processes.
describe('kill -9 under load', { concurrency: true }, () => {
  for (const d of dialects) {
    describe(`kill -9 under load (${d.name})`, { skip: d.skip }, () => {
      let db: TestDatabase;
      let node: ServerProcess | undefined;
      const apps: App[] = [];
      const seller = { username: 'crash', password: 'correct horse battery' };
      let storeId = 0;

      before(async () => {
        db = await d.fresh();
        const storage = await openStorage(db.url, { createIfMissing: true });
        try {
          const key = await loadSecretKey(storage);
          for (let i = 0; i < CODE_APPS + FAMILIES; i++)
            apps.push(await createApp(storage, key, { name: `App ${i}`, callbacks: [CALLBACK] }));
          storeId = (await createSeller(storage, { ...seller, stores: ['Crash Store'] })).stores[0]!.storeId;
        } finally {
          await storage.close();
        }
        node = await spawnServer(db.url, GRACE);
      });
      after(async () => {
        await node?.stop();
        await db?.cleanup();
      });

      it('keeps every promise across a crash', async (t) => {
        let base = node!.url;
        const post = async (path: string, form: Record<string, string>) => {
          const res = await fetch(`${base}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(form),
          });
          return { status: res.status, json: JSON.parse(await res.text()) };
        };

        // One code per app (one live grant per seller and app, so families never replace each other).
        const browser = new FormClient(base);
        const codes: string[] = [];
        for (const app of apps) {
          const start = await browser.get(
            `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.appKey, redirect_uri: CALLBACK })}`,
          );
          const path = start.headers.get('location')!;
          let page = await (await browser.get(path)).text();
          if (page.includes('name="password"')) {
            await browser.post(formAction(page)!, { csrf_token: hiddenInput(page, 'csrf_token')!, ...seller });
            page = await (await browser.get(path)).text();
          }
          const done = await browser.post(formAction(page)!, {
            csrf_token: hiddenInput(page, 'csrf_token')!,
            store_id: String(storeId),
            decision: 'approve',
          });
          codes.push(new URL(done.headers.get('location')!).searchParams.get('code')!);
        }
        const creds = (app: App) => ({ client_id: app.appKey, client_secret: app.appSecret });
        // The refresh families start from a first exchange before the load.
        const families = await Promise.all(
          apps.slice(CODE_APPS).map(async (app, i) => {
            const r = await post('/oauth/token', {
              grant_type: 'authorization_code',
              code: codes[CODE_APPS + i]!,
              redirect_uri: CALLBACK,
              ...creds(app),
            });
            assert.equal(r.status, 200);
            return { app, received: [r.json as { access_token: string; refresh_token: string }], inFlight: false };
          }),
        );

        // The load; kill -9 once KILL_AFTER responses have come back.
        let sent = 0;
        let responses = 0;
        let killed: Promise<void> | undefined;
        const counted = async <T>(p: Promise<T>): Promise<T> => {
          sent++;
          const v = await p;
          if (++responses === KILL_AFTER) killed = node!.kill9();
          return v;
        };
        const exchanges = apps.slice(0, CODE_APPS).map((app, i) =>
          counted(
            post('/oauth/token', {
              grant_type: 'authorization_code',
              code: codes[i]!,
              redirect_uri: CALLBACK,
              ...creds(app),
            }),
          )
            .then((r) => ({
              app,
              code: codes[i]!,
              result: r.status === 200 ? ('issued' as const) : ('refused' as const),
              tokens: r.json,
            }))
            .catch(() => ({ app, code: codes[i]!, result: 'in_flight' as const, tokens: undefined })),
        );
        const loops = families.map(async (f) => {
          for (let i = 0; i < REFRESHES; i++) {
            try {
              const r = await counted(
                post('/oauth/token', {
                  grant_type: 'refresh_token',
                  refresh_token: f.received.at(-1)!.refresh_token,
                  ...creds(f.app),
                }),
              );
              assert.equal(r.status, 200, JSON.stringify(r.json));
              f.received.push(r.json);
            } catch (e) {
              if (e instanceof assert.AssertionError) throw e;
              f.inFlight = true;
              return;
            }
          }
        });
        const exchanged = await Promise.all(exchanges);
        await Promise.all(loops);
        await killed;
        assert.ok(killed, 'the server was killed during the load');

        // Restart on the same database.
        node = await spawnServer(db.url, GRACE);
        base = node.url;

        // 1. Every access token a client received works; so does every family's newest refresh
        //    token when no request of that family was cut off.
        let checked = 0;
        let lost = 0;
        const works = async (access: string) => {
          checked++;
          const res = await fetch(`${base}/api/v1/store`, { headers: { authorization: `Bearer ${access}` } });
          await res.arrayBuffer();
          if (res.status !== 200) lost++;
        };
        for (const e of exchanged) if (e.result === 'issued') await works(e.tokens.access_token);
        for (const f of families) for (const r of f.received) await works(r.access_token);
        for (const f of families.filter((x) => !x.inFlight)) {
          checked++;
          const r = await post('/oauth/token', {
            grant_type: 'refresh_token',
            refresh_token: f.received.at(-1)!.refresh_token,
            ...creds(f.app),
          });
          if (r.status !== 200) lost++;
        }
        assert.equal(lost, 0, 'tokens received before the crash still work');

        // 2. No refresh family is split: at most one live refresh token per grant.
        const { db: kdb } = openDatabase(db.url);
        const splitFamilies = async () =>
          (
            await sql<{
              grant_id: string;
              n: number;
            }>`select grant_id, count(*) as n from tokens where kind = 'refresh' and rotated_at is null and revoked_at is null group by grant_id having count(*) > 1`.execute(
              kdb,
            )
          ).rows.length;
        try {
          assert.equal(await splitFamilies(), 0);
          // Codes and grants agree: a redeemed code's grant exists (redemption is one transaction).
          const orphans = await sql<{
            n: number;
          }>`select count(*) as n from auth_codes c where c.grant_id is not null and not exists (select 1 from grants g where g.grant_id = c.grant_id)`.execute(
            kdb,
          );
          assert.equal(Number(orphans.rows[0]!.n), 0, 'every redeemed code has its grant');

          // 3. No code is redeemable twice, cut-off exchanges included.
          let redeemedTwice = 0;
          for (const e of exchanged) {
            const again = await post('/oauth/token', {
              grant_type: 'authorization_code',
              code: e.code,
              redirect_uri: CALLBACK,
              ...creds(e.app),
            });
            if (e.result === 'issued' && again.status === 200) redeemedTwice++;
            if (e.result === 'in_flight' && again.status === 200) {
              const third = await post('/oauth/token', {
                grant_type: 'authorization_code',
                code: e.code,
                redirect_uri: CALLBACK,
                ...creds(e.app),
              });
              if (third.status === 200) redeemedTwice++;
            }
          }
          assert.equal(redeemedTwice, 0);
          // Cut-off refreshes: the retry succeeds either way (issue 19, docs/adr/0100): not committed,
          // it rotates now; committed before the kill, it gets the very successor the lost answer carried.
          // The family goes on from there, and the seller keeps the authorization.
          for (const f of families.filter((x) => x.inFlight)) {
            const r = await post('/oauth/token', {
              grant_type: 'refresh_token',
              refresh_token: f.received.at(-1)!.refresh_token,
              ...creds(f.app),
            });
            assert.equal(r.status, 200, `a retry after the crash: ${JSON.stringify(r.json)}`);
            const again = await post('/oauth/token', {
              grant_type: 'refresh_token',
              refresh_token: f.received.at(-1)!.refresh_token,
              ...creds(f.app),
            });
            assert.deepEqual(
              [again.json.access_token, again.json.refresh_token],
              [r.json.access_token, r.json.refresh_token],
              'a second retry: the same successor',
            );
            const next = await post('/oauth/token', {
              grant_type: 'refresh_token',
              refresh_token: r.json.refresh_token,
              ...creds(f.app),
            });
            assert.equal(next.status, 200, JSON.stringify(next.json));
            await works(next.json.access_token);
            f.received.push(r.json, next.json);
          }
          assert.equal(lost, 0, 'no family lost its grant to the crash');
          assert.equal(await splitFamilies(), 0);
        } finally {
          await kdb.destroy();
        }

        // 4. Deterministically: a refresh answered just before kill -9, its answer lost on the way
        //    (the client never read it). After the restart the retry gets those very tokens.
        const f = families.at(-1)!;
        const a = await post('/oauth/token', {
          grant_type: 'refresh_token',
          refresh_token: f.received.at(-1)!.refresh_token,
          ...creds(f.app),
        });
        assert.equal(a.status, 200, JSON.stringify(a.json));
        const lostAnswer = await post('/oauth/token', {
          grant_type: 'refresh_token',
          refresh_token: a.json.refresh_token,
          ...creds(f.app),
        });
        assert.equal(lostAnswer.status, 200);
        await node.kill9();
        node = await spawnServer(db.url, GRACE);
        base = node.url;
        const retried = await post('/oauth/token', {
          grant_type: 'refresh_token',
          refresh_token: a.json.refresh_token,
          ...creds(f.app),
        });
        assert.equal(retried.status, 200, JSON.stringify(retried.json));
        assert.equal(retried.json.access_token, lostAnswer.json.access_token);
        assert.equal(retried.json.refresh_token, lostAnswer.json.refresh_token);
        assert.ok(retried.json.expires_in <= lostAnswer.json.expires_in);
        assert.equal(
          await (
            await fetch(`${base}/api/v1/store`, { headers: { authorization: `Bearer ${retried.json.access_token}` } })
          ).status,
          200,
        );

        const inFlight =
          exchanged.filter((e) => e.result === 'in_flight').length + families.filter((f) => f.inFlight).length;
        t.diagnostic(
          `kill -9 after ${KILL_AFTER} responses: requests sent ${sent}, responses ${responses}, cut off ${inFlight}, tokens checked ${checked}, lost: ${lost}`,
        );
      });
    });
  }
});
