// Issue 19 §4 and issue 15 finding 7: stock TOP SDKs sign empty parameters (node-taobao-topclient)
// or leave them out (Taobao's Java SDK), and both are accepted; a signature or timestamp error
// names the likely cause; no answer, log line or audit row carries a whole access token,
// refresh token, code or secret (the signature error used to repeat the caller's access token).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { formatGmt8, signParams, signString, stringToSign } from '../../src/gateway/sign.js';
import { fillSandboxData } from '../../src/gateway/sandbox-data.js';
import { rotateAppSecret } from '../../src/apps/apps.js';
import { eachDialect, token as tokenRequest } from '../helpers/oauth.js';
import { restCall, sellerTokens, topCall } from '../helpers/gateway.js';
import { postForm } from '../helpers/browserless.js';
import type { TestServer } from '../helpers/server.js';

const T0 = Date.UTC(2024, 5, 18, 2, 0, 0);
const lines: string[] = [];
const stream = new Writable({
  write(chunk, _enc, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

/** The string node-taobao-topclient signs: every parameter, empty ones too, sorted by name, `name` + `value`. */
function keptString(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((k) => k + params[k])
    .join('');
}

/** A router call with the exact parameters given (public ones included) and a signature over `signed`. */
async function rawCall(s: TestServer, params: Record<string, string>, sign: string) {
  const res = await fetch(`${s.url}/router/rest`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, sign }).toString(),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

await eachDialect(
  'security: router signatures and credentials in messages',
  {
    now: () => T0,
    gateway: { defaultQuotaPerSecond: 100_000, webhookPollMs: 0 },
    server: { logger: { level: 'info', stream } },
  },
  (server) => {
    let access: string;
    let refresh: string;
    const base = (s: TestServer, extra: Record<string, string> = {}) => ({
      method: 'shouquan.orders.list',
      app_key: s.client.appKey,
      timestamp: formatGmt8(T0),
      v: '2.0',
      format: 'json',
      sign_method: 'md5',
      session: access,
      ...extra,
    });

    it('setup: sandbox data and a seller token', async () => {
      const s = server();
      await fillSandboxData(s.core.storage.gateway!, s.seller.stores, T0);
      const t = await sellerTokens(s, s.seller.stores[0]!.storeId);
      access = t.access_token;
      refresh = t.refresh_token;
    });

    it('a signature over the empty parameters kept (node-taobao-topclient) or left out (Java SDK) is accepted', async () => {
      const s = server();
      const params = base(s, { status: '', page_no: '1', end_created: '' });
      const kept = await rawCall(s, params, signString(keptString(params), s.client.appSecret, 'md5'));
      assert.ok(kept.json.shouquan_orders_list_response, kept.text);
      const left = await rawCall(s, params, signParams(params, s.client.appSecret, 'md5'));
      assert.ok(left.json.shouquan_orders_list_response, left.text);
      for (const m of ['hmac', 'hmac-sha256'] as const) {
        const p = { ...params, sign_method: m };
        const r = await rawCall(s, p, signString(keptString(p), s.client.appSecret, m));
        assert.ok(r.json.shouquan_orders_list_response, `${m}: ${r.text}`);
      }
    });

    it('a bad signature with empty parameters says they were tried both ways', async () => {
      const s = server();
      const params = base(s, { status: '' });
      const r = await rawCall(s, params, signString(keptString(params), 'not-the-secret', 'md5'));
      assert.equal(r.json.error_response.code, 25);
      assert.match(
        r.json.error_response.sub_msg,
        /likely cause: empty parameters \(status\) were tried both left out and kept/,
      );
    });

    it('a signature made with another sign_method says so', async () => {
      const s = server();
      const params = base(s);
      const r = await rawCall(s, params, signString(stringToSign(params), s.client.appSecret, 'hmac'));
      assert.equal(r.json.error_response.code, 25);
      assert.match(
        r.json.error_response.sub_msg,
        /likely cause: the request was signed with sign_method hmac but says md5/,
      );
    });

    it('a timestamp in UTC (8 hours behind GMT+8) names the zone as the likely cause', async () => {
      const s = server();
      const utc = new Date(T0).toISOString().slice(0, 19).replace('T', ' ');
      const r = await topCall(s, 'shouquan.orders.list', {}, access, { override: { timestamp: utc } });
      assert.equal(r.json.error_response.code, 31);
      assert.equal(
        r.json.error_response.sub_msg,
        `timestamp ${utc} is more than 600 seconds away from the server time ${formatGmt8(T0)} (GMT+8); it is about 8 hours off: is the client's clock or zone UTC? timestamps are GMT+8`,
      );
      const slow = await topCall(s, 'shouquan.orders.list', {}, access, {
        override: { timestamp: formatGmt8(T0 - 25 * 60_000) },
      });
      assert.match(slow.json.error_response.sub_msg, /; check the client's clock$/);
    });

    it('the AppSecret from before a rotation is named as the likely cause once it stopped signing', async () => {
      const s = server();
      const old = s.client.appSecret;
      const fresh = (await rotateAppSecret(s.core.storage, s.core.secretKey, s.client.appKey, 1, s.core.now()))!;
      s.client.appSecret = fresh;
      const inWindow = await topCall(s, 'shouquan.orders.list', {}, access, { secret: old });
      assert.ok(inWindow.json.shouquan_orders_list_response, inWindow.text);
      s.advance(3600_000 + 1000); // the overlap hour is over
      const r = await topCall(s, 'shouquan.orders.list', {}, access, { secret: old }).finally(() =>
        s.advance(-3600_000 - 1000),
      );
      assert.equal(r.json.error_response.code, 25);
      assert.match(
        r.json.error_response.sub_msg,
        /likely cause: it was signed with the AppSecret from before the last rotation, which stopped signing at [\d-]+ [\d:]+ \(GMT\+8\): sign with the current AppSecret/,
      );
      assert.ok(!r.text.includes(old) && !r.text.includes(fresh));
      const ok = await topCall(s, 'shouquan.orders.list', {}, access);
      assert.ok(ok.json.shouquan_orders_list_response, ok.text);
    });

    it('no answer, log line or audit row carries a whole access token, refresh token, code or secret', async () => {
      const s = server();
      lines.length = 0;
      const bodies: string[] = [];
      // Router errors that show the string to sign, or a timestamp, with credentials in the call.
      bodies.push(
        (await topCall(s, 'shouquan.orders.list', { page_no: '1' }, access, { override: { sign: 'DEADBEEF' } })).text,
      );
      bodies.push((await topCall(s, 'shouquan.orders.list', {}, access, { secret: 'wrong-secret-value' })).text);
      bodies.push(
        (await topCall(s, 'shouquan.orders.list', {}, access, { override: { timestamp: '2001-01-01 00:00:00' } })).text,
      );
      bodies.push(
        (
          await topCall(s, 'shouquan.auth.token.refresh', { refresh_token: refresh }, undefined, {
            override: { sign: 'DEADBEEF' },
          })
        ).text,
      );
      bodies.push(
        (
          await topCall(s, 'shouquan.orders.list', {}, undefined, {
            override: { access_token: access, sign: 'DEADBEEF' },
          })
        ).text,
      );
      bodies.push(
        (await topCall(s, 'shouquan.orders.list', {}, access, { get: true, override: { sign: 'DEADBEEF' } })).text,
      );
      // A revoked or unknown token at the router and REST; bad grants at the token endpoint.
      bodies.push((await topCall(s, 'shouquan.orders.list', {}, `${access}x`)).text);
      bodies.push((await restCall(s, 'GET', '/api/v1/orders', `${access}x`)).text);
      const code = 'c'.repeat(32);
      bodies.push(
        (await tokenRequest(s, { grant_type: 'authorization_code', code, redirect_uri: s.client.callback })).text,
      );
      bodies.push((await tokenRequest(s, { grant_type: 'refresh_token', refresh_token: `${refresh}x` })).text);
      bodies.push(
        (
          await tokenRequest(s, {
            grant_type: 'refresh_token',
            refresh_token: refresh,
            client_secret: 'wrong-secret-value',
          })
        ).text,
      );
      bodies.push(
        (
          await postForm(`${s.url}/oauth/introspect`, {
            token: access,
            client_id: s.client.appKey,
            client_secret: 'wrong-secret-value',
          })
        ).text,
      );
      bodies.push(
        (
          await postForm(`${s.url}/oauth/revoke`, {
            token: refresh,
            client_id: s.client.appKey,
            client_secret: 'wrong-secret-value',
          })
        ).text,
      );
      await new Promise((r) => setTimeout(r, 50)); // let the logger flush
      const audit = JSON.stringify(await s.core.storage.console.recentAudit(1000));
      const everything = { answers: bodies.join('\n'), logs: lines.join('\n'), audit };
      for (const [where, text] of Object.entries(everything)) {
        for (const [what, secret] of Object.entries({
          access,
          refresh,
          code,
          appSecret: s.client.appSecret,
          wrongSecret: 'wrong-secret-value',
        })) {
          assert.ok(
            !text.includes(secret),
            `the whole ${what} appears in the ${where}: …${text.slice(Math.max(0, text.indexOf(secret) - 80), text.indexOf(secret) + 10)}…`,
          );
        }
      }
      // The signature errors still say what was signed, with the session cut to a prefix.
      assert.match(bodies[0]!, new RegExp(`session${access.slice(0, 4)}…\\(${access.length} chars\\)`));
      assert.match(bodies[3]!, new RegExp(`refresh_token${refresh.slice(0, 4)}…\\(${refresh.length} chars\\)`));
    });
  },
);
