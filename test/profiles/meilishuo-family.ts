// The meilishuo and mogujie docs (seeds/meilishuo-oauth.txt, seeds/mogujie-oauth.txt) are one
// document with two platform names and hosts (oauth.meilishuo.com, oauth.mogujie.com). This
// module replays it; meilishuo.test.ts and mogujie.test.ts run it against their own profile.
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

/** The doc's client-side example AppKey (`app_key=12304977`). */
const APP_KEY = '12304977';
/** Our stand-in for YOUR_REGISTERED_REDIRECT_URI (the registered callback). */
const CALLBACK = 'https://shop.example.com.cn/callback';

export async function replayMeilishuoFamilyDoc(profile: 'meilishuo' | 'mogujie') {
  const dialects = await testDialects();
  for (const dialect of dialects) {
    describe(`${profile} profile replays its doc (${dialect.name})`, { skip: dialect.skip }, () => {
      let s: TestServer;
      let secret: string;
      before(async () => {
        s = await startTestServer({ profile, db: await dialect.fresh() });
        secret = (await registerDocApp(s, { appKey: APP_KEY, callbacks: [CALLBACK] })).appSecret;
      });
      after(async () => s?.close());

      const login = () => ({ username: s.seller.username, password: s.seller.password });
      const enc = encodeURIComponent;
      // 三 1. 获取授权码链接, placeholders filled in.
      const codeUrl = (state = 'YOUR_CUSTOM_CODE', redirect = CALLBACK) =>
        `/authorize?response_type=code&app_key=${APP_KEY}&redirect_uri=${enc(redirect)}&state=${state}`;
      // 三 2. 获取访问令牌 (请求方法:GET), placeholders filled in; `state` is listed among its parameters.
      const tokenQuery = (code: string, redirect = CALLBACK) =>
        `code=${code}&grant_type=authorization_code&app_key=${APP_KEY}&app_secret=${secret}&redirect_uri=${enc(redirect)}&state=YOUR_CUSTOM_CODE`;

      async function getCode(state = 'YOUR_CUSTOM_CODE', storeId?: number): Promise<string> {
        const { location } = await authorizeThroughForms(s.url, codeUrl(state), { ...login(), storeId });
        const cb = new URL(location);
        assert.equal(`${cb.origin}${cb.pathname}`, CALLBACK);
        assert.equal(cb.searchParams.get('state'), state, '原始的state值');
        const code = cb.searchParams.get('code')!;
        assert.match(code, HEX32);
        return code;
      }

      const assertCodeAnswer = (body: Record<string, unknown>) => {
        // 返回说明: statusCode, access_token, access_expires_in, refresh_token, refresh_expires_in
        assertShape(body, [
          ['statusCode', 'string'],
          ['access_token', 'string'],
          ['access_expires_in', 'number'],
          ['refresh_token', 'string'],
          ['refresh_expires_in', 'number'],
        ]);
        assert.equal(body.statusCode, '0000000', '0000000 - 授权成功');
        assert.equal(body.access_expires_in, 7 * 24 * 3600, 'AccessToken 有效期为7天');
        assert.equal(body.refresh_expires_in, 14 * 24 * 3600, 'RefreshToken 有效期为14天');
        assert.match(body.access_token as string, HEX32);
        assert.match(body.refresh_token as string, HEX32);
      };

      it('server-side flow: code by GET /authorize, token by GET /token with the query as documented', async () => {
        const code = await getCode('YOUR_CUSTOM_CODE', s.seller.stores[1]!.storeId);
        const res = await fetchJson(`${s.url}/token?${tokenQuery(code)}`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assertCodeAnswer(res.json);
        assert.deepEqual(await storeOf(s, res.json.access_token), {
          status: 200,
          body: { store_id: s.seller.stores[1]!.storeId, name: 'Store Two' },
        });
      });

      it('the same exchange by POST: to the URL with the query (no body), or as a form body', async () => {
        const viaQuery = await fetchJson(`${s.url}/token?${tokenQuery(await getCode())}`, { method: 'POST' });
        assert.equal(viaQuery.status, 200, viaQuery.text);
        assertCodeAnswer(viaQuery.json);
        const viaBody = await fetchJson(`${s.url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: tokenQuery(await getCode()),
        });
        assert.equal(viaBody.status, 200, viaBody.text);
        assertCodeAnswer(viaBody.json);
        // A parameter in both the query and the body is refused, never silently picked.
        const both = await fetchJson(`${s.url}/token?app_key=${APP_KEY}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: tokenQuery(await getCode()),
        });
        assert.equal(both.status, 400);
        assert.deepEqual(both.json, {
          error: 'invalid_request',
          error_description: 'parameter app_key is repeated',
          statusCode: '1000400',
        });
      });

      it('Code: valid for 5 minutes, or until used', async () => {
        const code = await getCode();
        s.advance(299_000);
        const inTime = await fetchJson(`${s.url}/token?${tokenQuery(code)}`);
        assert.equal(inTime.status, 200, inTime.text);
        const again = await fetchJson(`${s.url}/token?${tokenQuery(code)}`);
        assert.equal(again.status, 400);
        assert.deepEqual(again.json, {
          error: 'invalid_grant',
          error_description: 'the authorization code is invalid or expired',
          statusCode: '1000402',
        });
        assert.equal(
          (await storeOf(s, inTime.json.access_token)).status,
          401,
          'a replayed code revokes what it issued',
        );

        const late = await getCode();
        s.advance(300_001);
        const expired = await fetchJson(`${s.url}/token?${tokenQuery(late)}`);
        assert.equal(expired.status, 400);
        assert.deepEqual(expired.json, {
          error: 'invalid_grant',
          error_description: 'the authorization code is invalid or expired',
          statusCode: '1000402',
        });
      });

      it('五 刷新Token: POST /token gives a new access and refresh token; the old refresh token is dead once the new one is used', async () => {
        const first = await fetchJson(`${s.url}/token?${tokenQuery(await getCode())}`);
        const form = (refreshToken: string) =>
          `app_key=${APP_KEY}&app_secret=${secret}&grant_type=refresh_token&refresh_token=${refreshToken}&state=YOUR_CUSTOM_CODE`;
        const refreshed = await fetchJson(`${s.url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form(first.json.refresh_token),
        });
        assert.equal(refreshed.status, 200, refreshed.text);
        assertCodeAnswer(refreshed.json);
        assert.notEqual(refreshed.json.access_token, first.json.access_token);
        assert.notEqual(refreshed.json.refresh_token, first.json.refresh_token);
        assert.equal((await storeOf(s, refreshed.json.access_token)).status, 200);

        // A retry within the grace window (60 s, docs/adr/0100) gets the very same tokens, lifetimes counting down.
        const retry = await fetchJson(`${s.url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form(first.json.refresh_token),
        });
        assert.equal(retry.status, 200, retry.text);
        assert.deepEqual(
          { ...retry.json, access_expires_in: 0, refresh_expires_in: 0 },
          { ...refreshed.json, access_expires_in: 0, refresh_expires_in: 0 },
        );
        assert.ok(
          retry.json.access_expires_in <= refreshed.json.access_expires_in &&
            retry.json.access_expires_in >= refreshed.json.access_expires_in - 10,
        );
        // Once the new refresh token is used, the old one is dead: its reuse ends the grant.
        const next = await fetchJson(`${s.url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form(refreshed.json.refresh_token),
        });
        assert.equal(next.status, 200, next.text);
        const reuse = await fetchJson(`${s.url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form(first.json.refresh_token),
        });
        assert.equal(reuse.status, 400);
        assert.deepEqual(reuse.json, {
          error: 'invalid_grant',
          error_description: 'the refresh token is invalid, expired or revoked',
          statusCode: '1000402',
        });

        // Refresh is POST only.
        const byGet = await fetchJson(`${s.url}/token?${form(refreshed.json.refresh_token)}`);
        assert.equal(byGet.status, 400);
        assert.deepEqual(byGet.json, {
          error: 'invalid_request',
          error_description: 'grant_type refresh_token must be sent with POST',
          statusCode: '1000400',
        });
      });

      it('四 Client-side flow: response_type=token puts the AccessToken in the fragment, no refresh token', async () => {
        const redirect = 'https://shop.example.com.cn/oauthCallBack/';
        const { location } = await authorizeThroughForms(
          s.url,
          `/authorize?response_type=token&app_key=${APP_KEY}&state=1212&redirect_uri=${enc(redirect)}`,
          login(),
        );
        // 最终返回的地址格式为: REDIRECT_URI/oauthCallBack/#access_token=6a42dbd2ef9cf3489a4913039838e12b
        assert.ok(location.startsWith(`${redirect}#access_token=`), location);
        const fragment = new URLSearchParams(new URL(location).hash.slice(1));
        assert.deepEqual([...fragment.keys()], ['access_token', 'token_type', 'expires_in', 'scope', 'state', 'iss']);
        assert.match(fragment.get('access_token')!, HEX32);
        assert.equal(fragment.get('expires_in'), String(7 * 24 * 3600));
        assert.equal(fragment.get('state'), '1212');
        assert.equal(new URL(location).search, '');
        assert.equal((await storeOf(s, fragment.get('access_token')!)).status, 200);
      });

      it("redirect_uri: required for the server-side flow; any URL under the callback's top-level domain", async () => {
        const missing = await fetch(`${s.url}/authorize?response_type=code&app_key=${APP_KEY}&state=1`, {
          redirect: 'manual',
        });
        assert.equal(missing.status, 400);
        assert.match(await missing.text(), /missing redirect_uri/);

        const sibling = 'https://api.example.com.cn/oauth/cb';
        const { location } = await authorizeThroughForms(s.url, codeUrl('sib', sibling), login());
        assert.ok(location.startsWith(`${sibling}?code=`), location);
        const code = new URL(location).searchParams.get('code')!;
        // The code stays bound to the exact redirect_uri string.
        const wrong = await fetchJson(`${s.url}/token?${tokenQuery(code, CALLBACK)}`);
        assert.equal(wrong.status, 400);
        assert.equal(wrong.json.error, 'invalid_grant');

        for (const bad of [
          'https://example.com.evil.cn/callback',
          'https://shop.example.com.cn.evil.cn/callback',
          'http://shop.example.com.cn/callback',
          'https://shop.example.com.cn/callback#x',
          'https://a@shop.example.com.cn/callback',
        ]) {
          const res = await fetch(`${s.url}${codeUrl('x', bad)}`, { redirect: 'manual' });
          assert.equal(res.status, 400, bad);
          assert.match(await res.text(), /redirect_uri does not match the callback registered for this app/);
        }
      });

      it('errors keep error/error_description and add a non-0000000 statusCode', async () => {
        const res = await fetchJson(
          `${s.url}/token?code=x&grant_type=authorization_code&app_key=${APP_KEY}&app_secret=wrong&redirect_uri=${enc(CALLBACK)}`,
        );
        assert.equal(res.status, 401);
        assert.deepEqual(res.json, {
          error: 'invalid_client',
          error_description: 'client authentication failed',
          statusCode: '1000401',
        });
        const grant = await fetchJson(`${s.url}/token?grant_type=password&app_key=${APP_KEY}&app_secret=${secret}`);
        assert.deepEqual(grant.json, {
          error: 'unsupported_grant_type',
          error_description: 'grant_type password is not supported here',
          statusCode: '1000404',
        });
      });

      it('accepts client_id/client_secret too, and answers in its own field names', async () => {
        const { location } = await authorizeThroughForms(
          s.url,
          `/authorize?response_type=code&client_id=${APP_KEY}&redirect_uri=${enc(CALLBACK)}&state=c`,
          login(),
        );
        const code = new URL(location).searchParams.get('code')!;
        const res = await fetchJson(
          `${s.url}/token?code=${code}&grant_type=authorization_code&client_id=${APP_KEY}&client_secret=${secret}&redirect_uri=${enc(CALLBACK)}`,
        );
        assert.equal(res.status, 200, res.text);
        assertCodeAnswer(res.json);
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
}
