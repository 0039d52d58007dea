// Issue 19 §4: `serve --standard-token-fields` (SHOUQUAN_STANDARD_TOKEN_FIELDS, or the profile
// setting `responses.standardTokenFields`) adds RFC 6749 §5.1's `token_type` and `expires_in`
// next to a legacy profile's own token fields where they are missing, so stock clients (Python's
// authlib, requests-oauthlib) know when the access token expires. Exact bodies, with and without.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { resolveServeConfig } from '../../src/config.js';
import type { Profile } from '../../src/profiles/profile.js';
import { getProfile } from '../../src/profiles/registry.js';
import { authorizeThroughForms, FormClient } from '../helpers/browserless.js';
import { testDialects } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fetchJson } from './profile-test-kit.js';

/** A profile with the setting on, as `--standard-token-fields` makes it. */
const withStandardFields = (p: Profile): Profile => ({
  ...p,
  responses: { ...p.responses, standardTokenFields: true },
});

type Tokens = { access: string; refresh: string; seller: number };

/**
 * The exact bodies each legacy profile answers (code exchange, refresh at the token endpoint
 * when the profile has it there), without and with the setting. `T` holds the minted values.
 */
const EXPECTED: Record<
  string,
  {
    without: (t: Tokens) => object;
    with: (t: Tokens) => object;
    refreshWithout?: (t: Tokens) => object;
    refreshWith?: (t: Tokens) => object;
  }
> = {
  meilishuo: {
    without: (t) => ({
      statusCode: '0000000',
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
    }),
    with: (t) => ({
      statusCode: '0000000',
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
      token_type: 'bearer',
      expires_in: 604800,
    }),
    refreshWithout: (t) => ({
      statusCode: '0000000',
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
    }),
    refreshWith: (t) => ({
      statusCode: '0000000',
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
      token_type: 'bearer',
      expires_in: 604800,
    }),
  },
  mogujie: {
    without: (t) => ({
      statusCode: '0000000',
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
    }),
    with: (t) => ({
      statusCode: '0000000',
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
      token_type: 'bearer',
      expires_in: 604800,
    }),
    refreshWithout: (t) => ({
      statusCode: '0000000',
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
    }),
    refreshWith: (t) => ({
      statusCode: '0000000',
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
      token_type: 'bearer',
      expires_in: 604800,
    }),
  },
  realshark: {
    without: (t) => ({
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
      userid: t.seller,
    }),
    with: (t) => ({
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
      userid: t.seller,
      token_type: 'bearer',
      expires_in: 604800,
    }),
    refreshWithout: (t) => ({
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
      userid: t.seller,
    }),
    refreshWith: (t) => ({
      access_token: t.access,
      access_expires_in: 604800,
      refresh_token: t.refresh,
      refresh_expires_in: 1209600,
      userid: t.seller,
      token_type: 'bearer',
      expires_in: 604800,
    }),
  },
  // smallec and perfee already write both fields: the setting changes nothing there.
  smallec: {
    without: (t) => ({
      token_type: 'Bearer',
      expires_in: 31536000,
      access_token: t.access,
      refresh_token: t.refresh,
      re_expires_in: 31536000,
      psdm_user_id: t.seller,
    }),
    with: (t) => ({
      token_type: 'Bearer',
      expires_in: 31536000,
      access_token: t.access,
      refresh_token: t.refresh,
      re_expires_in: 31536000,
      psdm_user_id: t.seller,
    }),
  },
  perfee: {
    without: (t) => ({
      token_type: 'bearer',
      access_token: t.access,
      expires_in: 7200,
      refresh_token: t.refresh,
      refresh_token_expires_in: 31104000,
    }),
    with: (t) => ({
      token_type: 'bearer',
      access_token: t.access,
      expires_in: 7200,
      refresh_token: t.refresh,
      refresh_token_expires_in: 31104000,
    }),
    refreshWithout: (t) => ({ token_type: 'bearer', access_token: t.access, expires_in: 7200 }),
    refreshWith: (t) => ({ token_type: 'bearer', access_token: t.access, expires_in: 7200 }),
  },
};

/** Consent in the profile's own parameter names; the code from the callback. */
async function codeFor(s: TestServer, browser: FormClient): Promise<string> {
  const p = s.core.profile;
  const url = `${p.paths.authorize}?${new URLSearchParams({ response_type: 'code', [p.params.clientId[0]!]: s.client.appKey, redirect_uri: s.client.callback, state: 'st', scope: p.authorize.defaultScope })}`;
  const { location } = await authorizeThroughForms(s.url, url, {
    username: s.seller.username,
    password: s.seller.password,
    client: browser,
  });
  const code = new URL(location).searchParams.get('code');
  assert.ok(code, location);
  return code;
}

/** POST to the token endpoint with the profile's own client parameter names. */
function tokenPost(s: TestServer, form: Record<string, string>) {
  const p = s.core.profile;
  return fetchJson(`${s.url}${p.paths.token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      ...form,
      [p.params.clientId[0]!]: s.client.appKey,
      [p.params.clientSecret[0]!]: s.client.appSecret,
    }).toString(),
  });
}

for (const d of await testDialects()) {
  for (const name of Object.keys(EXPECTED)) {
    for (const on of [false, true]) {
      describe(
        `${name} token bodies ${on ? 'with' : 'without'} --standard-token-fields (${d.name})`,
        { skip: d.skip },
        () => {
          let s: TestServer;
          const browser = () => new FormClient(s.url);
          before(async () => {
            const profile = getProfile(name);
            s = await startTestServer({ profile: on ? withStandardFields(profile) : profile, db: await d.fresh() });
          });
          after(async () => s?.close());
          const exp = EXPECTED[name]!;

          it('code exchange: the exact body', async () => {
            const res = await tokenPost(s, {
              grant_type: 'authorization_code',
              code: await codeFor(s, browser()),
              redirect_uri: s.client.callback,
            });
            assert.equal(res.status, 200, res.text);
            const body = res.json as Record<string, unknown>;
            const t = {
              access: String(body.access_token),
              refresh: String(body.refresh_token),
              seller: s.seller.sellerId,
            };
            assert.deepEqual(body, (on ? exp.with : exp.without)(t));
            assert.deepEqual(Object.keys(body), Object.keys((on ? exp.with : exp.without)(t)), 'the field order too');
          });

          if (exp.refreshWith) {
            it('refresh at the token endpoint: the exact body', async () => {
              const first = await tokenPost(s, {
                grant_type: 'authorization_code',
                code: await codeFor(s, browser()),
                redirect_uri: s.client.callback,
              });
              const res = await tokenPost(s, {
                grant_type: 'refresh_token',
                refresh_token: String((first.json as Record<string, unknown>).refresh_token),
              });
              assert.equal(res.status, 200, res.text);
              const body = res.json as Record<string, unknown>;
              const t = {
                access: String(body.access_token),
                refresh: String(body.refresh_token),
                seller: s.seller.sellerId,
              };
              const expected = (on ? exp.refreshWith! : exp.refreshWithout!)(t);
              assert.deepEqual(body, expected);
              assert.deepEqual(Object.keys(body), Object.keys(expected));
            });
          }
        },
      );
    }
  }
}

describe('serve --standard-token-fields and SHOUQUAN_STANDARD_TOKEN_FIELDS', () => {
  it('the flag or the variable turns the profile setting on; off by default and for 0/false/no/off', () => {
    const on = (flags: Record<string, string | boolean>, env: Record<string, string> = {}) =>
      resolveServeConfig({ profile: 'meilishuo', ...flags }, env).profile.responses.standardTokenFields === true;
    assert.equal(on({}), false);
    assert.equal(on({ 'standard-token-fields': true }), true);
    assert.equal(on({}, { SHOUQUAN_STANDARD_TOKEN_FIELDS: '1' }), true);
    assert.equal(on({}, { SHOUQUAN_STANDARD_TOKEN_FIELDS: 'true' }), true);
    for (const off of ['0', 'false', 'no', 'off'])
      assert.equal(on({}, { SHOUQUAN_STANDARD_TOKEN_FIELDS: off }), false, off);
    assert.equal(
      getProfile('meilishuo').responses.standardTokenFields,
      undefined,
      'the shipped profile object is not changed',
    );
  });
});
