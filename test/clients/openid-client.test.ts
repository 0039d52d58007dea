// Issue 19 §4: a stock OAuth client library, as shipped (openid-client v6, devDependency), against
// a real server: discovery (RFC 8414), authorization code + PKCE, a protected resource, refresh
// (with rotation and the grace window's same successor), introspection and revocation. On the
// standard profile through discovery; on the perfee seed profile (bearer tokens, RFC 6749 field
// names) configured by hand from its documents' endpoints, as an ISV would.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authorizeThroughForms } from '../helpers/browserless.js';
import { testDialects } from '../helpers/databases.js';

for (const dialect of await testDialects()) {
  describe(`openid-client v6 on the standard profile (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let config: client.Configuration;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
    });
    after(async () => s?.close());

    it('discovers the server (RFC 8414 metadata, http allowed for 127.0.0.1 only in this test)', async () => {
      config = await client.discovery(new URL(s.url), s.client.appKey, s.client.appSecret, undefined, {
        algorithm: 'oauth2',
        execute: [client.allowInsecureRequests],
      });
      const meta = config.serverMetadata();
      assert.equal(meta.issuer, s.url);
      assert.equal(meta.token_endpoint, `${s.url}/oauth/token`);
      assert.equal(meta.introspection_endpoint, `${s.url}/oauth/introspect`);
      assert.equal(meta.revocation_endpoint, `${s.url}/oauth/revoke`);
      assert.equal(meta.supportsPKCE(), true);
    });

    it('code + PKCE → resource → refresh (same successor on a retry) → introspection → revocation', async () => {
      assert.ok(config, 'discovery ran first');
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: s.client.callback,
        scope: 'store.read orders.read',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const { location } = await authorizeThroughForms(s.url, url.href, {
        username: s.seller.username,
        password: s.seller.password,
        storeIds: [s.seller.stores[0]!.storeId],
        scopes: ['store.read', 'orders.read'],
      });
      // openid-client checks state and iss (RFC 9207) and sends the verifier.
      const tokens = await client.authorizationCodeGrant(config, new URL(location), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.expires_in, 7200);
      // expiresIn() counts down from when the answer arrived (whole seconds): 7199 once a second boundary passed
      // between the two (seen under load), never more than the 7200 the server said.
      assert.ok([7199, 7200].includes(tokens.expiresIn()!), String(tokens.expiresIn()));
      assert.equal(tokens.scope, 'store.read orders.read');
      assert.equal(tokens.store_id, s.seller.stores[0]!.storeId);

      const store = await client.fetchProtectedResource(
        config,
        tokens.access_token,
        new URL(`${s.url}/api/v1/store`),
        'GET',
      );
      assert.equal(store.status, 200);
      assert.deepEqual(await store.json(), { store_id: s.seller.stores[0]!.storeId, name: 'Store One' });

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      assert.notEqual(refreshed.access_token, tokens.access_token);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'rotated');
      // A retry with the same refresh token (a lost answer) gets that very successor (ADR 0100).
      const retried = await client.refreshTokenGrant(config, tokens.refresh_token!);
      assert.deepEqual(
        [retried.access_token, retried.refresh_token],
        [refreshed.access_token, refreshed.refresh_token],
      );

      const active = await client.tokenIntrospection(config, refreshed.access_token);
      assert.equal(active.active, true);
      assert.equal(active.client_id, s.client.appKey);
      assert.equal(active.scope, 'store.read orders.read');
      assert.equal(active.token_type, 'bearer');

      await client.tokenRevocation(config, refreshed.refresh_token!);
      assert.equal(
        (await client.tokenIntrospection(config, refreshed.access_token)).active,
        false,
        'revoking the refresh token ends the grant',
      );
      await assert.rejects(
        client.refreshTokenGrant(config, refreshed.refresh_token!),
        (e: client.ResponseBodyError) => {
          assert.equal(e.error, 'invalid_grant');
          assert.equal(e.status, 400);
          return true;
        },
      );
    });

    it('an error answer is one openid-client parses (RFC 6749 §5.2): a wrong code', async () => {
      const wrong = new URL(`${s.client.callback}?code=nope&state=x&iss=${encodeURIComponent(s.url)}`);
      await assert.rejects(
        client.authorizationCodeGrant(config, wrong, { expectedState: 'x' }),
        (e: client.ResponseBodyError) => {
          assert.equal(e.error, 'invalid_grant');
          assert.equal(e.error_description, 'the authorization code is invalid or expired');
          return true;
        },
      );
    });
  });

  describe(`openid-client v6 on the perfee seed profile (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let config: client.Configuration;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh(), profile: 'perfee' });
      // No discovery document in the platform's documents: the endpoints they name.
      config = new client.Configuration(
        {
          issuer: s.url,
          authorization_endpoint: `${s.url}/v2/oauth/authorize`,
          token_endpoint: `${s.url}/v2/oauth/token`,
          introspection_endpoint: `${s.url}/v2/oauth/introspect`,
          revocation_endpoint: `${s.url}/v2/oauth/revoke`,
        },
        s.client.appKey,
        s.client.appSecret,
      );
      client.allowInsecureRequests(config);
    });
    after(async () => s?.close());

    it('code + PKCE, refresh without rotation, introspection and revocation', async () => {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: s.client.callback,
        scope: 'seller',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const { location } = await authorizeThroughForms(s.url, url.href, {
        username: s.seller.username,
        password: s.seller.password,
        storeId: s.seller.stores[1]!.storeId,
      });
      const tokens = await client.authorizationCodeGrant(config, new URL(location), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.expires_in, 7200);
      assert.equal(tokens.refresh_token_expires_in, 31104000, 'the platform field, kept');
      assert.match(tokens.access_token, /^[0-9a-f]{32}$/);

      // PerFee does not rotate: the refresh answer has no new refresh token, the old one keeps working.
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      assert.equal(refreshed.refresh_token, undefined);
      assert.equal(refreshed.expires_in, 7200);
      const again = await client.refreshTokenGrant(config, tokens.refresh_token!);
      assert.notEqual(again.access_token, refreshed.access_token);

      assert.equal((await client.tokenIntrospection(config, again.access_token)).active, true);
      await client.tokenRevocation(config, again.access_token);
      assert.equal((await client.tokenIntrospection(config, again.access_token)).active, false);
      assert.equal(
        (await client.tokenIntrospection(config, refreshed.access_token)).active,
        true,
        'revoking one access token ends only that token',
      );
    });
  });
}
