// Issue 19 §4: Python's stock OAuth 2.0 clients as Debian ships them (python3-authlib,
// python3-requests-oauthlib) against a real server on the meilishuo profile, without and with
// `--standard-token-fields`. Each library exchanges a real code (the consent forms), the app
// stores the token, eight days pass (the server's clock and the script's `time.time`; meilishuo's
// access token lives 7 days, its refresh token 14), and the app calls a protected resource the
// way each library refreshes on its own: authlib's OAuth2Session checks `token.is_expired()`
// (`ensure_active_token`) before each request; requests-oauthlib raises TokenExpiredError inside
// `request()` and refreshes at `auto_refresh_url`. Without `expires_in` neither knows when the
// token expires: the expired token goes out and the call fails with 401. With the fields both
// compute `expires_at`, refresh before the call, and the call succeeds with the new token.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Profile } from '../../src/profiles/profile.js';
import { getProfile } from '../../src/profiles/registry.js';
import { authorizeThroughForms } from '../helpers/browserless.js';
import { testDialects } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

/** The first interpreter that imports both libraries (pyenv's python3 may not see Debian's packages). */
function findPython(): string | undefined {
  const candidates = [process.env.SHOUQUAN_TEST_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find(
    (c) => spawnSync(c, ['-c', 'import authlib, requests_oauthlib'], { stdio: 'ignore' }).status === 0,
  );
}
const PYTHON = findPython();
const PYTHON_SKIP = PYTHON
  ? false
  : 'no python3 imports authlib and requests_oauthlib: Python client tests skipped (apt-get install python3-authlib python3-requests-oauthlib, or set SHOUQUAN_TEST_PYTHON)';

/**
 * The app's side, as each library's documentation shows it. `phase` "exchange": the code from
 * the callback URL → the token the app stores. `phase` "later": the stored token, the clock
 * `clock_offset` seconds on, one GET of the protected resource.
 */
const SCRIPT = String.raw`
import json, sys, time
cfg = json.loads(sys.argv[1])
_real_time = time.time
time.time = lambda: _real_time() + cfg.get('clock_offset', 0)

def answer(r):
    return {'status': r.status_code, 'body': r.json(), 'sent': r.request.headers.get('Authorization')}

out = {}
if cfg['lib'] == 'authlib':
    from authlib.integrations.requests_client import OAuth2Session
    if cfg['phase'] == 'exchange':
        s = OAuth2Session(cfg['client_id'], cfg['client_secret'], token_endpoint=cfg['token_url'],
                          redirect_uri=cfg['redirect_uri'], state='st')
        token = s.fetch_token(cfg['token_url'], authorization_response=cfg['callback'])
        out = {'token': dict(token), 'is_expired': token.is_expired()}
    else:
        updates = []
        def update_token(token, refresh_token=None, access_token=None):
            updates.append({'token': dict(token), 'refresh_token': refresh_token})
        s = OAuth2Session(cfg['client_id'], cfg['client_secret'], token_endpoint=cfg['token_url'],
                          token=cfg['token'], update_token=update_token)
        is_expired = s.token.is_expired()
        r = s.get(cfg['resource'])
        out = {'is_expired': is_expired, 'updates': updates, 'answer': answer(r)}
else:
    from requests_oauthlib import OAuth2Session
    if cfg['phase'] == 'exchange':
        s = OAuth2Session(cfg['client_id'], redirect_uri=cfg['redirect_uri'], state='st')
        token = s.fetch_token(cfg['token_url'], authorization_response=cfg['callback'],
                              client_secret=cfg['client_secret'])
        out = {'token': dict(token)}
    else:
        updates = []
        s = OAuth2Session(cfg['client_id'], token=cfg['token'], auto_refresh_url=cfg['token_url'],
                          auto_refresh_kwargs={'client_id': cfg['client_id'], 'client_secret': cfg['client_secret']},
                          token_updater=lambda token: updates.append({'token': dict(token)}))
        r = s.get(cfg['resource'])
        out = {'updates': updates, 'answer': answer(r)}
print(json.dumps(out))
`;

const DAY = 24 * 3600;
const LATER = 8 * DAY;
type Lib = 'authlib' | 'requests-oauthlib';
type Json = Record<string, unknown>;

/** A profile with the setting on, as `serve --standard-token-fields` makes it. */
const withStandardFields = (p: Profile): Profile => ({
  ...p,
  responses: { ...p.responses, standardTokenFields: true },
});

for (const d of await testDialects()) {
  for (const on of [false, true]) {
    describe(
      `authlib and requests-oauthlib on meilishuo ${on ? 'with' : 'without'} --standard-token-fields (${d.name})`,
      { skip: PYTHON_SKIP || d.skip },
      () => {
        let s: TestServer;
        let dir: string;
        let script: string;
        before(async () => {
          const profile = getProfile('meilishuo');
          s = await startTestServer({ profile: on ? withStandardFields(profile) : profile, db: await d.fresh() });
          dir = mkdtempSync(join(tmpdir(), 'shouquan-py-'));
          script = join(dir, 'client.py');
          writeFileSync(script, SCRIPT);
        });
        after(async () => {
          await s?.close();
          if (dir) rmSync(dir, { recursive: true, force: true });
        });

        async function python(cfg: Json): Promise<Json> {
          const env = { ...process.env, AUTHLIB_INSECURE_TRANSPORT: '1', OAUTHLIB_INSECURE_TRANSPORT: '1' };
          const { stdout } = await run(PYTHON!, [script, JSON.stringify(cfg)], { env, timeout: 60_000 });
          return JSON.parse(stdout) as Json;
        }

        async function callback(): Promise<string> {
          const url = `${s.url}/authorize?${new URLSearchParams({ response_type: 'code', app_key: s.client.appKey, redirect_uri: s.client.callback, state: 'st', scope: 'seller' })}`;
          const { location } = await authorizeThroughForms(s.url, url, {
            username: s.seller.username,
            password: s.seller.password,
          });
          return location;
        }

        const common = () => ({
          client_id: s.client.appKey,
          client_secret: s.client.appSecret,
          token_url: `${s.url}/token`,
          redirect_uri: s.client.callback,
          resource: `${s.url}/api/v1/store`,
        });

        /** Run the script and bracket it in whole seconds of the (shifted) clock, for `expires_at`. */
        async function timed(cfg: Json, offset = 0): Promise<{ out: Json; from: number; to: number }> {
          const from = Math.floor(Date.now() / 1000) + offset;
          const out = await python({ ...cfg, clock_offset: offset });
          return { out, from, to: Math.ceil(Date.now() / 1000) + offset };
        }

        /** `expires_at` is the script's clock at the answer plus `expires_in`: within the bracket. */
        function expiresAtWithin(token: Json, from: number, to: number) {
          const at = token.expires_at;
          assert.equal(typeof at, 'number');
          assert.ok(
            (at as number) >= from + 604800 && (at as number) <= to + 604800,
            `expires_at ${String(at)} not in [${from + 604800}, ${to + 604800}]`,
          );
        }

        /** meilishuo's documented token fields, then RFC 6749's when the setting is on. */
        const tokenBody = (access: unknown, refresh: unknown) => ({
          statusCode: '0000000',
          access_token: access,
          access_expires_in: 604800,
          refresh_token: refresh,
          refresh_expires_in: 1209600,
          ...(on ? { token_type: 'bearer', expires_in: 604800 } : {}),
        });
        const hex32 = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v);

        for (const lib of ['authlib', 'requests-oauthlib'] as Lib[]) {
          it(`${lib}: code exchange, then eight days later a call ${on ? 'refreshes first and succeeds' : 'sends the expired token and fails'}`, async () => {
            const ex = await timed({ ...common(), lib, phase: 'exchange', callback: await callback() });
            const token = ex.out.token as Json;
            assert.ok(hex32(token.access_token) && hex32(token.refresh_token), JSON.stringify(token));
            if (on) {
              // Both compute expires_at from expires_in (authlib: an int; oauthlib: a float).
              expiresAtWithin(token, ex.from, ex.to);
              assert.deepEqual(token, {
                ...tokenBody(token.access_token, token.refresh_token),
                expires_at: token.expires_at,
              });
            } else {
              // No expires_in: no expires_at, so the token never counts as expired.
              assert.deepEqual(token, tokenBody(token.access_token, token.refresh_token));
            }
            if (lib === 'authlib') assert.deepEqual(ex.out, { token, is_expired: on ? false : null });
            else assert.deepEqual(ex.out, { token });

            s.advance(LATER * 1000);
            const later = await timed({ ...common(), lib, phase: 'later', token }, LATER);
            const updates = later.out.updates as Json[];
            if (!on) {
              // Nothing refreshes: the expired token goes out and the server refuses it.
              const expected: Json = {
                updates: [],
                answer: {
                  status: 401,
                  body: { error: 'invalid_token', error_description: 'the access token expired or was revoked' },
                  sent: `Bearer ${String(token.access_token)}`,
                },
              };
              assert.deepEqual(later.out, lib === 'authlib' ? { is_expired: null, ...expected } : expected);
              return;
            }
            // The library refreshed before the call (one refresh, rotated tokens, a new expires_at)
            // and the call went out with the new access token.
            assert.equal(updates.length, 1, JSON.stringify(later.out));
            const fresh = updates[0]!.token as Json;
            assert.ok(hex32(fresh.access_token) && hex32(fresh.refresh_token), JSON.stringify(fresh));
            assert.notEqual(fresh.access_token, token.access_token);
            assert.notEqual(fresh.refresh_token, token.refresh_token, 'rotated');
            expiresAtWithin(fresh, later.from, later.to);
            const update =
              lib === 'authlib'
                ? {
                    token: { ...tokenBody(fresh.access_token, fresh.refresh_token), expires_at: fresh.expires_at },
                    refresh_token: token.refresh_token,
                  }
                : { token: { ...tokenBody(fresh.access_token, fresh.refresh_token), expires_at: fresh.expires_at } };
            const expected: Json = {
              updates: [update],
              answer: {
                status: 200,
                body: { store_id: s.seller.stores[0]!.storeId, name: 'Store One' },
                sent: `Bearer ${String(fresh.access_token)}`,
              },
            };
            assert.deepEqual(later.out, lib === 'authlib' ? { is_expired: true, ...expected } : expected);
          });
        }
      },
    );
  }
}
