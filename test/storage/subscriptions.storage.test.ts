import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openStorage } from '../../src/runtime.js';
import type { AuditEvent, GrantRecord, Storage, SubscriptionRecord, TokenRecord } from '../../src/storage/ports.js';
import { testDialects, type TestDatabase } from '../helpers/databases.js';

/** Subscriptions and the tokens they bound (docs/adr/0140), on SQLite and PostgreSQL. */
const h = () => randomBytes(16).toString('hex');
const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;

for (const dialect of await testDialects()) {
  describe(`storage: subscriptions (${dialect.name})`, { skip: dialect.skip }, () => {
    let db: TestDatabase;
    let storage: Storage;
    let sellerId: number;
    let storeId: number;
    before(async () => {
      db = await dialect.fresh();
      storage = await openStorage(db.url, { createIfMissing: true });
      for (const [appKey, requireSubscription] of [
        ['paid', true],
        ['free', false],
      ] as const) {
        await storage.apps.create(
          {
            appKey,
            name: appKey,
            secretHash: 'x',
            callbackUrls: ['https://a.example/cb'],
            scopes: ['seller'],
            status: 'live',
            createdAt: 1,
            requireSubscription,
            purchaseUrl: null,
          },
          { sealedSecret: `sealed-${appKey}` },
        );
      }
      const s = await storage.sellers.create({ username: 'buyer', passwordHash: 'p', createdAt: 1 }, ['S1']);
      sellerId = s.seller.sellerId;
      storeId = s.stores[0]!.storeId;
    });
    after(async () => {
      await storage?.close();
      await db?.cleanup();
    });

    const audit = (event: string): AuditEvent => ({
      at: NOW,
      event,
      actor: 'test',
      appKey: null,
      sellerId: null,
      subject: null,
      detail: null,
    });
    const sub = (appKey: string, expiresAt: number): SubscriptionRecord => ({
      subscriptionId: `sub_${h()}`,
      appKey,
      sellerId,
      plan: null,
      createdAt: NOW,
      updatedAt: NOW,
      expiresAt,
      cancelledAt: null,
      expiringEventFor: null,
      expiredEventAt: null,
    });
    /** A live grant of the app with an access and a refresh token expiring at `expiresAt`; returns the token hashes. */
    const grantWithTokens = async (appKey: string, expiresAt: number) => {
      const grant: GrantRecord = {
        grantId: h(),
        appKey,
        sellerId,
        storeId,
        scope: ['seller'],
        createdAt: NOW,
        revokedAt: null,
        revokedReason: null,
      };
      const tok = (kind: 'access' | 'refresh'): TokenRecord => ({
        tokenHash: h(),
        kind,
        grantId: grant.grantId,
        appKey,
        scope: ['seller'],
        createdAt: NOW,
        expiresAt,
        revokedAt: null,
        rotatedAt: null,
      });
      const tokens = [tok('access'), tok('refresh')];
      await storage.grants.createWithTokens({ now: NOW, grant, tokens });
      return tokens.map((t) => t.tokenHash);
    };
    const expiries = async (hashes: string[]) =>
      Promise.all(hashes.map(async (x) => (await storage.tokens.find(x))?.expiresAt));

    it('stores the app flag and purchase URL', async () => {
      assert.equal((await storage.apps.find('paid'))?.requireSubscription, true);
      assert.equal((await storage.apps.find('free'))?.requireSubscription, false);
      await storage.apps.update('paid', { purchaseUrl: 'https://market.example/paid' });
      assert.equal((await storage.apps.find('paid'))?.purchaseUrl, 'https://market.example/paid');
    });

    it('active until: the latest end among active subscriptions; renew caps or leaves tokens; cancel ends them at once', async () => {
      assert.equal(await storage.subscriptions.activeUntil('paid', sellerId, NOW), undefined);
      const s = sub('paid', NOW + 10 * HOUR);
      await storage.subscriptions.create(s, audit('subscription.created'));
      assert.equal(await storage.subscriptions.activeUntil('paid', sellerId, NOW), NOW + 10 * HOUR);
      assert.equal(
        await storage.subscriptions.activeUntil('paid', sellerId, NOW + 10 * HOUR),
        undefined,
        'ended at its end',
      );
      const hashes = await grantWithTokens('paid', NOW + 8 * HOUR);
      // A longer end leaves the tokens as they are (the next refresh gets it).
      const longer = await storage.subscriptions.renew(
        s.subscriptionId,
        NOW + 20 * HOUR,
        NOW,
        audit('subscription.renewed'),
      );
      assert.equal(longer.status, 'renewed');
      assert.deepEqual(await expiries(hashes), [NOW + 8 * HOUR, NOW + 8 * HOUR]);
      // A shorter end caps them in the same transaction.
      await storage.subscriptions.renew(s.subscriptionId, NOW + 2 * HOUR, NOW, audit('subscription.renewed'));
      assert.deepEqual(await expiries(hashes), [NOW + 2 * HOUR, NOW + 2 * HOUR]);
      const cancelled = await storage.subscriptions.cancel(
        s.subscriptionId,
        NOW + HOUR,
        audit('subscription.cancelled'),
      );
      assert.equal(cancelled.status, 'cancelled');
      assert.deepEqual(await expiries(hashes), [NOW + HOUR, NOW + HOUR]);
      const again = await storage.subscriptions.cancel(
        s.subscriptionId,
        NOW + 2 * HOUR,
        audit('subscription.cancelled'),
      );
      assert.deepEqual(again.status === 'cancelled' && [again.changed, again.subscription.cancelledAt], [
        false,
        NOW + HOUR,
      ]);
      assert.equal(
        (
          await storage.subscriptions.renew(
            s.subscriptionId,
            NOW + 30 * HOUR,
            NOW + 2 * HOUR,
            audit('subscription.renewed'),
          )
        ).status,
        'cancelled',
      );
      assert.equal(
        (await storage.subscriptions.renew('sub_nope', NOW + 30 * HOUR, NOW, audit('x'))).status,
        'not_found',
      );
      const log = await storage.management.audit({ action: 'subscription.*', limit: 10 });
      assert.deepEqual(
        log.map((e) => e.event),
        ['subscription.cancelled', 'subscription.renewed', 'subscription.renewed', 'subscription.created'],
      );
    });

    it('a cancellation leaves the tokens of an app that does not require a subscription alone', async () => {
      const s = sub('free', NOW + 10 * HOUR);
      await storage.subscriptions.create(s, audit('subscription.created'));
      const hashes = await grantWithTokens('free', NOW + 8 * HOUR);
      await storage.subscriptions.cancel(s.subscriptionId, NOW, audit('subscription.cancelled'));
      assert.deepEqual(await expiries(hashes), [NOW + 8 * HOUR, NOW + 8 * HOUR]);
    });

    it('lists by app, seller and status, newest first, with a cursor', async () => {
      const all = await storage.subscriptions.list({ sellerId, now: NOW, limit: 10 });
      assert.equal(all.length, 2);
      assert.deepEqual(
        (await storage.subscriptions.list({ appKey: 'free', now: NOW, limit: 10 })).map((x) => x.appKey),
        ['free'],
      );
      assert.equal((await storage.subscriptions.list({ status: 'active', now: NOW, limit: 10 })).length, 0);
      assert.equal((await storage.subscriptions.list({ status: 'ended', now: NOW, limit: 10 })).length, 2);
      const first = await storage.subscriptions.list({ now: NOW, limit: 1 });
      const rest = await storage.subscriptions.list({
        now: NOW,
        limit: 10,
        after: { createdAt: first[0]!.createdAt, subscriptionId: first[0]!.subscriptionId },
      });
      assert.deepEqual(
        [...first, ...rest].map((x) => x.subscriptionId),
        all.map((x) => x.subscriptionId),
      );
    });

    it('owes each event once: a second record loses, the outbox row is written with the marker', async () => {
      const s = sub('paid', NOW + 3 * 86_400_000);
      await storage.subscriptions.create(s, audit('subscription.created'));
      const owed = (await storage.subscriptions.owingEvents(NOW, 7 * 86_400_000, 100)).filter(
        (o) => o.subscription.subscriptionId === s.subscriptionId,
      );
      assert.deepEqual(
        owed.map((o) => o.kind),
        ['subscription.expiring'],
      );
      const outbox = {
        appKey: 'paid',
        key: `${s.subscriptionId}@${s.expiresAt}`,
        event: 'subscription.expiring',
        body: '{}',
      };
      const record = () =>
        storage.subscriptions.recordEvent({
          subscriptionId: s.subscriptionId,
          kind: 'subscription.expiring',
          expiresAt: s.expiresAt,
          now: NOW,
          outbox,
        });
      const results = await Promise.all([record(), record(), record()]);
      assert.deepEqual(results.filter(Boolean).length, 1, 'exactly one producer wins');
      assert.deepEqual(
        (await storage.gateway!.outbox.list('paid')).filter((o) => o.grantId === outbox.key).map((o) => o.event),
        ['subscription.expiring'],
      );
      assert.equal(
        (await storage.subscriptions.owingEvents(NOW, 7 * 86_400_000, 100)).filter(
          (o) => o.subscription.subscriptionId === s.subscriptionId,
        ).length,
        0,
      );
      // Ended: the expired event is owed once.
      const later = NOW + 4 * 86_400_000;
      assert.deepEqual(
        (await storage.subscriptions.owingEvents(later, 7 * 86_400_000, 100))
          .filter((o) => o.subscription.subscriptionId === s.subscriptionId)
          .map((o) => o.kind),
        ['subscription.expired'],
      );
      assert.equal(
        await storage.subscriptions.recordEvent({
          subscriptionId: s.subscriptionId,
          kind: 'subscription.expired',
          expiresAt: s.expiresAt,
          now: later,
        }),
        true,
      );
      assert.equal(
        await storage.subscriptions.recordEvent({
          subscriptionId: s.subscriptionId,
          kind: 'subscription.expired',
          expiresAt: s.expiresAt,
          now: later,
        }),
        false,
      );
      // A renewal after the end revives it: both events are owed again for the new end.
      await storage.subscriptions.renew(s.subscriptionId, later + 86_400_000, later, audit('subscription.renewed'));
      assert.deepEqual(
        (await storage.subscriptions.owingEvents(later, 7 * 86_400_000, 100))
          .filter((o) => o.subscription.subscriptionId === s.subscriptionId)
          .map((o) => o.kind),
        ['subscription.expiring'],
      );
    });
  });
}
