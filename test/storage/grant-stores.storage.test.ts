import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openStorage } from '../../src/runtime.js';
import type { GrantRecord, Storage, TokenRecord } from '../../src/storage/ports.js';
import { testDialects, type TestDatabase } from '../helpers/databases.js';

/** Grants of several stores (docs/adr/0135), on every dialect. */
const h = () => randomBytes(16).toString('hex');

for (const dialect of await testDialects()) {
  describe(`storage: grants of several stores (${dialect.name})`, { skip: dialect.skip }, () => {
    let db: TestDatabase;
    let storage: Storage;
    let sellerId: number;
    let stores: number[];
    before(async () => {
      db = await dialect.fresh();
      storage = await openStorage(db.url, { createIfMissing: true });
      await storage.apps.create(
        {
          appKey: 'app2',
          name: 'App',
          secretHash: 'x',
          callbackUrls: ['https://a.example/cb'],
          scopes: ['seller'],
          status: 'live',
          createdAt: 1,
        },
        { sealedSecret: 'sealed-2' },
      );
      const s = await storage.sellers.create({ username: 'many', passwordHash: 'p', createdAt: 1 }, [
        'S1',
        'S2',
        'S3',
        'S4',
        'S5',
        'S6',
      ]);
      sellerId = s.seller.sellerId;
      stores = s.stores.map((x) => x.storeId);
    });
    after(async () => {
      await storage?.close();
      await db?.cleanup();
    });

    const grant = (storeIds: number[], scope = ['store.read']): GrantRecord => ({
      grantId: h(),
      appKey: 'app2',
      sellerId,
      storeId: storeIds[0]!,
      storeIds,
      scope,
      createdAt: 1,
      revokedAt: null,
      revokedReason: null,
    });
    const tok = (g: GrantRecord): TokenRecord => ({
      tokenHash: h(),
      kind: 'access',
      grantId: g.grantId,
      appKey: 'app2',
      scope: g.scope,
      createdAt: 1,
      expiresAt: Date.now() + 60_000,
      revokedAt: null,
      rotatedAt: null,
      storeIds: g.storeIds,
    });
    /** A live code for a grant's stores and scope (what a consent stores); its hash. */
    const codeFor = async (g: Pick<GrantRecord, 'storeId' | 'storeIds' | 'scope'>): Promise<string> => {
      const codeHash = h();
      await storage.codes.create({
        codeHash,
        appKey: 'app2',
        sellerId,
        storeId: g.storeId,
        storeIds: g.storeIds,
        redirectUri: 'https://a.example/cb',
        redirectUriSent: true,
        scope: g.scope,
        codeChallenge: null,
        codeChallengeMethod: null,
        createdAt: 1,
        expiresAt: Date.now() + 60_000,
        consumedAt: null,
        grantId: null,
      });
      return codeHash;
    };
    const endLive = async () => {
      const live = await storage.grants.findLive('app2', sellerId);
      if (live) await storage.grants.revoke(live.grantId, 2, 'test');
    };

    it('round-trips the stores of a code', async () => {
      const codeHash = await codeFor({
        storeId: stores[1]!,
        storeIds: [stores[1]!, stores[0]!],
        scope: ['store.read'],
      });
      assert.deepEqual((await storage.codes.find(codeHash))?.storeIds, [stores[1], stores[0]]);
    });

    it('under "add", a later code adds its stores and scope to the live grant; earlier tokens keep their stores', async () => {
      await endLive();
      const g1 = grant([stores[0]!]);
      const t1 = tok(g1);
      assert.equal(
        (await storage.grants.createWithTokens({ now: 3, grant: g1, tokens: [t1], reconsent: 'add' })).grantId,
        g1.grantId,
      );
      const codeHash = await codeFor({ storeId: stores[1]!, storeIds: [stores[1]!], scope: ['orders.read'] });
      const g2 = grant([stores[1]!], ['orders.read']);
      const t2 = tok(g2);
      const result = await storage.grants.redeemAuthCode({
        codeHash,
        now: 4,
        grant: g2,
        tokens: [t2],
        reconsent: 'add',
      });
      assert.equal(result.status, 'redeemed');
      assert.ok(result.status === 'redeemed');
      assert.equal(result.grant.grantId, g1.grantId);
      assert.deepEqual(result.grant.storeIds, [stores[0], stores[1]]);
      assert.deepEqual(result.grant.scope, ['store.read', 'orders.read']);
      // The code remembers the grant it went into (a replay revokes that grant).
      assert.equal((await storage.codes.find(codeHash))?.grantId, g1.grantId);
      const stored = await storage.grants.find(g1.grantId);
      assert.deepEqual(
        { storeId: stored?.storeId, storeIds: stored?.storeIds, revokedAt: stored?.revokedAt },
        { storeId: stores[0], storeIds: [stores[0], stores[1]], revokedAt: null },
      );
      const old = await storage.tokens.find(t1.tokenHash);
      assert.deepEqual(
        { storeIds: old?.grant.storeIds, storeId: old?.grant.storeId, revokedAt: old?.revokedAt },
        { storeIds: [stores[0]], storeId: stores[0], revokedAt: null },
      );
      const fresh = await storage.tokens.find(t2.tokenHash);
      assert.deepEqual(
        { grantId: fresh?.grantId, storeIds: fresh?.grant.storeIds },
        { grantId: g1.grantId, storeIds: [stores[0], stores[1]] },
      );
    });

    it('under "replace" (the default), a later grant ends the live one', async () => {
      await endLive();
      const g1 = grant([stores[0]!]);
      await storage.grants.createWithTokens({ now: 5, grant: g1, tokens: [tok(g1)] });
      const g2 = grant([stores[1]!, stores[2]!]);
      const placed = await storage.grants.createWithTokens({ now: 6, grant: g2, tokens: [tok(g2)] });
      assert.equal(placed.grantId, g2.grantId);
      assert.equal((await storage.grants.find(g1.grantId))?.revokedReason, 'replaced');
      assert.deepEqual((await storage.grants.findLive('app2', sellerId))?.storeIds, [stores[1], stores[2]]);
    });

    it('a code redeemed under "add" and under "replace" writes the same audit entries on every database', async () => {
      // PostgreSQL writes these in one statement of its own SQL (docs/adr/0186); they must read as SQLite's do.
      const redeem = async (g: GrantRecord, reconsent: 'add' | 'replace', now: number) => {
        const codeHash = await codeFor(g);
        const r = await storage.grants.redeemAuthCode({ codeHash, now, grant: g, tokens: [tok(g)], reconsent });
        assert.equal(r.status, 'redeemed');
        return r;
      };
      await endLive();
      const before = (await storage.audit!.list({ limit: 100_000 })).at(-1)?.id ?? 0;
      const g1 = grant([stores[0]!]);
      await redeem(g1, 'add', 21);
      const g2 = grant([stores[1]!, stores[0]!], ['orders.read']);
      await redeem(g2, 'add', 22);
      const g3 = grant([stores[2]!]);
      await redeem(g3, 'replace', 23);
      const entries = (await storage.audit!.list({ afterId: before, limit: 100 })).map((e) => ({
        at: e.at,
        event: e.event,
        actor: e.actor,
        appKey: e.appKey,
        sellerId: e.sellerId,
        subject: e.subject,
        detail: e.detail,
      }));
      const who = { actor: `seller:${sellerId}`, appKey: 'app2', sellerId };
      assert.deepEqual(entries, [
        {
          at: 21,
          event: 'grant.created',
          ...who,
          subject: g1.grantId,
          detail: { via: 'authorization_code', storeId: stores[0], storeIds: [stores[0]], scope: 'store.read' },
        },
        {
          at: 22,
          event: 'grant.extended',
          ...who,
          subject: g1.grantId,
          detail: {
            via: 'authorization_code',
            added: [stores[1]],
            storeIds: [stores[0], stores[1]],
            scope: 'store.read orders.read',
          },
        },
        {
          at: 23,
          event: 'grant.revoked',
          ...who,
          subject: g1.grantId,
          detail: { reason: 'replaced', by: g3.grantId },
        },
        {
          at: 23,
          event: 'grant.created',
          ...who,
          subject: g3.grantId,
          detail: { via: 'authorization_code', storeId: stores[2], storeIds: [stores[2]], scope: 'store.read' },
        },
      ]);
    });

    it('concurrent codes under "add": one live grant with every store; the same code twice: one winner', async () => {
      await endLive();
      const grants = stores.map((id) => grant([id]));
      const codes = await Promise.all(grants.map(codeFor));
      const results = await Promise.all(
        grants.map((g, i) =>
          storage.grants.redeemAuthCode({ codeHash: codes[i]!, now: 31, grant: g, tokens: [tok(g)], reconsent: 'add' }),
        ),
      );
      assert.ok(results.every((r) => r.status === 'redeemed'));
      const live = await storage.grants.findLive('app2', sellerId);
      assert.deepEqual(
        [...live!.storeIds!].sort((a, b) => a - b),
        [...stores].sort((a, b) => a - b),
      );
      const again = grant([stores[0]!]);
      const code = await codeFor(again);
      const racers = await Promise.all(
        Array.from({ length: 5 }, () => {
          const g = grant([stores[0]!]);
          return storage.grants.redeemAuthCode({
            codeHash: code,
            now: 32,
            grant: g,
            tokens: [tok(g)],
            reconsent: 'add',
          });
        }),
      );
      assert.equal(racers.filter((r) => r.status === 'redeemed').length, 1);
      assert.ok(racers.filter((r) => r.status !== 'redeemed').every((r) => r.status === 'already_used'));
    });

    it('concurrent "add" consents end with one live grant holding every store', async () => {
      await endLive();
      const results = await Promise.all(
        stores.map((id) => {
          const g = grant([id]);
          return storage.grants.createWithTokens({ now: 7, grant: g, tokens: [tok(g)], reconsent: 'add' });
        }),
      );
      const live = await storage.grants.findLive('app2', sellerId);
      assert.ok(live);
      assert.deepEqual(
        [...live.storeIds!].sort((a, b) => a - b),
        [...stores].sort((a, b) => a - b),
      );
      assert.deepEqual(new Set(results.map((r) => r.grantId)), new Set([live.grantId]));
    });

    it('removes one store; tokens that covered only it end; the last store revokes the grant', async () => {
      await endLive();
      const g = grant([stores[0]!, stores[1]!]);
      const both = tok(g);
      const onlyB = { ...tok(g), storeIds: [stores[1]!] };
      await storage.grants.createWithTokens({ now: 8, grant: g, tokens: [both, onlyB] });
      assert.equal(
        await storage.grants.removeStore({ grantId: g.grantId, storeId: stores[5]!, now: 9, actor: 'test' }),
        'not_found',
      );
      assert.equal(
        await storage.grants.removeStore({ grantId: g.grantId, storeId: stores[1]!, now: 9, actor: 'test' }),
        'removed',
      );
      const left = await storage.grants.find(g.grantId);
      assert.deepEqual(
        { storeId: left?.storeId, storeIds: left?.storeIds, revokedAt: left?.revokedAt },
        { storeId: stores[0], storeIds: [stores[0]], revokedAt: null },
      );
      assert.deepEqual((await storage.tokens.find(both.tokenHash))?.grant.storeIds, [stores[0]]);
      assert.equal((await storage.tokens.find(onlyB.tokenHash))?.revokedAt, 9);
      assert.equal(
        await storage.grants.removeStore({ grantId: g.grantId, storeId: stores[0]!, now: 10, actor: 'test' }),
        'revoked',
      );
      assert.deepEqual(
        {
          revokedAt: (await storage.grants.find(g.grantId))?.revokedAt,
          reason: (await storage.grants.find(g.grantId))?.revokedReason,
        },
        { revokedAt: 10, reason: 'seller_revoked' },
      );
      assert.equal(
        await storage.grants.removeStore({ grantId: g.grantId, storeId: stores[0]!, now: 11, actor: 'test' }),
        'not_found',
      );
      const events = (await storage.audit!.list({ limit: 1000 }))
        .filter((e) => e.subject === g.grantId)
        .map((e) => e.event);
      assert.deepEqual(events, ['grant.created', 'grant.store_removed', 'grant.revoked']);
    });
  });
}
