import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fillSandboxData } from '../src/gateway/sandbox-data.js';
import { standardProfile } from '../src/profiles/standard.profile.js';
import type { Profile } from '../src/profiles/profile.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { testDialects } from './helpers/databases.js';
import { restCall, sellerTokens, topCall } from './helpers/gateway.js';

const dialects = await testDialects();
/** 2024-06-18 23:59:30 in GMT+8: 30 seconds before the daily quota resets. */
const T0 = Date.UTC(2024, 5, 18, 15, 59, 30);

/** A profile like smallec's: its own method prefix, and a scope that only grants reading. */
const readOnlyProfile: Profile = {
  ...standardProfile,
  name: 'gateway-test',
  gateway: { methodPrefix: 'psdm', scopePermissions: { seller: ['read'] } },
};

for (const dialect of dialects) {
  describe(`gateway quota (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let token: string;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh(), now: () => T0, gateway: { webhookPollMs: 0 } });
      await fillSandboxData(s.core.storage.gateway!, s.seller.stores, T0);
      token = (await sellerTokens(s, s.seller.stores[0]!.storeId)).access_token;
    });
    after(async () => s?.close());

    it('refuses calls over the per-second quota with code 7 and Retry-After: 1', async () => {
      await s.core.storage.gateway!.apps.upsert(s.client.appKey, { quotaPerSecond: 2, quotaPerDay: 1000 });
      s.advance(1000);
      assert.ok((await topCall(s, 'shouquan.store.get', {}, token)).json.shouquan_store_get_response);
      assert.ok((await topCall(s, 'shouquan.store.get', {}, token)).json.shouquan_store_get_response);
      const third = await topCall(s, 'shouquan.store.get', {}, token);
      assert.equal(third.status, 200);
      assert.equal(third.headers.get('retry-after'), '1');
      assert.deepEqual(
        { ...third.json.error_response, request_id: 'x' },
        {
          code: 7,
          msg: 'App Call Limited',
          sub_code: 'accesscontrol.limited-by-app-access-count',
          sub_msg: 'this app may make 2 calls per second; retry in 1 second',
          request_id: 'x',
        },
      );
      const rest = await restCall(s, 'GET', '/api/v1/orders', token);
      assert.equal(rest.status, 429);
      assert.equal(rest.headers.get('retry-after'), '1');
      s.advance(1000);
      assert.ok(
        (await topCall(s, 'shouquan.store.get', {}, token)).json.shouquan_store_get_response,
        'the next second is a new window',
      );
    });

    it('refuses calls over the daily quota until GMT+8 midnight', async () => {
      await s.core.storage.gateway!.apps.upsert(s.client.appKey, { quotaPerSecond: 1000, quotaPerDay: 6 });
      // Today so far: 3 calls counted (calls refused by the per-second limit are not counted per day).
      for (let i = 4; i <= 6; i++)
        assert.ok((await topCall(s, 'shouquan.store.get', {}, token)).json.shouquan_store_get_response, `call ${i}`);
      const res = await topCall(s, 'shouquan.store.get', {}, token);
      assert.equal(res.json.error_response?.code, 7, res.text);
      assert.equal(res.headers.get('retry-after'), '28', 'T0 + 2 s is 28 s before midnight GMT+8');
      assert.match(
        res.json.error_response.sub_msg,
        /^this app may make 6 calls per day \(GMT\+8\); the quota resets in 28 seconds$/,
      );
      s.advance(30_000);
      assert.ok((await topCall(s, 'shouquan.store.get', {}, token)).json.shouquan_store_get_response, 'a new day');
    });
  });

  describe(`gateway with a profile's prefix and scopes (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let tokens: { access_token: string; refresh_token: string };
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh(), profile: readOnlyProfile, gateway: { webhookPollMs: 0 } });
      await fillSandboxData(s.core.storage.gateway!, s.seller.stores, s.core.now());
      tokens = await sellerTokens(s, s.seller.stores[1]!.storeId);
    });
    after(async () => s?.close());

    it('names methods with the profile prefix', async () => {
      const ok = await topCall(s, 'psdm.store.get', {}, tokens.access_token, { signMethod: 'hmac' });
      assert.equal(ok.json.psdm_store_get_response?.store.name, 'Store Two', ok.text);
      const other = await topCall(s, 'shouquan.store.get', {}, tokens.access_token);
      assert.equal(other.json.error_response.code, 22);
      assert.equal(
        other.json.error_response.sub_msg,
        'method shouquan.store.get does not exist (methods start with "psdm.")',
      );
    });

    it('refuses a write the seller did not grant (11, isv.permission-user-scope), by router and REST', async () => {
      const res = await topCall(s, 'psdm.products.create', { title: 'x', price: '1', stock: '1' }, tokens.access_token);
      assert.deepEqual(
        { ...res.json.error_response, request_id: 'x' },
        {
          code: 11,
          msg: 'Insufficient isv permissions',
          sub_code: 'isv.permission-user-scope',
          sub_msg: 'the seller did not grant products.write (granted scope: seller), which psdm.products.create needs',
          request_id: 'x',
        },
      );
      const rest = await restCall(s, 'POST', `/api/v1/orders/1/ship`, tokens.access_token, {
        logistics_company: 'EMS',
        tracking_no: '1',
      });
      assert.equal(rest.status, 403);
      assert.equal(rest.json.error, 'insufficient_scope');
    });

    it('refreshes through psdm.auth.token.refresh', async () => {
      const res = await topCall(s, 'psdm.auth.token.refresh', { refresh_token: tokens.refresh_token }, undefined, {
        signMethod: 'hmac-sha256',
      });
      const body = res.json.psdm_auth_token_refresh_response;
      assert.ok(body, res.text);
      assert.deepEqual(Object.keys(body), [...standardProfile.responses.refresh.map((f) => f.name), 'request_id']);
    });
  });
}
