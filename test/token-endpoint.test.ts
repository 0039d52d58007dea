import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { testDialects } from './helpers/databases.js';
import { authorizeThroughForms, postForm } from './helpers/browserless.js';

const dialects = await testDialects();

for (const dialect of dialects) {
  describe(
    `token, introspection and revocation endpoints (standard profile, ${dialect.name})`,
    { skip: dialect.skip },
    () => {
      let s: TestServer;
      before(async () => {
        s = await startTestServer({ db: await dialect.fresh() });
      });
      after(async () => s?.close());

      const creds = () => ({ client_id: s.client.appKey, client_secret: s.client.appSecret });
      const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
        postForm(`${s.url}/oauth/token`, form, headers);
      async function code(storeIndex = 0): Promise<string> {
        const authorize = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 's' })}`;
        const { location } = await authorizeThroughForms(s.url, authorize, {
          username: s.seller.username,
          password: s.seller.password,
          storeId: s.seller.stores[storeIndex]!.storeId,
        });
        return new URL(location).searchParams.get('code')!;
      }
      async function tokens(storeIndex = 0) {
        const res = await token({
          grant_type: 'authorization_code',
          code: await code(storeIndex),
          redirect_uri: s.client.callback,
          ...creds(),
        });
        assert.equal(res.status, 200, res.text);
        return res.json as { access_token: string; refresh_token: string };
      }

      it('answers invalid_client with 401 and WWW-Authenticate for a wrong secret, unknown client or no credentials', async () => {
        for (const form of <Array<Record<string, string>>>[
          { grant_type: 'authorization_code', code: 'x', client_id: s.client.appKey, client_secret: 'wrong' },
          { grant_type: 'authorization_code', code: 'x', client_id: 'unknown', client_secret: 'wrong' },
          { grant_type: 'authorization_code', code: 'x' },
        ]) {
          const res = await token(form);
          assert.equal(res.status, 401);
          assert.deepEqual(res.json, { error: 'invalid_client', error_description: 'client authentication failed' });
          assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="shouquan"/);
          assert.equal(res.headers.get('cache-control'), 'no-store');
          assert.equal(res.headers.get('pragma'), 'no-cache');
        }
      });

      it('refuses Basic and a body secret together', async () => {
        const basic = `Basic ${Buffer.from(`${s.client.appKey}:${s.client.appSecret}`).toString('base64')}`;
        const res = await token(
          { grant_type: 'authorization_code', code: 'x', client_secret: s.client.appSecret },
          { authorization: basic },
        );
        assert.equal(res.status, 400);
        assert.equal(res.json.error, 'invalid_request');
      });

      it('refuses repeated parameters, unknown grants, missing grant_type and wrong content types', async () => {
        const dup = await fetch(`${s.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=authorization_code&code=a&code=b&client_id=${s.client.appKey}&client_secret=${s.client.appSecret}`,
        });
        assert.equal(dup.status, 400);
        assert.deepEqual(await dup.json(), {
          error: 'invalid_request',
          error_description: 'parameter code is repeated',
        });

        const unknown = await token({ grant_type: 'password', ...creds() });
        assert.deepEqual(
          [unknown.status, unknown.json],
          [400, { error: 'unsupported_grant_type', error_description: 'grant_type password is not supported here' }],
        );
        const missing = await token({ ...creds() });
        assert.deepEqual(
          [missing.status, missing.json],
          [400, { error: 'invalid_request', error_description: 'missing grant_type' }],
        );

        for (const [type, body] of [
          ['application/json', JSON.stringify({ grant_type: 'authorization_code' })],
          [
            'multipart/form-data; boundary=x',
            '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nauthorization_code\r\n--x--\r\n',
          ],
          ['text/plain', 'grant_type=authorization_code'],
        ] as const) {
          const res = await fetch(`${s.url}/oauth/token`, { method: 'POST', headers: { 'content-type': type }, body });
          assert.equal(res.status, 400, type);
          assert.equal((await res.json()).error, 'invalid_request', type);
          assert.equal(res.headers.get('cache-control'), 'no-store');
        }
        const noType = await fetch(`${s.url}/oauth/token`, { method: 'POST', body: new Uint8Array([1, 2, 3]) });
        assert.equal(noType.status, 400);
        const get = await fetch(
          `${s.url}/oauth/token?grant_type=authorization_code&code=x&client_id=${s.client.appKey}&client_secret=${s.client.appSecret}`,
        );
        assert.deepEqual(
          [get.status, await get.json()],
          [400, { error: 'invalid_request', error_description: 'the token endpoint accepts only POST' }],
        );
        const bad = await fetch(`${s.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=%ZZ',
        });
        assert.deepEqual([bad.status, (await bad.json()).error], [400, 'invalid_request']);
        const big = await fetch(`${s.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `x=${'a'.repeat(200_000)}`,
        });
        assert.deepEqual([big.status, (await big.json()).error], [413, 'invalid_request']);
        const inQuery = await postForm(`${s.url}/oauth/token?client_secret=${s.client.appSecret}`, {
          grant_type: 'authorization_code',
          code: 'x',
          client_id: s.client.appKey,
        });
        assert.deepEqual([inQuery.status, inQuery.json.error], [400, 'invalid_request']);
      });

      it('refuses a code presented with a different redirect_uri, by another client, or after expiry', async () => {
        const c1 = await code();
        const wrongUri = await token({
          grant_type: 'authorization_code',
          code: c1,
          redirect_uri: `${s.client.callback}x`,
          ...creds(),
        });
        assert.deepEqual([wrongUri.status, wrongUri.json.error], [400, 'invalid_grant']);

        const c2 = await code();
        const { createApp } = await import('../src/apps/apps.js');
        const other = await createApp(s.core.storage, s.core.secretKey, {
          name: 'Other',
          callbacks: [s.client.callback],
        });
        const stolen = await token({
          grant_type: 'authorization_code',
          code: c2,
          redirect_uri: s.client.callback,
          client_id: other.appKey,
          client_secret: other.appSecret,
        });
        assert.deepEqual([stolen.status, stolen.json.error], [400, 'invalid_grant']);

        const c3 = await code();
        s.advance(601_000);
        try {
          const expired = await token({
            grant_type: 'authorization_code',
            code: c3,
            redirect_uri: s.client.callback,
            ...creds(),
          });
          assert.deepEqual([expired.status, expired.json.error], [400, 'invalid_grant']);
        } finally {
          s.advance(-601_000);
        }
        const guessed = await token({
          grant_type: 'authorization_code',
          code: 'A'.repeat(43),
          redirect_uri: s.client.callback,
          ...creds(),
        });
        assert.deepEqual([guessed.status, guessed.json.error], [400, 'invalid_grant']);
      });

      it('keeps one live authorization per seller and app: a later consent adds its store, earlier tokens keep working', async () => {
        const first = await tokens(0);
        const second = await tokens(1);
        const store = async (t: string, q = '') =>
          fetch(`${s.url}/api/v1/store${q}`, { headers: { authorization: `Bearer ${t}` } });
        assert.equal((await store(first.access_token)).status, 200);
        assert.equal((await store(second.access_token, `?store_id=${s.seller.stores[1]!.storeId}`)).status, 200);
        const live = await s.core.storage.grants.findLive(s.client.appKey, s.seller.sellerId);
        assert.deepEqual(live?.storeIds, [s.seller.stores[0]!.storeId, s.seller.stores[1]!.storeId]);
        const refreshOld = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token, ...creds() });
        assert.equal(refreshOld.status, 200, refreshOld.text);
      });

      it('refuses a wider scope on refresh', async () => {
        const t = await tokens();
        const res = await token({
          grant_type: 'refresh_token',
          refresh_token: t.refresh_token,
          scope: 'seller admin',
          ...creds(),
        });
        assert.deepEqual([res.status, res.json.error], [400, 'invalid_scope']);
      });

      it('introspects its own tokens and nobody else’s', async () => {
        const t = await tokens(1);
        const res = await postForm(`${s.url}/oauth/introspect`, { token: t.access_token, ...creds() });
        assert.equal(res.status, 200);
        const now = Math.floor(Date.now() / 1000);
        assert.equal(res.json.active, true);
        assert.equal(res.json.client_id, s.client.appKey);
        assert.equal(res.json.scope, 'seller');
        assert.equal(res.json.sub, String(s.seller.sellerId));
        // The live grant already had store 0 (earlier tests): this token covers both, store_id is the first.
        assert.deepEqual(res.json.store_ids, [s.seller.stores[0]!.storeId, s.seller.stores[1]!.storeId]);
        assert.equal(res.json.store_id, s.seller.stores[0]!.storeId);
        assert.ok(Math.abs(res.json.exp - (now + 7200)) <= 5);
        assert.ok(Math.abs(res.json.iat - now) <= 5);
        const garbage = await postForm(`${s.url}/oauth/introspect`, { token: 'nope', ...creds() });
        assert.deepEqual(garbage.json, { active: false });
        const unauth = await postForm(`${s.url}/oauth/introspect`, { token: t.access_token });
        assert.equal(unauth.status, 401);
        const { createApp } = await import('../src/apps/apps.js');
        const other = await createApp(s.core.storage, s.core.secretKey, {
          name: 'Other',
          callbacks: [s.client.callback],
        });
        const foreign = await postForm(`${s.url}/oauth/introspect`, {
          token: t.access_token,
          client_id: other.appKey,
          client_secret: other.appSecret,
        });
        assert.deepEqual(foreign.json, { active: false });
      });

      it('revokes an access token, and a refresh token with its whole grant (RFC 7009)', async () => {
        const t = await tokens();
        const r1 = await postForm(`${s.url}/oauth/revoke`, {
          token: t.access_token,
          token_type_hint: 'access_token',
          ...creds(),
        });
        assert.equal(r1.status, 200);
        assert.equal(r1.text, '');
        assert.equal(
          (await fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${t.access_token}` } })).status,
          401,
        );
        const refreshed = await token({ grant_type: 'refresh_token', refresh_token: t.refresh_token, ...creds() });
        assert.equal(refreshed.status, 200, 'revoking an access token leaves the refresh token');
        const r2 = await postForm(`${s.url}/oauth/revoke`, { token: refreshed.json.refresh_token, ...creds() });
        assert.equal(r2.status, 200);
        assert.equal(
          (
            await fetch(`${s.url}/api/v1/store`, {
              headers: { authorization: `Bearer ${refreshed.json.access_token}` },
            })
          ).status,
          401,
        );
        const unknown = await postForm(`${s.url}/oauth/revoke`, { token: 'never-issued', ...creds() });
        assert.equal(unknown.status, 200);
      });

      it('answers the protected resource with 401 and WWW-Authenticate for bad tokens', async () => {
        for (const h of ['Bearer nope', 'Basic abc']) {
          const res = await fetch(`${s.url}/api/v1/store`, { headers: { authorization: h } });
          assert.equal(res.status, 401);
          assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="shouquan", error="invalid_token"/);
          assert.equal((await res.json()).error, 'invalid_token');
        }
        // No credentials at all: a bare challenge (RFC 6750 §3.1), the body still says why.
        const none = await fetch(`${s.url}/api/v1/store`);
        assert.equal(none.status, 401);
        assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="shouquan"');
        assert.deepEqual(await none.json(), {
          error: 'invalid_token',
          error_description: 'an access token is required',
        });
      });

      it('publishes RFC 8414 metadata for its real endpoints', async () => {
        const res = await fetch(`${s.url}/.well-known/oauth-authorization-server`);
        const m = await res.json();
        assert.equal(m.issuer, s.url);
        assert.equal(m.authorization_endpoint, `${s.url}/oauth/authorize`);
        assert.equal(m.token_endpoint, `${s.url}/oauth/token`);
        assert.equal(m.revocation_endpoint, `${s.url}/oauth/revoke`);
        assert.equal(m.introspection_endpoint, `${s.url}/oauth/introspect`);
        assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
        assert.equal(m.authorization_response_iss_parameter_supported, true);
      });
    },
  );
}
