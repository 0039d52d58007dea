// Replays seeds/smallec-oauth.txt (易启管 用户授权介绍) against `--profile smallec`, with our host in
// place of https://auth.smallec.com. The doc's app (client_id 23075594, client_secret
// 69a1469a1469a1469a14a9bf269a14, callback http://www.oauth.net/2/) is registered as written.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authorizeThroughForms, FormClient } from '../helpers/browserless.js';
import { testDialects } from '../helpers/databases.js';
import { formatGmt8, signParams } from '../../src/gateway/sign.js';
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

const CLIENT_ID = '23075594';
const CLIENT_SECRET = '69a1469a1469a1469a14a9bf269a14';
const CALLBACK = 'http://www.oauth.net/2/';
// 1)拼接授权url: the doc's example, verbatim after the host.
const DOC_AUTHORIZE =
  '/oauth/authorize?response_type=code&client_id=23075594&redirect_uri=http://www.oauth.net/2/&state=1212&view=web';
const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`smallec profile replays its doc (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ profile: 'smallec', db: await dialect.fresh() });
      await registerDocApp(s, { appKey: CLIENT_ID, appSecret: CLIENT_SECRET, callbacks: [CALLBACK] });
    });
    after(async () => s?.close());

    const login = () => ({ username: s.seller.username, password: s.seller.password });
    // 4)换取access_token: the doc's curl. As printed it is broken (the closing quote runs into the
    // URL, so curl gets no URL, and "&  client_secret" carries two spaces); we send what it means.
    const exchange = (code: string) =>
      curlData(`${s.url}/oauth/token`, [
        `code=${code}&grant_type=authorization_code&client_id=23075594&client_secret=69a1469a1469a1469a14a9bf269a14&redirect_uri=http://www.oauth.net/2/`,
      ]);

    async function docCode(url = DOC_AUTHORIZE, storeId?: number) {
      const { location } = await authorizeThroughForms(s.url, url, { ...login(), storeId });
      const cb = new URL(location);
      assert.equal(`${cb.origin}${cb.pathname}`, CALLBACK);
      return cb;
    }

    it('server-side flow: the doc URL and curl answer every documented field with its type', async () => {
      const cb = await docCode(DOC_AUTHORIZE, s.seller.stores[1]!.storeId);
      assert.equal(cb.searchParams.get('state'), '1212', '传入值与返回值保持一致');
      const res = await exchange(cb.searchParams.get('code')!);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      // 换取access_token返回值示例, in its order, with the types of its table.
      assertShape(res.json, [
        ['token_type', 'string'],
        ['expires_in', 'number'],
        ['access_token', 'string'],
        ['refresh_token', 'string'],
        ['re_expires_in', 'number'],
        ['psdm_user_id', 'number'],
      ]);
      assert.equal(res.json.token_type, 'Bearer');
      assert.equal(res.json.expires_in, 31536000);
      assert.equal(res.json.re_expires_in, 31536000);
      assert.match(res.json.access_token, HEX32, 'like d86c828583c5c6160e8acfee88ba1590');
      assert.match(res.json.refresh_token, HEX32);
      assert.notEqual(res.json.refresh_token, res.json.access_token);
      assert.equal(res.json.psdm_user_id, s.seller.sellerId, '易启管帐号对应id');
      assert.deepEqual(await storeOf(s, res.json.access_token), {
        status: 200,
        body: { store_id: s.seller.stores[1]!.storeId, name: 'Store Two' },
      });
    });

    it('state and view are optional', async () => {
      const cb = await docCode(
        '/oauth/authorize?response_type=code&client_id=23075594&redirect_uri=http://www.oauth.net/2/',
      );
      assert.equal(cb.searchParams.get('state'), null);
      const res = await exchange(cb.searchParams.get('code')!);
      assert.equal(res.status, 200, res.text);
    });

    it('view: wap gives the phone layout, tmall the themed one, web the default; others are refused', async () => {
      for (const view of ['web', 'tmall', 'wap']) {
        const client = new FormClient(s.url);
        const start = await client.get(
          `/oauth/authorize?response_type=code&client_id=23075594&redirect_uri=http://www.oauth.net/2/&state=1212&view=${view}`,
        );
        assert.equal(start.status, 303);
        const page = await (await client.get(start.headers.get('location')!)).text();
        assert.match(page, new RegExp(`<body class="view-${view}">`), view);
        assert.match(page, /name="password"/);
      }
      const res = await fetch(
        `${s.url}/oauth/authorize?response_type=code&client_id=23075594&redirect_uri=http://www.oauth.net/2/&state=1212&view=ios`,
        { redirect: 'manual' },
      );
      assert.equal(res.status, 303);
      const cb = new URL(res.headers.get('location')!);
      assert.equal(cb.searchParams.get('error'), 'invalid_request');
      assert.equal(cb.searchParams.get('error_description'), 'view must be one of web, tmall, wap');
    });

    it('二 Client-side flow 暂时不支持: response_type=token is unsupported_response_type', async () => {
      const res = await fetch(
        `${s.url}/oauth/authorize?response_type=token&client_id=23075594&redirect_uri=http://www.oauth.net/2/&state=1212`,
        { redirect: 'manual' },
      );
      assert.equal(res.status, 303);
      const location = res.headers.get('location')!;
      // Errors of a flow the profile does not have go in the query (RFC 6749 §4.1.2.1).
      assert.equal(new URL(location).hash, '');
      const fragment = new URL(location).searchParams;
      assert.equal(fragment.get('error'), 'unsupported_response_type');
      assert.equal(fragment.get('error_description'), 'response_type token is not supported');
      assert.equal(fragment.get('state'), '1212');
    });

    it('刷新授权 goes through psdm.auth.token.refresh, not the token endpoint', async () => {
      const cb = await docCode();
      const tokens = await exchange(cb.searchParams.get('code')!);
      const res = await curlData(`${s.url}/oauth/token`, [
        `grant_type=refresh_token&refresh_token=${tokens.json.refresh_token}&client_id=23075594&client_secret=69a1469a1469a1469a14a9bf269a14`,
      ]);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, {
        error: 'unsupported_grant_type',
        error_description:
          'grant_type refresh_token is not supported here: refresh through the API method psdm.auth.token.refresh',
      });
    });

    it('psdm.auth.token.refresh: a signed router call answers the same fields as the code exchange, with rotation', async () => {
      const cb = await docCode();
      const tokens = await exchange(cb.searchParams.get('code')!);
      const call = async (refreshToken: string) => {
        const params: Record<string, string> = {
          method: 'psdm.auth.token.refresh',
          app_key: '23075594',
          timestamp: formatGmt8(Date.now()),
          v: '2.0',
          format: 'json',
          sign_method: 'md5',
          refresh_token: refreshToken,
        };
        params.sign = signParams(params, '69a1469a1469a1469a14a9bf269a14', 'md5');
        return fetchJson(`${s.url}/router/rest`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(params).toString(),
        });
      };
      const res = await call(tokens.json.refresh_token);
      assert.equal(res.status, 200, res.text);
      const body = res.json.psdm_auth_token_refresh_response;
      // The token endpoint's fields, plus the router's request_id (TOP convention).
      assert.deepEqual(Object.keys(body), [
        'token_type',
        'expires_in',
        'access_token',
        'refresh_token',
        're_expires_in',
        'psdm_user_id',
        'request_id',
      ]);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(typeof body.expires_in, 'number');
      assert.match(body.access_token, HEX32);
      assert.match(body.refresh_token, HEX32);
      assert.notEqual(body.refresh_token, tokens.json.refresh_token);
      assert.equal(body.psdm_user_id, tokens.json.psdm_user_id);
      // Within the grace window (docs/adr/0100) a retry answers the very same tokens.
      const retry = (await call(tokens.json.refresh_token)).json.psdm_auth_token_refresh_response;
      assert.deepEqual([retry?.access_token, retry?.refresh_token], [body.access_token, body.refresh_token]);
      // Once the new refresh token is used, the old one is reuse: code 41, the grant ends.
      const next = (await call(body.refresh_token)).json.psdm_auth_token_refresh_response;
      assert.match(next?.access_token ?? '', HEX32);
      const reuse = await call(tokens.json.refresh_token);
      assert.equal(reuse.json.error_response.code, 41);
    });

    it("redirect_uri: required; the callback's domain or its top-level domain", async () => {
      const missing = await fetch(`${s.url}/oauth/authorize?response_type=code&client_id=23075594&state=1`, {
        redirect: 'manual',
      });
      assert.equal(missing.status, 400);
      assert.match(await missing.text(), /missing redirect_uri/);
      for (const ok of ['http://www.oauth.net/other', 'http://api.oauth.net/2/']) {
        const { location } = await authorizeThroughForms(
          s.url,
          `/oauth/authorize?response_type=code&client_id=23075594&redirect_uri=${encodeURIComponent(ok)}`,
          login(),
        );
        assert.ok(location.startsWith(`${ok}?code=`), location);
      }
      for (const bad of [
        'http://oauth.net.evil.cn/2/',
        'https://www.oauth.net/2/',
        'http://www.oauth.net./2/',
        'http://www.oauth.net/2/%2e%2e/x',
      ]) {
        const res = await fetch(
          `${s.url}/oauth/authorize?response_type=code&client_id=23075594&redirect_uri=${encodeURIComponent(bad)}`,
          { redirect: 'manual' },
        );
        assert.equal(res.status, 400, bad);
      }
    });

    it('code lifetime is at most 10 minutes', async () => {
      const cb = await docCode();
      s.advance(600_001);
      const res = await exchange(cb.searchParams.get('code')!);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, {
        error: 'invalid_grant',
        error_description: 'the authorization code is invalid or expired',
      });
    });

    it('metadata describes /oauth/authorize and /oauth/token, code flow only', async () => {
      await assertMetadata(
        s,
        expectedMetadata(s.url, {
          authorize: '/oauth/authorize',
          token: '/oauth/token',
          revoke: '/oauth/revoke',
          introspect: '/oauth/introspect',
          responseTypes: ['code'],
          grantTypes: ['authorization_code'],
        }),
      );
    });

    sharedProfileBehaviour({
      server: () => s,
      app: () => ({ appKey: CLIENT_ID, appSecret: CLIENT_SECRET, redirectUri: CALLBACK }),
      authorizeUrl: (extra = {}) =>
        `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: CALLBACK, state: '1212', view: 'web', ...extra })}`,
    });
  });
}
