import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openStorage } from '../../src/runtime.js';
import { endPreviousSecret, rotateAppSecret } from '../../src/apps/apps.js';
import {
  DuplicateError,
  type GrantRecord,
  type InteractionRecord,
  type Storage,
  type TokenRecord,
} from '../../src/storage/ports.js';
import { testDialects, type TestDatabase } from '../helpers/databases.js';
import { limitStoreContract } from './limit-store-contract.js';

/** One storage suite, run against every dialect (SQLite always, PostgreSQL when it answers). */
const dialects = await testDialects();
const h = () => randomBytes(16).toString('hex');

for (const dialect of dialects) {
  describe(`storage ports (${dialect.name})`, { skip: dialect.skip }, () => {
    let db: TestDatabase;
    let storage: Storage;
    let sellerId: number;
    let storeId: number;
    before(async () => {
      db = await dialect.fresh();
      storage = await openStorage(db.url, { createIfMissing: true });
      await storage.apps.create(
        {
          appKey: 'app1',
          name: 'App',
          secretHash: 'x',
          callbackUrls: ['https://a.example/cb'],
          scopes: ['seller'],
          status: 'live',
          createdAt: 1,
        },
        { sealedSecret: 'sealed-x' },
      );
      const s = await storage.sellers.create({ username: 'u1', passwordHash: 'p', createdAt: 1 }, ['S1', 'S2']);
      sellerId = s.seller.sellerId;
      storeId = s.stores[0]!.storeId;
    });
    after(async () => {
      await storage?.close();
      await db?.cleanup();
    });

    const grant = (over: Partial<GrantRecord> = {}): GrantRecord => ({
      grantId: h(),
      appKey: 'app1',
      sellerId,
      storeId,
      scope: ['seller'],
      createdAt: 1,
      revokedAt: null,
      revokedReason: null,
      ...over,
    });
    const tok = (g: GrantRecord, kind: 'access' | 'refresh'): TokenRecord => ({
      tokenHash: h(),
      kind,
      grantId: g.grantId,
      appKey: 'app1',
      scope: ['seller'],
      createdAt: 1,
      expiresAt: Date.now() + 60_000,
      revokedAt: null,
      rotatedAt: null,
    });
    /** A live, unused code record of app1 for the seller's store. */
    const codeRecord = (codeHash: string) => ({
      codeHash,
      appKey: 'app1',
      sellerId,
      storeId,
      redirectUri: 'https://a.example/cb',
      redirectUriSent: true,
      scope: ['seller'],
      codeChallenge: null,
      codeChallengeMethod: null,
      createdAt: 1,
      expiresAt: Date.now() + 60_000,
      consumedAt: null,
      grantId: null,
    });
    const newCode = async () => {
      const codeHash = h();
      await storage.codes.create(codeRecord(codeHash));
      return codeHash;
    };

    // Counters every node shares (failure budgets, lockouts, quotas): docs/adr/0110.
    limitStoreContract(() => storage.limits);

    it('limits: the janitor purges expired counters only', async () => {
      const now = Date.now();
      await storage.limits.add('purge:old', 1, now - 10, now - 20);
      await storage.limits.block('purge:live', now + 60_000, now);
      const deleted = await storage.maintenance!.purgeExpired('limits', now, 1000);
      assert.ok(deleted >= 1);
      assert.equal(await storage.limits.add('purge:old', 0, now + 60_000, now), 0, 'the expired row is gone');
      assert.ok((await storage.limits.liveUntil(['purge:live'], now)) > now, 'the live block stays');
    });

    it('round-trips apps and refuses a duplicate app_key', async () => {
      const app = await storage.apps.find('app1');
      assert.deepEqual(app, {
        appKey: 'app1',
        name: 'App',
        secretHash: 'x',
        callbackUrls: ['https://a.example/cb'],
        scopes: ['seller'],
        status: 'live',
        createdAt: 1,
        purchaseUrl: null,
        requireSubscription: false,
      });
      await assert.rejects(storage.apps.create({ ...app!, name: 'again' }, { sealedSecret: 'other' }), DuplicateError);
      assert.equal(
        (await storage.gateway!.apps.find('app1'))?.sealedSecret,
        'sealed-x',
        'the sealed secret is written with the app, and not replaced by a failed create',
      );
    });

    it('updates both tables of an app in one call, reads them in one, and lists apps by status and search with a cursor', async () => {
      await storage.apps.create(
        {
          appKey: 'upd1',
          name: 'Shop 50% Helper',
          secretHash: 'h',
          callbackUrls: ['https://a.example/cb'],
          scopes: ['seller'],
          status: 'testing',
          createdAt: 1,
        },
        { sealedSecret: 'sealed-u' },
      );
      assert.equal(await storage.apps.update('nope', { name: 'x' }), false);
      assert.equal(
        await storage.apps.update('upd1', {
          name: 'Shop 50% Helper 2',
          callbackUrls: ['https://b.example/cb'],
          status: 'live',
          permissions: ['orders.read'],
          quotaPerDay: 10,
        }),
        true,
      );
      const both = await storage.gateway!.apps.findForCall('upd1');
      assert.deepEqual(
        [
          both?.app.name,
          both?.app.callbackUrls,
          both?.app.status,
          both?.settings?.permissions,
          both?.settings?.quotaPerDay,
          both?.settings?.sealedSecret,
        ],
        ['Shop 50% Helper 2', ['https://b.example/cb'], 'live', ['orders.read'], 10, 'sealed-u'],
      );
      assert.equal(await storage.gateway!.apps.findForCall('nope'), undefined);
      assert.deepEqual(
        (await storage.apps.list({ q: '50%', limit: 10 })).map((a) => a.appKey),
        ['upd1'],
      );
      assert.deepEqual(
        (await storage.apps.list({ q: 'UPD', limit: 10 })).map((a) => a.appKey),
        ['upd1'],
      );
      assert.deepEqual(
        (await storage.apps.list({ q: '5_%', limit: 10 })).map((a) => a.appKey),
        [],
        'LIKE wildcards are literal',
      );
      assert.deepEqual(
        (await storage.apps.list({ status: 'testing', limit: 10 })).map((a) => a.appKey),
        [],
      );
      const all = (await storage.apps.list({ limit: 100 })).map((a) => a.appKey);
      assert.deepEqual(all, [...all].sort());
      const page1 = await storage.apps.list({ limit: 1 });
      const page2 = await storage.apps.list({ limit: 100, afterAppKey: page1[0]!.appKey });
      assert.deepEqual(
        [...page1, ...page2].map((a) => a.appKey),
        all,
      );
    });

    it('creates sellers with stores atomically and refuses a taken username without writing anything', async () => {
      assert.deepEqual(
        (await storage.sellers.stores(sellerId)).map((s) => s.name),
        ['S1', 'S2'],
      );
      await assert.rejects(
        storage.sellers.create({ username: 'u1', passwordHash: 'p', createdAt: 2 }, ['S3']),
        DuplicateError,
      );
      const all = await Promise.all([storage.sellers.findByUsername('u1'), storage.sellers.stores(sellerId)]);
      assert.equal(all[1].length, 2);
    });

    it('redeems a code for exactly one of many concurrent callers', async () => {
      const codeHash = await newCode();
      const attempts = Array.from({ length: 10 }, () => {
        const g = grant();
        return storage.grants.redeemAuthCode({
          codeHash,
          now: Date.now(),
          grant: g,
          tokens: [tok(g, 'access'), tok(g, 'refresh')],
        });
      });
      const results = await Promise.all(attempts);
      assert.equal(results.filter((r) => r.status === 'redeemed').length, 1);
      assert.equal(results.filter((r) => r.status === 'already_used').length, 9);
      assert.deepEqual(
        await storage.grants.redeemAuthCode({ codeHash: 'missing', now: 1, grant: grant(), tokens: [] }),
        { status: 'not_found' },
      );
    });

    it('keeps one live grant per seller and app', async () => {
      const g1 = grant();
      await storage.grants.createWithTokens({ now: 5, grant: g1, tokens: [tok(g1, 'access')] });
      const g2 = grant();
      await storage.grants.redeemAuthCode({
        codeHash: await newCode(),
        now: 6,
        grant: g2,
        tokens: [tok(g2, 'access')],
      });
      assert.equal((await storage.grants.find(g1.grantId))?.revokedReason, 'replaced');
      assert.equal((await storage.grants.findLive('app1', sellerId))?.grantId, g2.grantId);
    });

    it('rotates a refresh token for exactly one of many concurrent callers', async () => {
      const g = grant();
      const refresh = tok(g, 'refresh');
      await storage.grants.createWithTokens({ now: 7, grant: g, tokens: [refresh] });
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          storage.tokens.rotateRefreshToken({
            oldHash: refresh.tokenHash,
            now: 8,
            tokens: [tok(g, 'access'), tok(g, 'refresh')],
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'rotated').length, 1);
      const found = await storage.tokens.find(refresh.tokenHash);
      assert.equal(found?.rotatedAt, 8);
      assert.equal(found?.grant.sellerId, sellerId);
    });

    it("keeps a sealed successor with the rotation: concurrent losers read the winner's, the janitor and a revoke clear it (docs/adr/0100)", async () => {
      const g = grant();
      const refresh = tok(g, 'refresh');
      await storage.grants.createWithTokens({ now: 7, grant: g, tokens: [refresh] });
      // Each caller offers its own successor; exactly one is kept, and every loser gets that one.
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          storage.tokens.rotateRefreshToken({
            oldHash: refresh.tokenHash,
            now: 8,
            tokens: [tok(g, 'access'), tok(g, 'refresh')],
            successor: { sealed: `v1.sealed-${i}`, graceUntil: 60_008 },
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'rotated').length, 1);
      const losers = results.filter((r) => r.status === 'already_used');
      assert.equal(losers.length, 9);
      const found = await storage.tokens.find(refresh.tokenHash);
      assert.equal(found?.rotatedAt, 8);
      assert.match(found!.successor!.sealed, /^v1\.sealed-\d$/);
      assert.equal(found!.successor!.graceUntil, 60_008);
      for (const r of losers) assert.deepEqual(r, { status: 'already_used', successor: found!.successor });
      // A live token, or one rotated without a window, keeps nothing.
      const plain = tok(g, 'refresh');
      await storage.tokens.insert([plain]);
      assert.equal((await storage.tokens.find(plain.tokenHash))?.successor, null);
      assert.equal(
        (await storage.tokens.rotateRefreshToken({ oldHash: plain.tokenHash, now: 9, tokens: [] })).status,
        'rotated',
      );
      assert.equal((await storage.tokens.find(plain.tokenHash))?.successor, null);

      // The janitor clears successors whose window ended before the cutoff, and only those.
      assert.equal(await storage.maintenance!.purgeExpired('successors', 60_008, 100), 0);
      assert.equal(await storage.maintenance!.purgeExpired('successors', 60_009, 100), 1);
      assert.equal((await storage.tokens.find(refresh.tokenHash))?.successor, null);
      assert.equal(
        (await storage.tokens.find(refresh.tokenHash))?.rotatedAt,
        8,
        'the token row itself stays (reuse is still recognized)',
      );

      // Revoking a grant clears its successors at once.
      const g2 = grant();
      const r2 = tok(g2, 'refresh');
      await storage.grants.createWithTokens({ now: 10, grant: g2, tokens: [r2] });
      await storage.tokens.rotateRefreshToken({
        oldHash: r2.tokenHash,
        now: 11,
        tokens: [tok(g2, 'refresh')],
        successor: { sealed: 'v1.s', graceUntil: 60_011 },
      });
      assert.equal((await storage.tokens.find(r2.tokenHash))?.successor?.sealed, 'v1.s');
      await storage.grants.revoke(g2.grantId, 12, 'refresh_reuse');
      assert.equal((await storage.tokens.find(r2.tokenHash))?.successor, null);
    });

    it('does not rotate a refresh token of a revoked grant', async () => {
      const g = grant();
      const refresh = tok(g, 'refresh');
      await storage.grants.createWithTokens({ now: 9, grant: g, tokens: [refresh] });
      await storage.grants.revoke(g.grantId, 10, 'test');
      assert.deepEqual(
        await storage.tokens.rotateRefreshToken({
          oldHash: refresh.tokenHash,
          now: 11,
          tokens: [],
          successor: { sealed: 'v1.x', graceUntil: 70 },
        }),
        { status: 'already_used', successor: null },
      );
      assert.equal((await storage.tokens.find(refresh.tokenHash))?.grant.revokedAt, 10);
    });

    it('consumes an interaction once and not after it expires', async () => {
      const base = {
        browserHash: 'b',
        request: { appKey: 'app1' } as unknown as InteractionRecord['request'],
        createdAt: 1,
        consumedAt: null,
      };
      await storage.interactions.create({ id: 'i1', expiresAt: Date.now() + 60_000, ...base });
      const results = await Promise.all([1, 2, 3].map(() => storage.interactions.consume('i1', Date.now())));
      assert.deepEqual(results.filter(Boolean).length, 1);
      await storage.interactions.create({ id: 'i2', expiresAt: 100, ...base });
      assert.equal(await storage.interactions.consume('i2', 200), false);
    });

    it('consumes an interaction and stores its code in one step, once, and never after it expires', async () => {
      const base = {
        browserHash: 'b',
        request: { appKey: 'app1' } as unknown as InteractionRecord['request'],
        createdAt: 1,
        consumedAt: null,
      };
      const code = codeRecord;
      await storage.interactions.create({ id: 'iw1', expiresAt: Date.now() + 60_000, ...base });
      const results = await Promise.all(
        ['cw1', 'cw2', 'cw3'].map((h) => storage.interactions.consumeWithCode('iw1', Date.now(), code(h))),
      );
      assert.deepEqual(results.filter(Boolean).length, 1);
      const stored = await Promise.all(['cw1', 'cw2', 'cw3'].map(async (h) => (await storage.codes.find(h))?.storeId));
      assert.deepEqual(
        stored.filter((x) => x !== undefined),
        [storeId],
        'only the winner stored its code',
      );
      assert.equal((await storage.interactions.find('iw1'))?.consumedAt !== null, true);
      await storage.interactions.create({ id: 'iw2', expiresAt: 100, ...base });
      assert.equal(await storage.interactions.consumeWithCode('iw2', 200, code('cw4')), false);
      assert.equal(await storage.codes.find('cw4'), undefined);
    });

    it('reads the authorize page in one step: the same records as the separate reads (docs/adr/0189)', async () => {
      const made = await storage.sellers.create({ username: 'page-seller', passwordHash: 'p', createdAt: 1 }, [
        'P1',
        'P2',
        'P3',
      ]);
      const pageSeller = made.seller.sellerId;
      const stores = made.stores.map((x) => x.storeId);
      const g = grant({ sellerId: pageSeller, storeId: stores[0]!, storeIds: [stores[0]!, stores[2]!], createdAt: 3 });
      await storage.grants.createWithTokens({ now: 3, grant: g, tokens: [tok(g, 'access')] });
      await storage.sessions.create({ idHash: 'page-sess', sellerId: pageSeller, createdAt: 1, expiresAt: 1000 });
      const request = { appKey: 'app1', scope: ['seller'], state: null } as unknown as InteractionRecord['request'];
      const interaction: InteractionRecord = {
        id: 'page-i1',
        browserHash: 'b',
        request,
        createdAt: 1,
        expiresAt: 500,
        consumedAt: null,
      };
      await storage.interactions.create(interaction);
      const all = { stores: true, appDetails: true, liveGrant: true };
      const session = { idHash: 'page-sess', now: 999 };

      assert.deepEqual(await storage.interactions.findForPage('page-i1', session, all), {
        interaction: await storage.interactions.find('page-i1'),
        seller: await storage.sessions.findSeller('page-sess', 999),
        stores: await storage.sellers.stores(pageSeller),
        appDetails: await storage.console.appDetails('app1'),
        liveGrant: await storage.grants.findLive('app1', pageSeller),
      });
      assert.equal((await storage.interactions.findForPage('page-i1', session, all)).stores?.length, 3);
      assert.deepEqual((await storage.interactions.findForPage('page-i1', session, all)).liveGrant?.storeIds, [
        stores[0],
        stores[2],
      ]);
      // Only what is asked for; no seller without a live session; nothing for an unknown interaction.
      assert.deepEqual(await storage.interactions.findForPage('page-i1', session, { stores: true }), {
        interaction: await storage.interactions.find('page-i1'),
        seller: await storage.sessions.findSeller('page-sess', 999),
        stores: await storage.sellers.stores(pageSeller),
      });
      assert.deepEqual(await storage.interactions.findForPage('page-i1', { idHash: 'page-sess', now: 1000 }, all), {
        interaction: await storage.interactions.find('page-i1'),
        appDetails: await storage.console.appDetails('app1'),
      });
      assert.deepEqual(await storage.interactions.findForPage('page-i1', undefined, { stores: true }), {
        interaction: await storage.interactions.find('page-i1'),
      });
      assert.deepEqual(await storage.interactions.findForPage('nope', session, all), {});
      // The grant ended: no live grant read; a consumed interaction reads as consumed.
      await storage.grants.revoke(g.grantId, 4, 'test');
      await storage.interactions.consume('page-i1', 2);
      const ended = await storage.interactions.findForPage('page-i1', session, all);
      assert.equal(ended.liveGrant, undefined);
      assert.equal(ended.interaction?.consumedAt, 2);
    });

    it('finds sessions only until they expire', async () => {
      await storage.sessions.create({ idHash: 'sess', sellerId, createdAt: 1, expiresAt: 1000 });
      assert.equal((await storage.sessions.find('sess', 999))?.sellerId, sellerId);
      assert.equal(await storage.sessions.find('sess', 1000), undefined);
      // The session's seller in one read, also only until it expires.
      assert.deepEqual(await storage.sessions.findSeller('sess', 999), await storage.sellers.find(sellerId));
      assert.equal((await storage.sessions.findSeller('sess', 999))?.sellerId, sellerId);
      assert.equal(await storage.sessions.findSeller('sess', 1000), undefined);
      assert.equal(await storage.sessions.findSeller('nope', 1), undefined);
      await storage.sessions.delete('sess');
      assert.equal(await storage.sessions.find('sess', 0), undefined);
    });

    it("keeps a session's IdP link and ends IdP sessions by sid, by sub and sid, or by sub (docs/adr/0176)", async () => {
      const link = (sid: string | null) => ({ sub: 'idp-sub', sid, idToken: 'sealed' });
      const at = { sellerId, createdAt: 1, expiresAt: 10_000 };
      await storage.sessions.create({ idHash: 'idp-a', ...at, idp: link('sid-a') });
      await storage.sessions.create({ idHash: 'idp-b', ...at, idp: link('sid-b') });
      await storage.sessions.create({ idHash: 'idp-c', ...at, idp: link(null) });
      await storage.sessions.create({ idHash: 'pw', ...at });
      assert.deepEqual(await storage.sessions.idpOf('idp-a'), link('sid-a'));
      assert.equal(await storage.sessions.idpOf('pw'), undefined);
      assert.equal(await storage.sessions.endIdpSessions({ sub: 'other', sid: 'sid-a' }), 0);
      assert.equal(await storage.sessions.endIdpSessions({ sid: 'sid-a' }), 1);
      assert.equal(await storage.sessions.find('idp-a', 0), undefined);
      assert.equal(await storage.sessions.endIdpSessions({ sub: 'idp-sub', sid: 'sid-b' }), 1);
      assert.equal(await storage.sessions.endIdpSessions({}), 0);
      assert.equal(await storage.sessions.endIdpSessions({ sub: 'idp-sub' }), 1);
      assert.equal(await storage.sessions.find('idp-c', 0), undefined);
      assert.equal((await storage.sessions.find('pw', 0))?.sellerId, sellerId, 'a password session is not the IdP’s');
      await storage.sessions.delete('pw');
    });

    it("records a logout token's jti once, even when two arrive at the same time, and forgets it after its time", async () => {
      const tries = await Promise.all([1, 2, 3].map(() => storage.sessions.useLogoutJti('jti-1', 5_000, 1_000)));
      assert.deepEqual(tries.filter(Boolean).length, 1);
      assert.equal(await storage.sessions.useLogoutJti('jti-1', 5_000, 4_999), false);
      assert.equal(await storage.sessions.useLogoutJti('jti-1', 9_000, 5_001), true, 'past its time it was forgotten');
    });

    it('stores gateway call records with one multi-row insert and reads the latest calls and a summary of one app', async () => {
      const calls = storage.gateway!.calls;
      const base = { face: 'router' as const, storeId, sellerId, httpStatus: 200, durationMs: 5 };
      await calls.append([
        { ...base, appKey: 'app1', method: 'shouquan.store.get', code: null, subCode: null, at: 1_000 },
        {
          ...base,
          appKey: 'app1',
          method: 'shouquan.orders.list',
          code: 25,
          subCode: 'isv.invalid-signature',
          at: 2_000,
        },
        {
          ...base,
          appKey: 'app1',
          method: 'shouquan.orders.list',
          code: 25,
          subCode: 'isv.invalid-signature',
          at: 3_000,
        },
        {
          ...base,
          appKey: 'app1',
          method: 'shouquan.orders.list',
          code: 11,
          subCode: 'isv.permission-api-package-empty',
          at: 3_000,
          face: 'rest',
          httpStatus: 403,
        },
        {
          ...base,
          appKey: 'other',
          method: 'shouquan.store.get',
          code: 7,
          subCode: 'accesscontrol.limited-by-app-access-count',
          at: 3_500,
          storeId: null,
          sellerId: null,
        },
      ]);
      await calls.append([]);
      const recent = await calls.recent('app1', 3);
      assert.deepEqual(
        recent.map((c) => [c.at, c.method, c.code]),
        [
          [3_000, 'shouquan.orders.list', 11],
          [3_000, 'shouquan.orders.list', 25],
          [2_000, 'shouquan.orders.list', 25],
        ],
      );
      assert.deepEqual(recent[0], {
        appKey: 'app1',
        method: 'shouquan.orders.list',
        face: 'rest',
        storeId,
        sellerId,
        code: 11,
        subCode: 'isv.permission-api-package-empty',
        httpStatus: 403,
        durationMs: 5,
        at: 3_000,
      });
      assert.deepEqual(await calls.summary('app1', 1_500, 5), {
        calls: 3,
        errors: 3,
        topErrors: [
          { code: 25, subCode: 'isv.invalid-signature', count: 2 },
          { code: 11, subCode: 'isv.permission-api-package-empty', count: 1 },
        ],
      });
      assert.deepEqual(await calls.summary('app1', 0, 1), {
        calls: 4,
        errors: 3,
        topErrors: [{ code: 25, subCode: 'isv.invalid-signature', count: 2 }],
      });
      assert.deepEqual(await calls.summary('nobody', 0, 5), { calls: 0, errors: 0, topErrors: [] });
      assert.equal((await calls.recent('other', 10))[0]?.storeId, null);

      // The janitor's retention purge removes records made before the cutoff, in batches.
      assert.equal(await storage.maintenance!.purgeExpired('calls', 3_000, 1), 1);
      assert.equal(await storage.maintenance!.purgeExpired('calls', 3_000, 10), 1);
      assert.deepEqual(
        (await calls.recent('app1', 10)).map((c) => c.at),
        [3_000, 3_000],
      );
    });

    it('keeps the previous sealed secret with its expiry in the gateway settings', async () => {
      const apps = storage.gateway!.apps;
      await apps.upsert('app1', {
        sealedSecret: 'v1.new',
        previousSealedSecret: 'v1.old',
        previousSecretExpiresAt: 5_000,
      });
      assert.deepEqual(
        await apps.find('app1').then((a) => a && [a.sealedSecret, a.previousSealedSecret, a.previousSecretExpiresAt]),
        ['v1.new', 'v1.old', 5_000],
      );
      await apps.upsert('app1', { quotaPerDay: 10 });
      assert.equal((await apps.find('app1'))?.previousSealedSecret, 'v1.old', 'other changes keep it');
      await apps.upsert('app1', { previousSealedSecret: null, previousSecretExpiresAt: null });
      assert.deepEqual(
        await apps.find('app1').then((a) => a && [a.sealedSecret, a.previousSealedSecret, a.previousSecretExpiresAt]),
        ['v1.new', null, null],
      );
    });

    it('rotates the secret hash and the sealed secret together, and ends both previous ones together', async () => {
      const key = randomBytes(32);
      await storage.apps.create(
        {
          appKey: 'rot1',
          name: 'Rot',
          secretHash: 'h0',
          callbackUrls: ['https://a.example/cb'],
          scopes: ['seller'],
          status: 'live',
          createdAt: 1,
        },
        { sealedSecret: 'sealed-0' },
      );
      const state = async () => {
        const a = await storage.apps.find('rot1');
        const g = await storage.gateway!.apps.find('rot1');
        return {
          hash: a!.secretHash,
          prevHash: a!.previousSecretHash ?? null,
          prevUntil: a!.previousSecretExpiresAt ?? null,
          sealed: g!.sealedSecret,
          prevSealed: g!.previousSealedSecret,
          prevSealedUntil: g!.previousSecretExpiresAt,
        };
      };
      await rotateAppSecret(storage, key, 'rot1', 24, 1_000);
      const s1 = await state();
      assert.notEqual(s1.hash, 'h0');
      assert.notEqual(s1.sealed, 'sealed-0');
      assert.deepEqual(
        [s1.prevHash, s1.prevUntil, s1.prevSealed, s1.prevSealedUntil],
        ['h0', 1_000 + 24 * 3600_000, 'sealed-0', 1_000 + 24 * 3600_000],
      );
      await endPreviousSecret(storage, 'rot1');
      const s2 = await state();
      assert.deepEqual(
        [s2.hash, s2.sealed, s2.prevHash, s2.prevUntil, s2.prevSealed, s2.prevSealedUntil],
        [s1.hash, s1.sealed, null, null, null, null],
      );
      // Without an overlap nothing of the old secret is kept, in either table.
      await rotateAppSecret(storage, key, 'rot1', 0, 2_000);
      const s3 = await state();
      assert.notEqual(s3.sealed, s1.sealed);
      assert.deepEqual([s3.prevHash, s3.prevUntil, s3.prevSealed, s3.prevSealedUntil], [null, null, null, null]);
    });

    it('purges expired console sessions (web_sessions) for the janitor', async () => {
      const account = await storage.console.createAccount({
        realm: 'developer',
        username: 'dev-purge',
        passwordHash: 'p',
        createdAt: 1,
      });
      await storage.console.createSession({
        idHash: 'old-web',
        realm: 'developer',
        accountId: account.accountId,
        createdAt: 1,
        expiresAt: 1_000,
      });
      await storage.console.createSession({
        idHash: 'live-web',
        realm: 'developer',
        accountId: account.accountId,
        createdAt: 1,
        expiresAt: 10_000,
      });
      assert.equal(await storage.maintenance!.purgeExpired('webSessions', 5_000, 100), 1);
      assert.equal(await storage.console.findSession('old-web', 'developer', 0), undefined);
      assert.equal((await storage.console.findSession('live-web', 'developer', 0))?.accountId, account.accountId);
    });

    it('keeps the first value of a setting', async () => {
      const values = await Promise.all(['a', 'b', 'c'].map((v) => storage.settings.setIfAbsent('k', v)));
      assert.equal(new Set(values).size, 1);
      assert.equal(await storage.settings.get('k'), values[0]);
      assert.equal(await storage.ping(), true);
    });
  });
}
