// Replays seeds/perfee-openapi-v2.md ("PerFee OpenAPI v2") against `--profile perfee`, with our host
// in place of https://openapi-dev.perfee.com. The doc's own app (client_id_example /
// client_secret_example, callback http://www.oauth.net) is registered as written.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authorizeThroughForms } from '../helpers/browserless.js';
import { testDialects } from '../helpers/databases.js';
import {
  assertMetadata,
  assertShape,
  curlData,
  expectedMetadata,
  fetchJson,
  HEX32,
  registerDocApp,
  sharedProfileBehaviour,
  storeOf,
} from './profile-test-kit.js';

const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`perfee profile replays its doc (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ profile: 'perfee', db: await dialect.fresh() });
      await registerDocApp(s, {
        appKey: 'client_id_example',
        appSecret: 'client_secret_example',
        callbacks: ['http://www.oauth.net'],
      });
    });
    after(async () => s?.close());

    const login = () => ({ username: s.seller.username, password: s.seller.password });
    // §2 1) 拼接授权url: the doc's example URL, verbatim after the host.
    const DOC_AUTHORIZE =
      '/v2/oauth/authorize?response_type=code&client_id=client_id_example&redirect_uri=http://www.oauth.net&state=1212&scope=seller';

    async function docCode(storeId?: number): Promise<string> {
      const { location } = await authorizeThroughForms(s.url, DOC_AUTHORIZE, { ...login(), storeId });
      const cb = new URL(location);
      assert.equal(cb.origin, 'http://www.oauth.net');
      assert.equal(cb.searchParams.get('state'), '1212', 'state: 传入值与返回值保持一致');
      const code = cb.searchParams.get('code')!;
      assert.match(code, HEX32, 'the doc example code 6e0e89bed6987e9e2b540b42e91f5e77 is 32 hex');
      return code;
    }

    it('code flow: the seller picks the store; the curl code exchange answers the documented fields', async () => {
      const code = await docCode(s.seller.stores[1]!.storeId);
      // §2 4) code换取access_token示例 (curl -i -d … -d … https://…/v2/oauth/token)
      const res = await curlData(`${s.url}/v2/oauth/token`, [
        `code=${code}`,
        'grant_type=authorization_code',
        'client_id=client_id_example&client_secret=client_secret_example',
        'redirect_uri=http://www.oauth.net',
      ]);
      assert.equal(res.status, 200, res.text);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assertShape(res.json, [
        ['token_type', 'string'],
        ['access_token', 'string'],
        ['expires_in', 'number'],
        ['refresh_token', 'string'],
        ['refresh_token_expires_in', 'number'],
      ]);
      assert.equal(res.json.token_type, 'bearer');
      assert.equal(res.json.expires_in, 7200);
      assert.equal(res.json.refresh_token_expires_in, 31104000);
      assert.match(res.json.access_token, HEX32);
      assert.match(res.json.refresh_token, HEX32);
      assert.deepEqual(await storeOf(s, res.json.access_token), {
        status: 200,
        body: { store_id: s.seller.stores[1]!.storeId, name: 'Store Two' },
      });
    });

    it('refresh: the documented answer, and the refresh token stays valid (no rotation)', async () => {
      const code = await docCode();
      const first = await curlData(`${s.url}/v2/oauth/token`, [
        `code=${code}`,
        'grant_type=authorization_code',
        'client_id=client_id_example&client_secret=client_secret_example',
        'redirect_uri=http://www.oauth.net',
      ]);
      const refreshToken = first.json.refresh_token as string;

      // The doc's refresh example sends client_secret=client_id_example (a typo in the doc):
      // replayed as written it is refused, as any wrong secret must be.
      const asWritten = await curlData(`${s.url}/v2/oauth/token`, [
        'grant_type=refresh_token',
        'client_id=client_id_example&client_secret=client_id_example',
        'redirect_uri=http://www.oauth.net',
        `refresh_token=${refreshToken}`,
      ]);
      assert.equal(asWritten.status, 401);
      assert.deepEqual(asWritten.json, { error: 'invalid_client', error_description: 'client authentication failed' });

      for (let round = 0; round < 2; round++) {
        const res = await curlData(`${s.url}/v2/oauth/token`, [
          'grant_type=refresh_token',
          'client_id=client_id_example&client_secret=client_secret_example',
          'redirect_uri=http://www.oauth.net',
          `refresh_token=${refreshToken}`,
        ]);
        assert.equal(res.status, 200, res.text);
        assertShape(res.json, [
          ['token_type', 'string'],
          ['access_token', 'string'],
          ['expires_in', 'number'],
        ]);
        assert.equal(res.json.token_type, 'bearer');
        assert.equal(res.json.expires_in, 7200);
        assert.match(res.json.access_token, HEX32);
        assert.notEqual(res.json.access_token, first.json.access_token);
        assert.equal((await storeOf(s, res.json.access_token)).status, 200);
      }
    });

    it('requires every documented authorize parameter (client_id, redirect_uri, state, scope, response_type)', async () => {
      const cases: Array<[string, string]> = [
        [
          'state',
          '/v2/oauth/authorize?response_type=code&client_id=client_id_example&redirect_uri=http://www.oauth.net&scope=seller',
        ],
        [
          'scope',
          '/v2/oauth/authorize?response_type=code&client_id=client_id_example&redirect_uri=http://www.oauth.net&state=1212',
        ],
        [
          'response_type',
          '/v2/oauth/authorize?client_id=client_id_example&redirect_uri=http://www.oauth.net&state=1212&scope=seller',
        ],
      ];
      for (const [missing, url] of cases) {
        const res = await fetch(`${s.url}${url}`, { redirect: 'manual' });
        assert.equal(res.status, 303, missing);
        const cb = new URL(res.headers.get('location')!);
        assert.equal(cb.searchParams.get('error'), 'invalid_request', missing);
        assert.equal(cb.searchParams.get('error_description'), `missing ${missing}`);
      }
      // Without a trusted redirect_uri or client_id nothing is redirected: an error page.
      for (const [missing, url] of [
        ['redirect_uri', '/v2/oauth/authorize?response_type=code&client_id=client_id_example&state=1212&scope=seller'],
        [
          'client_id',
          '/v2/oauth/authorize?response_type=code&redirect_uri=http://www.oauth.net&state=1212&scope=seller',
        ],
      ]) {
        const res = await fetch(`${s.url}${url}`, { redirect: 'manual' });
        assert.equal(res.status, 400, missing);
        assert.match(await res.text(), new RegExp(`missing ${missing}`));
      }
    });

    it('only the authorization code flow: response_type=token is unsupported', async () => {
      const res = await fetch(
        `${s.url}/v2/oauth/authorize?response_type=token&client_id=client_id_example&redirect_uri=http://www.oauth.net&state=1212&scope=seller`,
        { redirect: 'manual' },
      );
      assert.equal(res.status, 303);
      const cb = new URL(res.headers.get('location')!);
      // A profile without the implicit flow answers in the query (RFC 6749 §4.1.2.1), never the fragment.
      assert.equal(cb.hash, '');
      assert.equal(
        cb.search,
        '?error=unsupported_response_type&error_description=response_type+token+is+not+supported&state=1212&iss=' +
          encodeURIComponent(s.url),
      );
    });

    it("redirect_uri must be on the registered callback's domain (host)", async () => {
      const ok = await authorizeThroughForms(
        s.url,
        '/v2/oauth/authorize?response_type=code&client_id=client_id_example&redirect_uri=http://www.oauth.net/2/&state=1&scope=seller',
        login(),
      );
      assert.equal(new URL(ok.location).pathname, '/2/');
      const code = new URL(ok.location).searchParams.get('code')!;
      // The code is bound to the exact redirect_uri string presented.
      const wrong = await curlData(`${s.url}/v2/oauth/token`, [
        `code=${code}`,
        'grant_type=authorization_code',
        'client_id=client_id_example&client_secret=client_secret_example',
        'redirect_uri=http://www.oauth.net',
      ]);
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.json, {
        error: 'invalid_grant',
        error_description: 'the authorization code is invalid or expired',
      });
      for (const other of [
        'http://api.oauth.net/',
        'http://www.oauth.net.evil.cn/',
        'https://www.oauth.net/',
        'http://evil.cn@www.oauth.net/',
      ]) {
        const res = await fetch(
          `${s.url}/v2/oauth/authorize?response_type=code&client_id=client_id_example&redirect_uri=${encodeURIComponent(other)}&state=1&scope=seller`,
          { redirect: 'manual' },
        );
        assert.equal(res.status, 400, other);
        assert.match(await res.text(), /redirect_uri does not match the callback registered for this app/);
      }
    });

    it('the code is short-lived (5 minutes) and single-use', async () => {
      const code = await docCode();
      s.advance(300_001);
      const late = await curlData(`${s.url}/v2/oauth/token`, [
        `code=${code}`,
        'grant_type=authorization_code',
        'client_id=client_id_example&client_secret=client_secret_example',
        'redirect_uri=http://www.oauth.net',
      ]);
      assert.equal(late.status, 400);
      assert.deepEqual(late.json, {
        error: 'invalid_grant',
        error_description: 'the authorization code is invalid or expired',
      });
    });

    it('accepts the app_key spelling too, and answers in its own field names', async () => {
      const { location } = await authorizeThroughForms(
        s.url,
        '/v2/oauth/authorize?response_type=code&app_key=client_id_example&redirect_uri=http://www.oauth.net&state=1212&scope=seller',
        login(),
      );
      const code = new URL(location).searchParams.get('code')!;
      const res = await curlData(`${s.url}/v2/oauth/token`, [
        `code=${code}`,
        'grant_type=authorization_code',
        'app_key=client_id_example&app_secret=client_secret_example',
        'redirect_uri=http://www.oauth.net',
      ]);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), [
        'token_type',
        'access_token',
        'expires_in',
        'refresh_token',
        'refresh_token_expires_in',
      ]);
    });

    it('refuses the code exchange by GET (the doc says POST)', async () => {
      const res = await fetchJson(
        `${s.url}/v2/oauth/token?grant_type=authorization_code&code=x&client_id=client_id_example&client_secret=client_secret_example`,
      );
      assert.equal(res.status, 400);
      assert.equal(res.json.error, 'invalid_request');
      assert.equal(res.json.error_description, 'the token endpoint accepts only POST');
    });

    it('metadata describes the /v2/oauth endpoints', async () => {
      await assertMetadata(
        s,
        expectedMetadata(s.url, {
          authorize: '/v2/oauth/authorize',
          token: '/v2/oauth/token',
          revoke: '/v2/oauth/revoke',
          introspect: '/v2/oauth/introspect',
          responseTypes: ['code'],
          grantTypes: ['authorization_code', 'refresh_token'],
        }),
      );
    });

    sharedProfileBehaviour({
      server: () => s,
      app: () => ({
        appKey: 'client_id_example',
        appSecret: 'client_secret_example',
        redirectUri: 'http://www.oauth.net',
      }),
      authorizeUrl: (extra = {}) =>
        `/v2/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'client_id_example', redirect_uri: 'http://www.oauth.net', state: '1212', scope: 'seller', ...extra })}`,
    });
  });
}
