// Replays seeds/realshark-oauth.txt (锐鲨 授权说明) against `--profile realshark`, with our host in
// place of https://oauth.realshark.com. The doc's client-side example (app_key=12304977, no
// redirect_uri, returned to http://requiretoken.xxx.com/oauthCallBack/) is registered as written.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authorizeThroughForms } from '../helpers/browserless.js';
import { testDialects } from '../helpers/databases.js';
import {
  assertMetadata,
  assertShape,
  expectedMetadata,
  fetchJson,
  HEX32,
  registerDocApp,
  sharedProfileBehaviour,
  storeOf,
} from './profile-test-kit.js';

const APP_KEY = '12304977';
const CALLBACK = 'http://requiretoken.xxx.com/oauthCallBack/';
const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`realshark profile replays its doc (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let secret: string;
    before(async () => {
      s = await startTestServer({ profile: 'realshark', db: await dialect.fresh() });
      secret = (await registerDocApp(s, { appKey: APP_KEY, callbacks: [CALLBACK] })).appSecret;
    });
    after(async () => s?.close());

    const login = () => ({ username: s.seller.username, password: s.seller.password });
    const enc = encodeURIComponent;
    // 三 1.(1) 获取授权码链接, placeholders filled in.
    const codeUrl = (state = 'YOUR_CUSTOM_CODE', redirect = CALLBACK) =>
      `/authorize?response_type=code&app_key=${APP_KEY}&redirect_uri=${enc(redirect)}&state=${state}`;
    // 三 1.(2) 获取访问令牌 (请求方法:GET), placeholders filled in.
    const tokenQuery = (code: string) =>
      `code=${code}&grant_type=authorization_code&app_key=${APP_KEY}&app_secret=${secret}&redirect_uri=${enc(CALLBACK)}&state=YOUR_CUSTOM_CODE`;

    async function getCode(storeId?: number): Promise<string> {
      const { location } = await authorizeThroughForms(s.url, codeUrl(), { ...login(), storeId });
      const cb = new URL(location);
      assert.equal(`${cb.origin}${cb.pathname}`, CALLBACK);
      assert.equal(cb.searchParams.get('state'), 'YOUR_CUSTOM_CODE');
      const code = cb.searchParams.get('code')!;
      assert.match(code, HEX32);
      return code;
    }

    const assertAnswer = (body: Record<string, unknown>) => {
      // 返回说明: access_token, access_expires_in, refresh_token, refresh_expires_in, userid
      assertShape(body, [
        ['access_token', 'string'],
        ['access_expires_in', 'number'],
        ['refresh_token', 'string'],
        ['refresh_expires_in', 'number'],
        ['userid', 'number'],
      ]);
      assert.match(body.access_token as string, HEX32);
      assert.match(body.refresh_token as string, HEX32);
      assert.equal(body.access_expires_in, 7 * 24 * 3600);
      assert.equal(body.refresh_expires_in, 14 * 24 * 3600);
      assert.equal(body.userid, s.seller.sellerId, '授权用户的User ID');
    };

    it('server-side flow: code, then GET /token with the documented query', async () => {
      const code = await getCode(s.seller.stores[0]!.storeId);
      const res = await fetchJson(`${s.url}/token?${tokenQuery(code)}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assertAnswer(res.json);
      assert.deepEqual(await storeOf(s, res.json.access_token), {
        status: 200,
        body: { store_id: s.seller.stores[0]!.storeId, name: 'Store One' },
      });
    });

    it('"(2) … 通过Http POST方式换取Token": the same query POSTed works too', async () => {
      const res = await fetchJson(`${s.url}/token?${tokenQuery(await getCode())}`, { method: 'POST' });
      assert.equal(res.status, 200, res.text);
      assertAnswer(res.json);
    });

    it('注意: code会在10分钟内过期', async () => {
      const code = await getCode();
      s.advance(540_000);
      assert.equal((await fetchJson(`${s.url}/token?${tokenQuery(code)}`)).status, 200, 'still valid after 9 minutes');
      const late = await getCode();
      s.advance(600_001);
      const res = await fetchJson(`${s.url}/token?${tokenQuery(late)}`);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, {
        error: 'invalid_grant',
        error_description: 'the authorization code is invalid or expired',
      });
    });

    it('五 刷新Token by POST: new tokens, the old refresh token is dead once the new one is used', async () => {
      const first = await fetchJson(`${s.url}/token?${tokenQuery(await getCode())}`);
      const form = (rt: string) =>
        `app_key=${APP_KEY}&app_secret=${secret}&grant_type=refresh_token&refresh_token=${rt}&state=YOUR_CUSTOM_CODE`;
      const post = (body: string) =>
        fetchJson(`${s.url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
      const refreshed = await post(form(first.json.refresh_token));
      assert.equal(refreshed.status, 200, refreshed.text);
      assertAnswer(refreshed.json);
      assert.notEqual(refreshed.json.refresh_token, first.json.refresh_token);
      // A retry within the grace window (docs/adr/0100): the same tokens; after the new refresh token is used: dead.
      const retry = await post(form(first.json.refresh_token));
      assert.deepEqual(
        [retry.json.access_token, retry.json.refresh_token, retry.json.userid],
        [refreshed.json.access_token, refreshed.json.refresh_token, refreshed.json.userid],
      );
      assert.equal((await post(form(refreshed.json.refresh_token))).status, 200);
      const reuse = await post(form(first.json.refresh_token));
      assert.equal(reuse.status, 400);
      assert.deepEqual(reuse.json, {
        error: 'invalid_grant',
        error_description: 'the refresh token is invalid, expired or revoked',
      });
    });

    it('四 Client-side flow: the doc URL without redirect_uri returns to the callback with #access_token', async () => {
      // https://oauth.realshark.com/authorize?response_type=token&app_key=12304977&state=1212
      const { location } = await authorizeThroughForms(
        s.url,
        `/authorize?response_type=token&app_key=${APP_KEY}&state=1212`,
        login(),
      );
      // 最终返回的地址格式为: http://requiretoken.xxx.com/oauthCallBack/#access_token=6a42dbd2ef9cf3489a4913039838e12b
      assert.ok(location.startsWith('http://requiretoken.xxx.com/oauthCallBack/#access_token='), location);
      const fragment = new URLSearchParams(new URL(location).hash.slice(1));
      assert.match(fragment.get('access_token')!, HEX32);
      assert.equal(fragment.get('refresh_token'), null, 'no refresh token in the client-side flow');
      assert.equal(fragment.get('state'), '1212');
      assert.equal((await storeOf(s, fragment.get('access_token')!)).status, 200);
    });

    it('redirect_uri: required for the server-side flow; same top-level domain as the callback', async () => {
      const missing = await fetch(`${s.url}/authorize?response_type=code&app_key=${APP_KEY}&state=1`, {
        redirect: 'manual',
      });
      assert.equal(missing.status, 400);
      assert.match(await missing.text(), /missing redirect_uri/);
      const { location } = await authorizeThroughForms(s.url, codeUrl('d', 'http://isv.xxx.com/back'), login());
      assert.ok(location.startsWith('http://isv.xxx.com/back?code='), location);
      const bad = await fetch(`${s.url}${codeUrl('d', 'http://xxx.com.evil.cn/back')}`, { redirect: 'manual' });
      assert.equal(bad.status, 400);
    });

    it('metadata describes /authorize and /token and the client-side flow', async () => {
      await assertMetadata(
        s,
        expectedMetadata(s.url, {
          authorize: '/authorize',
          token: '/token',
          revoke: '/revoke',
          introspect: '/introspect',
          responseTypes: ['code', 'token'],
          grantTypes: ['authorization_code', 'refresh_token', 'implicit'],
        }),
      );
    });

    sharedProfileBehaviour({
      server: () => s,
      app: () => ({ appKey: APP_KEY, appSecret: secret, redirectUri: CALLBACK }),
      authorizeUrl: (extra = {}) =>
        `/authorize?${new URLSearchParams({ response_type: 'code', app_key: APP_KEY, redirect_uri: CALLBACK, state: 'YOUR_CUSTOM_CODE', ...extra })}`,
    });
  });
}
