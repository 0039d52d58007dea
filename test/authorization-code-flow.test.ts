import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, postForm } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';

const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`authorization code flow (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
    });
    after(async () => s?.close());

    const authorizeUrl = (extra: Record<string, string> = {}) =>
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'st-1', ...extra })}`;

    it('issues a code for the chosen store and swaps it for tokens', async () => {
      const { location } = await authorizeThroughForms(s.url, authorizeUrl(), {
        username: s.seller.username,
        password: s.seller.password,
        storeId: s.seller.stores[1]!.storeId,
      });
      const cb = new URL(location);
      assert.equal(`${cb.origin}${cb.pathname}`, s.client.callback);
      assert.equal(cb.searchParams.get('state'), 'st-1');
      assert.equal(cb.searchParams.get('iss'), s.url);
      const code = cb.searchParams.get('code')!;
      assert.ok(code.length >= 22);

      const res = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Object.keys(res.json), [
        'access_token',
        'token_type',
        'expires_in',
        'refresh_token',
        'scope',
        'seller_id',
        'store_id',
      ]);
      assert.equal(res.json.token_type, 'bearer');
      assert.equal(res.json.expires_in, 7200);
      assert.equal(res.json.scope, 'seller');
      // Issue 19: the seller and the store, to key the ISV's stored tokens by before any API call.
      assert.equal(res.json.seller_id, s.seller.sellerId);
      assert.equal(res.json.store_id, s.seller.stores[1]!.storeId);

      const store = await fetch(`${s.url}/api/v1/store`, {
        headers: { authorization: `Bearer ${res.json.access_token}` },
      });
      assert.equal(store.status, 200);
      assert.deepEqual(await store.json(), { store_id: s.seller.stores[1]!.storeId, name: 'Store Two' });

      // Replay: invalid_grant, and the first exchange's tokens die.
      const replay = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      });
      assert.equal(replay.status, 400);
      assert.deepEqual(replay.json, {
        error: 'invalid_grant',
        error_description: 'the authorization code is invalid or expired',
      });
      const after = await fetch(`${s.url}/api/v1/store`, {
        headers: { authorization: `Bearer ${res.json.access_token}` },
      });
      assert.equal(after.status, 401);
      assert.match(after.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    });

    it('supports PKCE S256 and Basic client authentication', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const { location } = await authorizeThroughForms(
        s.url,
        authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }),
        { username: s.seller.username, password: s.seller.password },
      );
      const code = new URL(location).searchParams.get('code')!;
      const basic = `Basic ${Buffer.from(`${s.client.appKey}:${s.client.appSecret}`).toString('base64')}`;
      const wrong = await postForm(
        `${s.url}/oauth/token`,
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: s.client.callback,
          code_verifier: randomBytes(32).toString('base64url'),
        },
        { authorization: basic },
      );
      assert.equal(wrong.status, 400);
      assert.equal(wrong.json.error, 'invalid_grant');
      // The code is burned by the failed attempt.
      const right = await postForm(
        `${s.url}/oauth/token`,
        { grant_type: 'authorization_code', code, redirect_uri: s.client.callback, code_verifier: verifier },
        { authorization: basic },
      );
      assert.equal(right.status, 400);
      assert.equal(right.json.error, 'invalid_grant');
    });

    it('rotates refresh tokens and revokes the family on reuse', async () => {
      const { location } = await authorizeThroughForms(s.url, authorizeUrl(), {
        username: s.seller.username,
        password: s.seller.password,
      });
      const code = new URL(location).searchParams.get('code')!;
      const creds = { client_id: s.client.appKey, client_secret: s.client.appSecret };
      const first = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: s.client.callback,
        ...creds,
      });
      const r1 = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: first.json.refresh_token,
        ...creds,
      });
      assert.equal(r1.status, 200, r1.text);
      assert.notEqual(r1.json.refresh_token, first.json.refresh_token);
      // Using the successor's refresh token ends the old one's grace window (docs/adr/0100).
      const r2 = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: r1.json.refresh_token,
        ...creds,
      });
      assert.equal(r2.status, 200, r2.text);
      const reuse = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: first.json.refresh_token,
        ...creds,
      });
      assert.equal(reuse.status, 400);
      assert.equal(reuse.json.error, 'invalid_grant');
      const r3 = await postForm(`${s.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: r2.json.refresh_token,
        ...creds,
      });
      assert.equal(r3.status, 400, 'the whole family is revoked');
    });

    it('lets exactly one of many concurrent redemptions of a code succeed', async () => {
      const { location } = await authorizeThroughForms(s.url, authorizeUrl(), {
        username: s.seller.username,
        password: s.seller.password,
      });
      const code = new URL(location).searchParams.get('code')!;
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          postForm(`${s.url}/oauth/token`, {
            grant_type: 'authorization_code',
            code,
            redirect_uri: s.client.callback,
            client_id: s.client.appKey,
            client_secret: s.client.appSecret,
          }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
    });
  });
}
