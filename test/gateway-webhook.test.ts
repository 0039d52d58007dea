import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildServer, createCoreContext, openStorage } from '../src/runtime.js';
import { standardProfile } from '../src/profiles/standard.profile.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { testDialects } from './helpers/databases.js';
import { postForm } from './helpers/browserless.js';
import { sellerTokens, waitFor } from './helpers/gateway.js';

const dialects = await testDialects();

/** A webhook receiver that fails (503) until told to accept. */
async function startReceiver() {
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const state = { accept: false, refused: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (!state.accept) {
        state.refused++;
        res.writeHead(503).end('busy');
        return;
      }
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/shouquan`,
    received,
    state,
    close: () => new Promise((r) => server.close(r)),
  };
}

const expectedSignature = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

for (const dialect of dialects) {
  describe(`gateway webhooks (${dialect.name})`, { skip: dialect.skip }, () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    before(async () => {
      receiver = await startReceiver();
    });
    after(async () => receiver?.close());

    it('pushes authorization.replaced when a new authorization replaces the old one', async () => {
      // A profile where the last authorization wins (the standard profile adds stores instead, docs/adr/0135).
      const s = await startTestServer({
        profile: { ...standardProfile, grants: { stores: 'one', reconsent: 'replace' } },
        db: await dialect.fresh(),
        gateway: { webhookPollMs: 20, webhookBackoffMs: 1, webhookMaxBackoffMs: 1 },
      });
      try {
        receiver.state.accept = true;
        receiver.received.length = 0;
        await s.core.storage.gateway!.apps.upsert(s.client.appKey, {
          webhookUrl: receiver.url,
          webhookSince: s.core.now(),
        });
        await sellerTokens(s, s.seller.stores[0]!.storeId);
        await sellerTokens(s, s.seller.stores[1]!.storeId);
        const got = await waitFor(async () => receiver.received[0], 'the webhook');
        const body = JSON.parse(got.body);
        assert.equal(got.headers['x-shouquan-signature'], expectedSignature(s.client.appSecret, got.body));
        assert.equal(got.headers['x-shouquan-event'], 'authorization.replaced');
        assert.deepEqual(
          { ...body, event_id: 'x', occurred_at: 'x' },
          {
            event: 'authorization.replaced',
            event_id: 'x',
            app_key: s.client.appKey,
            seller_id: s.seller.sellerId,
            store_id: s.seller.stores[0]!.storeId,
            reason: 'replaced',
            occurred_at: 'x',
            new_store_id: s.seller.stores[1]!.storeId,
          },
        );
        assert.match(body.event_id, /^.+:authorization\.replaced$/);
        const rows = await waitFor(async () => {
          const list = await s.core.storage.gateway!.outbox.list(s.client.appKey);
          return list[0]?.deliveredAt ? list : undefined;
        }, 'the outbox row marked delivered');
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.attempts, 1);
      } finally {
        await s.close();
      }
    });

    it('delivers a revocation at least once, across a restart, with back-off between failures', async () => {
      receiver.state.accept = false;
      receiver.state.refused = 0;
      receiver.received.length = 0;
      const s: TestServer = await startTestServer({
        db: await dialect.fresh(),
        gateway: { webhookPollMs: 20, webhookBackoffMs: 1, webhookMaxBackoffMs: 1 },
      });
      const gw = s.core.storage.gateway!;
      await gw.apps.upsert(s.client.appKey, { webhookUrl: receiver.url, webhookSince: s.core.now() });
      const tokens = await sellerTokens(s, s.seller.stores[0]!.storeId);
      const revoked = await postForm(`${s.url}/oauth/revoke`, {
        token: tokens.refresh_token,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(revoked.status, 200);
      // The receiver is down: attempts fail and are rescheduled, the event stays in the outbox.
      const failing = await waitFor(async () => {
        const [row] = await gw.outbox.list(s.client.appKey);
        return row && row.attempts >= 2 ? row : undefined;
      }, 'two failed attempts');
      assert.equal(failing.deliveredAt, null);
      assert.equal(failing.lastError, 'HTTP 503');
      assert.ok(failing.nextAttemptAt > 0);

      // Stop the server (keeping its database), bring the receiver up, start a new server.
      await s.server.close();
      await s.core.storage.close();
      receiver.state.accept = true;
      const storage = await openStorage(s.db.url);
      const core = await createCoreContext({ storage, profile: standardProfile, issuer: s.url });
      const server = await buildServer({ core, logger: false, gateway: { webhookPollMs: 20 } });
      try {
        await server.ready();
        const got = await waitFor(async () => receiver.received[0], 'delivery after the restart');
        assert.equal(got.headers['x-shouquan-signature'], expectedSignature(s.client.appSecret, got.body));
        const body = JSON.parse(got.body);
        assert.equal(body.event, 'authorization.revoked');
        assert.equal(body.reason, 'revoked_by_client');
        assert.equal(body.store_id, s.seller.stores[0]!.storeId);
        await waitFor(
          async () => (await storage.gateway!.outbox.list(s.client.appKey))[0]?.deliveredAt ?? undefined,
          'the outbox row marked delivered',
        );
        assert.ok(receiver.state.refused >= 2);
        assert.equal(receiver.received.length, 1);
      } finally {
        await server.close();
        await storage.close();
        await s.db.cleanup();
      }
    });

    it('never loses a revocation made while no dispatcher runs', async () => {
      receiver.state.accept = true;
      receiver.received.length = 0;
      const s: TestServer = await startTestServer({ db: await dialect.fresh(), gateway: { webhookPollMs: 0 } });
      await s.core.storage.gateway!.apps.upsert(s.client.appKey, {
        webhookUrl: receiver.url,
        webhookSince: s.core.now(),
      });
      const tokens = await sellerTokens(s, s.seller.stores[1]!.storeId);
      await postForm(`${s.url}/oauth/revoke`, {
        token: tokens.refresh_token,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.deepEqual(await s.core.storage.gateway!.outbox.list(s.client.appKey), []);
      await s.server.close();
      await s.core.storage.close();
      const storage = await openStorage(s.db.url);
      const core = await createCoreContext({ storage, profile: standardProfile, issuer: s.url });
      const server = await buildServer({ core, logger: false, gateway: { webhookPollMs: 20 } });
      try {
        await server.ready();
        const got = await waitFor(async () => receiver.received[0], 'delivery of the earlier revocation');
        assert.equal(JSON.parse(got.body).store_id, s.seller.stores[1]!.storeId);
      } finally {
        await server.close();
        await storage.close();
        await s.db.cleanup();
      }
    });
  });
}
