import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';

/**
 * A strict third-party client (oauth4webapi, which checks RFC 8414, RFC 6749, RFC 7636, RFC 9207,
 * RFC 7662 and RFC 7009 responses to the letter) against a real server:
 * discovery → PKCE code flow → protected resource → refresh → introspect → revoke.
 * Only the seller's browser part goes through the browserless form walker.
 */
const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`oauth4webapi client (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let as: oauth.AuthorizationServer;
    let client: oauth.Client;
    // oauth4webapi refuses http:// by default; the test server listens on 127.0.0.1 only.
    const insecure = { [oauth.allowInsecureRequests]: true } as const;

    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
      client = { client_id: s.client.appKey };
    });
    after(async () => s?.close());

    it('discovers the server metadata (RFC 8414)', async () => {
      const issuer = new URL(s.url);
      const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
      as = await oauth.processDiscoveryResponse(issuer, res);
      assert.equal(as.issuer, s.url);
      assert.equal(as.authorization_endpoint, `${s.url}/oauth/authorize`);
      assert.equal(as.token_endpoint, `${s.url}/oauth/token`);
      assert.equal(as.introspection_endpoint, `${s.url}/oauth/introspect`);
      assert.equal(as.revocation_endpoint, `${s.url}/oauth/revoke`);
      assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
      assert.equal(as.authorization_response_iss_parameter_supported, true);
    });

    it('completes PKCE code flow, refresh, introspection and revocation', async () => {
      assert.ok(as, 'discovery ran first');
      const codeVerifier = oauth.generateRandomCodeVerifier();
      const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
      const state = oauth.generateRandomState();

      const authorizationUrl = new URL(as.authorization_endpoint!);
      authorizationUrl.search = new URLSearchParams({
        client_id: client.client_id,
        redirect_uri: s.client.callback,
        response_type: 'code',
        scope: 'seller',
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }).toString();

      const secondStore = s.seller.stores[1]!;
      const { location } = await authorizeThroughForms(s.url, authorizationUrl.href, {
        username: s.seller.username,
        password: s.seller.password,
        storeId: secondStore.storeId,
      });

      // RFC 9207: the iss parameter must match; the state must match.
      const callbackParameters = oauth.validateAuthResponse(as, client, new URL(location), state);
      assert.equal(callbackParameters.get('iss'), s.url);

      // Token request with client_secret_basic and the PKCE verifier.
      const basic = oauth.ClientSecretBasic(s.client.appSecret);
      const codeResponse = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        basic,
        callbackParameters,
        s.client.callback,
        codeVerifier,
        insecure,
      );
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, codeResponse);
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.expires_in, 7200);
      assert.equal(tokens.scope, 'seller');
      assert.equal(typeof tokens.access_token, 'string');
      assert.equal(typeof tokens.refresh_token, 'string');

      // The access token opens the protected resource (RFC 6750 §2.1).
      const store = await oauth.protectedResourceRequest(
        tokens.access_token,
        'GET',
        new URL(`${s.url}/api/v1/store`),
        undefined,
        undefined,
        insecure,
      );
      assert.equal(store.status, 200);
      assert.deepEqual(await store.json(), { store_id: secondStore.storeId, name: 'Store Two' });

      // Refresh (RFC 6749 §6), now with client_secret_post: the refresh token rotates.
      const post = oauth.ClientSecretPost(s.client.appSecret);
      const refreshResponse = await oauth.refreshTokenGrantRequest(as, client, post, tokens.refresh_token!, insecure);
      const refreshed = await oauth.processRefreshTokenResponse(as, client, refreshResponse);
      assert.notEqual(refreshed.access_token, tokens.access_token);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      assert.equal(refreshed.scope, 'seller');

      // Introspection (RFC 7662): the new access token is active and names the seller and store.
      const introspected = await oauth.processIntrospectionResponse(
        as,
        client,
        await oauth.introspectionRequest(as, client, basic, refreshed.access_token, insecure),
      );
      assert.equal(introspected.active, true);
      assert.equal(introspected.client_id, s.client.appKey);
      assert.equal(introspected.scope, 'seller');
      assert.equal(introspected.token_type, 'bearer');
      assert.equal(introspected.sub, String(s.seller.sellerId));
      assert.equal(introspected.iss, s.url);
      assert.equal(introspected.store_id, secondStore.storeId);
      assert.equal(introspected.exp! - introspected.iat!, 7200);

      // The rotated-out refresh token is no longer active.
      const old = await oauth.processIntrospectionResponse(
        as,
        client,
        await oauth.introspectionRequest(as, client, basic, tokens.refresh_token!, insecure),
      );
      assert.deepEqual(old, { active: false });

      // Revocation (RFC 7009) of the refresh token ends the grant, access token included.
      await oauth.processRevocationResponse(
        await oauth.revocationRequest(as, client, post, refreshed.refresh_token!, {
          ...insecure,
          additionalParameters: { token_type_hint: 'refresh_token' },
        }),
      );
      for (const token of [refreshed.refresh_token!, refreshed.access_token]) {
        const after = await oauth.processIntrospectionResponse(
          as,
          client,
          await oauth.introspectionRequest(as, client, basic, token, insecure),
        );
        assert.deepEqual(after, { active: false });
      }
      // A revoked token at the resource: 401 with a Bearer challenge (RFC 6750 §3), which oauth4webapi parses.
      await assert.rejects(
        oauth.protectedResourceRequest(
          refreshed.access_token,
          'GET',
          new URL(`${s.url}/api/v1/store`),
          undefined,
          undefined,
          insecure,
        ),
        (e: unknown) => {
          assert.ok(e instanceof oauth.WWWAuthenticateChallengeError, String(e));
          assert.equal(e.status, 401);
          assert.equal(e.cause[0]?.scheme, 'bearer');
          assert.equal(e.cause[0]?.parameters.realm, 'shouquan');
          assert.equal(e.cause[0]?.parameters.error, 'invalid_token');
          return true;
        },
      );

      // Revoking an unknown token is still a 200 (RFC 7009 §2.2).
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, post, 'not-a-token', insecure));
    });

    it('surfaces RFC 6749 §5.2 errors as ResponseBodyError', async () => {
      assert.ok(as, 'discovery ran first');
      // invalid_client with Basic: 401 and a Basic challenge (RFC 6749 §5.2).
      const wrong = oauth.ClientSecretBasic('not-the-secret');
      const res = await oauth.refreshTokenGrantRequest(as, client, wrong, 'whatever', insecure);
      await assert.rejects(oauth.processRefreshTokenResponse(as, client, res), (e: unknown) => {
        assert.ok(e instanceof oauth.WWWAuthenticateChallengeError, String(e));
        assert.equal(e.status, 401);
        assert.deepEqual(e.cause, [{ scheme: 'basic', parameters: { realm: 'shouquan', charset: 'UTF-8' } }]);
        return true;
      });
      assert.deepEqual(await res.json(), {
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
      const badGrant = await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(s.client.appSecret),
        'no-such-refresh-token',
        insecure,
      );
      await assert.rejects(oauth.processRefreshTokenResponse(as, client, badGrant), (e: unknown) => {
        assert.ok(e instanceof oauth.ResponseBodyError);
        assert.equal(e.status, 400);
        assert.equal(e.error, 'invalid_grant');
        assert.equal(e.error_description, 'the refresh token is invalid, expired or revoked');
        return true;
      });
    });
  });
}
