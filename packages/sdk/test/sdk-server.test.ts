// @shouquan/sdk against a real Shouquan server started in the test (black box over HTTP).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../../../test/helpers/server.js';
import { authorizeThroughForms, postForm } from '../../../test/helpers/browserless.js';
import { testDialects } from '../../../test/helpers/databases.js';
import { builtinProfiles } from '../../../src/profiles/registry.js';
import { standardProfile } from '../../../src/profiles/standard.profile.js';
import type { Profile } from '../../../src/profiles/profile.js';
import { ApiError, MemoryTokenStore, OAuthError, ShouquanClient } from '../src/index.js';

/** A Prometheus counter's value in the server's /metrics text (0 when absent). */
async function counter(base: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const dialects = await testDialects();
const hasGateway = existsSync(
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'gateway', 'gateway.ts'),
);

for (const dialect of dialects) {
  describe(`SDK against the server, standard profile (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let sdkSkew = 0;
    const store = new MemoryTokenStore();
    let sdk: ShouquanClient;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
      sdk = new ShouquanClient({
        baseUrl: s.url,
        appKey: s.client.appKey,
        appSecret: s.client.appSecret,
        redirectUri: s.client.callback,
        tokenStore: store,
        now: () => Date.now() + sdkSkew,
      });
    });
    after(async () => s?.close());

    /** Walk login and consent for an authorize URL made by the SDK, then let the SDK handle the callback. */
    async function connect(key: string, storeIndex = 0) {
      const req = sdk.authorizeUrl();
      const { location } = await authorizeThroughForms(s.url, req.url, {
        username: s.seller.username,
        password: s.seller.password,
        storeId: s.seller.stores[storeIndex]!.storeId,
      });
      return sdk.handleCallback(location, { state: req.state, codeVerifier: req.codeVerifier!, key });
    }

    it('authorizes with PKCE and state, exchanges the code and calls the REST API', async () => {
      const tokens = await connect('seller-a', 1);
      assert.equal(tokens.tokenType, 'bearer');
      assert.equal(tokens.scope, 'seller');
      assert.ok(tokens.refreshToken);
      assert.ok(tokens.expiresAt! > Date.now() + 7000_000);
      assert.deepEqual(await sdk.rest('/api/v1/store', { key: 'seller-a' }), {
        store_id: s.seller.stores[1]!.storeId,
        name: 'Store Two',
      });
      const info = await sdk.introspect(tokens.accessToken);
      assert.equal(info.active, true);
      assert.equal(info.client_id, s.client.appKey);
    });

    it('handles the callback from its path (req.url) and names the seller and store to key the tokens by', async () => {
      const req = sdk.authorizeUrl();
      const { location } = await authorizeThroughForms(s.url, req.url, {
        username: s.seller.username,
        password: s.seller.password,
        storeId: s.seller.stores[1]!.storeId,
      });
      const cb = new URL(location);
      // No key yet: the seller is known only from the answer.
      const tokens = await sdk.handleCallback(`${cb.pathname}${cb.search}`, {
        state: req.state,
        codeVerifier: req.codeVerifier!,
      });
      assert.equal(tokens.sellerId, String(s.seller.sellerId));
      const key = `seller:${tokens.sellerId}`;
      await sdk.tokenStore.set(key, tokens);
      // storeId is the grant's first store; the list has every store of the authorization (earlier consents added
      // theirs).
      const stores = (await sdk.stores(key)).map((x) => String(x.store_id));
      assert.ok(stores.includes(String(s.seller.stores[1]!.storeId)), stores.join());
      assert.ok(stores.includes(tokens.storeId!), `${tokens.storeId} in ${stores.join()}`);
      // refresh() keeps them, under the same key.
      const fresh = await sdk.refresh(key);
      assert.notEqual(fresh.refreshToken, tokens.refreshToken);
      assert.deepEqual([fresh.sellerId, fresh.storeId], [tokens.sellerId, tokens.storeId]);
      assert.deepEqual(await sdk.tokenStore.get(key), fresh);
    });

    it('a wrong PKCE verifier is refused with invalid_grant (the server checks what the SDK sends)', async () => {
      const req = sdk.authorizeUrl();
      const { location } = await authorizeThroughForms(s.url, req.url, {
        username: s.seller.username,
        password: s.seller.password,
      });
      await assert.rejects(
        sdk.handleCallback(location, { state: req.state, codeVerifier: sdk.authorizeUrl().codeVerifier! }),
        (e: unknown) =>
          e instanceof OAuthError && e.error === 'invalid_grant' && e.status === 400 && typeof e.requestId === 'string',
      );
    });

    it('without single-flight, 20 concurrent refreshes no longer storm: the server hands each the same successor (control)', async () => {
      const tokens = await connect('control');
      const creds = { client_id: s.client.appKey, client_secret: s.client.appSecret };
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          postForm(`${s.url}/oauth/token`, {
            grant_type: 'refresh_token',
            refresh_token: tokens.refreshToken!,
            ...creds,
          }),
        ),
      );
      // The server's refresh grace window (docs/adr/0100) makes this safe; single-flight still saves 19 requests.
      assert.deepEqual(
        results.map((r) => r.status),
        Array.from({ length: 20 }, () => 200),
      );
      assert.equal(new Set(results.map((r) => r.json.refresh_token)).size, 1);
    });

    it('20 concurrent callers on an expired token: exactly one refresh at the server, no invalid_grant', async () => {
      await connect('seller-race');
      // Both clocks move past the access token's lifetime (7200 s).
      sdkSkew += 7300_000;
      s.advance(7300_000);
      const refreshesBefore = await counter(s.url, 'shouquan_tokens_issued_total', 'grant_type="refresh_token"');
      const invalidGrantBefore = await counter(s.url, 'shouquan_oauth_errors_total', 'error="invalid_grant"');
      const before = (await store.get('seller-race'))!;
      await assert.rejects(
        sdk.rest('/api/v1/store', { accessToken: before.accessToken }),
        (e: unknown) => e instanceof OAuthError && e.error === 'invalid_token' && e.status === 401,
      );

      // The control's grant survives its 20 refreshes (the grace window), so this consent added a store to it: name
      // one.
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          sdk.rest<{ store_id: number }>('/api/v1/store', {
            key: 'seller-race',
            query: { store_id: s.seller.stores[0]!.storeId },
          }),
        ),
      );
      assert.deepEqual(new Set(answers.map((a) => a.store_id)), new Set([s.seller.stores[0]!.storeId]));
      assert.equal(
        (await counter(s.url, 'shouquan_tokens_issued_total', 'grant_type="refresh_token"')) - refreshesBefore,
        1,
      );
      assert.equal(await counter(s.url, 'shouquan_oauth_errors_total', 'error="invalid_grant"'), invalidGrantBefore);
      const after = (await store.get('seller-race'))!;
      assert.notEqual(after.refreshToken, before.refreshToken, 'rotated');
      assert.notEqual(after.accessToken, before.accessToken);
    });

    it('revoke ends the grant: the API then answers invalid_token, with the request id', async () => {
      const tokens = await connect('seller-revoke');
      await sdk.revoke('seller-revoke');
      assert.equal(await store.get('seller-revoke'), undefined);
      await assert.rejects(sdk.rest('/api/v1/store', { accessToken: tokens.accessToken }), (e: unknown) => {
        assert.ok(e instanceof OAuthError);
        assert.equal(e.error, 'invalid_token');
        assert.equal(e.status, 401);
        assert.match(e.requestId ?? '', /^[0-9a-f-]{36}$/);
        return true;
      });
      // The refresh token died with the grant.
      await store.set('seller-revoke', tokens);
      await assert.rejects(
        sdk.refresh('seller-revoke'),
        (e: unknown) => e instanceof OAuthError && e.error === 'invalid_grant',
      );
    });

    it('surfaces the callback error when the seller declines', async () => {
      const req = sdk.authorizeUrl();
      const { location } = await authorizeThroughForms(s.url, req.url, {
        username: s.seller.username,
        password: s.seller.password,
        decision: 'deny',
      });
      await assert.rejects(
        sdk.handleCallback(location, { state: req.state }),
        (e: unknown) => e instanceof OAuthError && e.error === 'access_denied',
      );
    });

    it(
      'router calls need the gateway: without it the SDK reports the HTTP status clearly',
      { skip: hasGateway && 'the gateway is present (router calls are tested in sdk-gateway.test.ts)' },
      async () => {
        const tokens = (await store.get('seller-a'))!;
        await assert.rejects(
          sdk.call('store.get', {}, { session: tokens.accessToken }),
          (e: unknown) =>
            e instanceof ApiError &&
            e.status === 404 &&
            /shouquan\.store\.get answered HTTP 404 without shouquan_store_get_response/.test(e.message),
        );
      },
    );
  });
}

/**
 * The platform profiles as the seed documents describe them. Uses the server's own profile
 * when its registry has it (after the profiles branch is merged), else this stand-in built
 * from the standard profile with the platform's paths, parameter names, methods and fields.
 */
function platformProfile(name: string): Profile {
  const shipped = builtinProfiles[name];
  if (shipped) return shipped;
  const f = (n: string, from: string, type?: 'number') =>
    ({ name: n, from, ...(type ? { type } : {}) }) as Profile['responses']['code'][number];
  const base: Profile = {
    ...standardProfile,
    name,
    token: { ...standardProfile.token },
    refresh: { ...standardProfile.refresh },
  };
  const legacy = (extra: Profile['responses']['code']): Profile => ({
    ...base,
    paths: { authorize: '/authorize', token: '/token', revoke: '/revoke', introspect: '/introspect' },
    params: { clientId: ['app_key', 'client_id'], clientSecret: ['app_secret', 'client_secret'] },
    token: {
      methods: { authorization_code: ['GET', 'POST'], refresh_token: ['POST'] },
      grantTypes: ['authorization_code', 'refresh_token'],
    },
    responses: {
      code: [
        ...extra,
        f('access_token', 'access_token'),
        f('access_expires_in', 'expires_in', 'number'),
        f('refresh_token', 'refresh_token'),
        f('refresh_expires_in', 'refresh_expires_in', 'number'),
      ],
      refresh: [
        ...extra,
        f('access_token', 'access_token'),
        f('access_expires_in', 'expires_in', 'number'),
        f('refresh_token', 'refresh_token'),
        f('refresh_expires_in', 'refresh_expires_in', 'number'),
      ],
      errorExtras: [],
    },
  });
  switch (name) {
    case 'perfee':
      return {
        ...base,
        paths: {
          authorize: '/v2/oauth/authorize',
          token: '/v2/oauth/token',
          revoke: '/v2/oauth/revoke',
          introspect: '/v2/oauth/introspect',
        },
        authorize: { ...base.authorize, required: ['client_id', 'redirect_uri', 'state', 'scope', 'response_type'] },
        refresh: { rotate: false },
        responses: {
          code: [
            f('token_type', 'token_type'),
            f('access_token', 'access_token'),
            f('expires_in', 'expires_in', 'number'),
            f('refresh_token', 'refresh_token'),
            f('refresh_token_expires_in', 'refresh_expires_in', 'number'),
          ],
          refresh: [
            f('token_type', 'token_type'),
            f('access_token', 'access_token'),
            f('expires_in', 'expires_in', 'number'),
          ],
          errorExtras: [],
        },
      };
    case 'meilishuo':
    case 'mogujie':
      return legacy([{ name: 'statusCode', value: '0000000' }]);
    case 'realshark':
      return legacy([]);
    case 'smallec':
      return {
        ...base,
        authorize: {
          ...base.authorize,
          required: ['client_id', 'response_type', 'redirect_uri'],
          views: ['web', 'tmall', 'wap'],
        },
        token: { methods: { authorization_code: ['POST'] }, grantTypes: ['authorization_code'] },
        refresh: { rotate: true, issueWithoutRefreshGrant: true },
        responses: {
          code: [
            f('token_type', 'token_type'),
            f('expires_in', 'expires_in', 'number'),
            f('access_token', 'access_token'),
            f('refresh_token', 'refresh_token'),
            f('re_expires_in', 'refresh_expires_in', 'number'),
            f('psdm_user_id', 'seller_id', 'number'),
          ],
          refresh: [],
          errorExtras: [],
        },
      };
    default:
      throw new Error(`no stand-in for profile ${name}`);
  }
}

for (const name of ['perfee', 'meilishuo', 'mogujie', 'realshark', 'smallec']) {
  describe(`SDK against the server, ${name} profile (SQLite)`, () => {
    let s: TestServer;
    let sdk: ShouquanClient;
    before(async () => {
      s = await startTestServer({ profile: platformProfile(name) });
      sdk = new ShouquanClient({
        baseUrl: s.url,
        appKey: s.client.appKey,
        appSecret: s.client.appSecret,
        redirectUri: s.client.callback,
        profile: name,
      });
    });
    after(async () => s?.close());

    it('authorizes, exchanges the code in the platform dialect and calls the API', async () => {
      const req = sdk.authorizeUrl({ ...(name === 'smallec' ? { extra: { view: 'web' } } : {}) });
      const { location } = await authorizeThroughForms(s.url, req.url, {
        username: s.seller.username,
        password: s.seller.password,
      });
      const t = await sdk.handleCallback(location, { state: req.state, key: 'k' });
      assert.ok(t.accessToken && t.refreshToken);
      assert.ok(t.expiresAt! > Date.now(), 'the access lifetime was read from the dialect field');
      assert.ok(
        t.refreshExpiresAt! >= t.expiresAt! && t.refreshExpiresAt! > Date.now(),
        'the refresh lifetime was read from the dialect field',
      );
      if (name === 'smallec') assert.equal(t.sellerId, String(s.seller.sellerId));
      assert.deepEqual(await sdk.rest('/api/v1/store', { key: 'k' }), {
        store_id: s.seller.stores[0]!.storeId,
        name: 'Store One',
      });
    });

    if (name !== 'smallec') {
      it('refreshes at the platform token endpoint', async () => {
        const before = (await sdk.tokenStore.get('k'))!;
        const t = await sdk.refresh('k');
        assert.notEqual(t.accessToken, before.accessToken);
        assert.ok(t.refreshToken);
        assert.deepEqual(await sdk.rest('/api/v1/store', { key: 'k' }), {
          store_id: s.seller.stores[0]!.storeId,
          name: 'Store One',
        });
      });
    }
  });
}
