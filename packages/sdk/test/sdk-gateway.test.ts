// @shouquan/sdk against the real API gateway (issue 4): signed router calls with all three
// sign methods, error_response mapping, smallec's refresh through psdm.auth.token.refresh, and
// a real webhook delivery verified with parseWebhook. The gateway is built on its own branch:
// until it is merged, this file skips itself with a message.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer, type TestServerOptions } from '../../../test/helpers/server.js';
import { authorizeThroughForms } from '../../../test/helpers/browserless.js';
import { testDialects } from '../../../test/helpers/databases.js';
import { getProfile } from '../../../src/profiles/registry.js';
import type { Profile } from '../../../src/profiles/profile.js';
import { ApiError, MemoryTokenStore, ShouquanClient, parseWebhook, type WebhookEvent } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const gatewaySource = join(root, 'src', 'gateway', 'sandbox-data.ts');
const skip = existsSync(gatewaySource)
  ? false
  : 'the API gateway (issue 4) is not on this branch: SDK-against-gateway tests skipped';
if (skip) console.log(skip);

/** The gateway's sandbox data filler, loaded only when the gateway exists. */
async function fillSandboxData(s: TestServer): Promise<void> {
  const mod = (await import(gatewaySource)) as typeof import('../../../src/gateway/sandbox-data.js');
  await mod.fillSandboxData(s.core.storage.gateway!, s.seller.stores, Date.now());
}

/** startTestServer with the gateway switched on (an option of the gateway branch's helper). */
function startGatewayServer(opts: TestServerOptions & { gateway?: Record<string, unknown> }): Promise<TestServer> {
  return startTestServer({
    ...opts,
    gateway: { defaultQuotaPerSecond: 100_000, webhookPollMs: 0, ...opts.gateway },
  } as TestServerOptions);
}

async function connect(s: TestServer, sdk: ShouquanClient, key: string, storeIndex = 0) {
  const req = sdk.authorizeUrl(sdk.dialect.name === 'smallec' ? { extra: { view: 'web' } } : {});
  const { location } = await authorizeThroughForms(s.url, req.url, {
    username: s.seller.username,
    password: s.seller.password,
    storeId: s.seller.stores[storeIndex]!.storeId,
  });
  return sdk.handleCallback(location, {
    state: req.state,
    ...(req.codeVerifier ? { codeVerifier: req.codeVerifier } : {}),
    key,
  });
}

async function counter(base: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const dialects = skip ? [] : await testDialects();

describe('SDK against the API gateway', { skip }, () => {
  for (const dialect of dialects) {
    describe(`standard profile (${dialect.name})`, { skip: dialect.skip }, () => {
      let s: TestServer;
      let sdk: ShouquanClient;
      before(async () => {
        s = await startGatewayServer({ db: await dialect.fresh() });
        await fillSandboxData(s);
        sdk = new ShouquanClient({
          baseUrl: s.url,
          appKey: s.client.appKey,
          appSecret: s.client.appSecret,
          redirectUri: s.client.callback,
          tokenStore: new MemoryTokenStore(),
        });
        await connect(s, sdk, 'seller');
      });
      after(async () => s?.close());

      for (const signMethod of ['md5', 'hmac', 'hmac-sha256'] as const) {
        it(`signs router calls with ${signMethod}, POST and GET`, async () => {
          const post = await sdk.call<{ store: { store_id: number; name: string } }>(
            'store.get',
            {},
            { key: 'seller', signMethod },
          );
          assert.equal(post.store.store_id, s.seller.stores[0]!.storeId);
          assert.equal(post.store.name, 'Store One');
          const get = await sdk.call<{ products: unknown[]; page_size: number }>(
            'products.list',
            { page_size: 2 },
            { key: 'seller', signMethod, httpMethod: 'GET' },
          );
          assert.equal(get.products.length, 2);
          assert.equal(get.page_size, 2);
        });
      }

      it('signs Chinese parameter values as UTF-8', async () => {
        const created = await sdk.call<{ product: { product_id: number; title: string } }>(
          'products.create',
          { title: '羊毛围巾 红色', price: '129.00', stock: 5 },
          { key: 'seller' },
        );
        assert.equal(created.product.title, '羊毛围巾 红色');
        const got = await sdk.call<{ product: { title: string } }>(
          'products.get',
          { product_id: created.product.product_id },
          { key: 'seller' },
        );
        assert.equal(got.product.title, '羊毛围巾 红色');
      });

      it('maps error_response to ApiError with code, sub_code and request_id', async () => {
        await assert.rejects(sdk.call('store.get', {}, { session: 'not-a-token' }), (e: unknown) => {
          assert.ok(e instanceof ApiError);
          assert.equal(e.code, 27);
          assert.equal(typeof e.subCode, 'string');
          assert.match(e.requestId ?? '', /\S/);
          return true;
        });
        const wrong = new ShouquanClient({
          baseUrl: s.url,
          appKey: s.client.appKey,
          appSecret: 'not-the-secret',
          tokenStore: sdk.tokenStore,
        });
        await assert.rejects(
          wrong.call('store.get', {}, { key: 'seller' }),
          (e: unknown) => e instanceof ApiError && e.code === 25,
        );
      });
    });
  }

  describe('smallec: refresh only through psdm.auth.token.refresh (SQLite)', () => {
    let s: TestServer;
    let sdk: ShouquanClient;
    let skew = 0;
    before(async () => {
      const p: Profile & { gateway?: { methodPrefix: string } } = getProfile('smallec');
      s = await startGatewayServer({ profile: { ...p, gateway: p.gateway ?? { methodPrefix: 'psdm' } } as Profile });
      await fillSandboxData(s);
      sdk = new ShouquanClient({
        baseUrl: s.url,
        appKey: s.client.appKey,
        appSecret: s.client.appSecret,
        redirectUri: s.client.callback,
        profile: 'smallec',
        now: () => Date.now() + skew,
      });
    });
    after(async () => s?.close());

    it('20 concurrent callers on a token about to expire: one router refresh, no failures', async () => {
      const first = await connect(s, sdk, 'k');
      assert.equal(first.sellerId, String(s.seller.sellerId));
      const before = await counter(
        s.url,
        'shouquan_http_requests_total',
        'method="POST",route="/router/rest",status="200"',
      );
      // Both clocks move to 30 s before the access token's expiry: inside the SDK's 60 s refresh
      // skew, so it refreshes ahead of time. (smallec's refresh token lives exactly as long as the
      // access token, so waiting for the expiry would lose both; the router also checks the timestamp
      // against the server's clock, hence both clocks.)
      const delta = first.expiresAt! - Date.now() - 30_000;
      skew += delta;
      s.advance(delta);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => sdk.call<{ store: { store_id: number } }>('store.get', {}, { key: 'k' })),
      );
      assert.deepEqual(new Set(answers.map((a) => a.store.store_id)), new Set([s.seller.stores[0]!.storeId]));
      const after = (await sdk.tokenStore.get('k'))!;
      assert.notEqual(after.accessToken, first.accessToken);
      assert.notEqual(after.refreshToken, first.refreshToken);
      // 1 refresh + 20 store.get calls went through the router.
      assert.equal(
        (await counter(s.url, 'shouquan_http_requests_total', 'method="POST",route="/router/rest",status="200"')) -
          before,
        21,
      );
    });
  });

  describe('webhooks from the real dispatcher (SQLite)', () => {
    let s: TestServer;
    let receiver: Server;
    const received: Array<{ headers: IncomingHttpHeaders; body: Buffer }> = [];
    before(async () => {
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ headers: req.headers, body: Buffer.concat(chunks) });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      s = await startGatewayServer({ gateway: { webhookPollMs: 20, webhookBackoffMs: 1, webhookMaxBackoffMs: 1 } });
    });
    after(async () => {
      await s?.close();
      receiver?.close();
    });

    it('parseWebhook verifies the authorization.revoked push after sdk.revoke()', async () => {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      await s.core.storage.gateway!.apps.upsert(s.client.appKey, { webhookUrl: url, webhookSince: s.core.now() });
      const sdk = new ShouquanClient({
        baseUrl: s.url,
        appKey: s.client.appKey,
        appSecret: s.client.appSecret,
        redirectUri: s.client.callback,
      });
      await connect(s, sdk, 'k');
      await sdk.revoke('k');
      // Wait for the delivery (bounded; not a timing assertion).
      for (let i = 0; i < 600 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(received.length >= 1, true, 'a webhook arrived');
      const got = received[0]!;
      const event: WebhookEvent = parseWebhook(s.client.appSecret, got.body, got.headers as Record<string, string>);
      assert.equal(event.event, 'authorization.revoked');
      assert.equal(event.app_key, s.client.appKey);
      assert.equal(event.store_id, s.seller.stores[0]!.storeId);
      assert.throws(
        () => parseWebhook('another-secret', got.body, got.headers as Record<string, string>),
        /does not match the body/,
      );
    });
  });
});
