// Property-based fuzzing (fast-check) of the authorization, token, introspection and router
// surfaces: whatever arrives, the answer is never a 5xx and never a credential.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { eachDialect } from '../helpers/oauth.js';
import type { TestServer } from '../helpers/server.js';

const RUNS = 40;

/** Parameter names worth hitting, plus noise. */
const names = fc.oneof(
  fc.constantFrom(
    'response_type',
    'client_id',
    'app_key',
    'redirect_uri',
    'scope',
    'state',
    'code_challenge',
    'code_challenge_method',
    'grant_type',
    'code',
    'refresh_token',
    'client_secret',
    'code_verifier',
    'token',
    'token_type_hint',
    'lang',
    'view',
  ),
  fc.string({ maxLength: 12 }),
);

/** Values: real ones from the server, near-misses, and arbitrary (unicode, controls, huge). */
const values = (s: () => TestServer) =>
  fc
    .oneof(
      fc.constantFrom('code', 'token', 'authorization_code', 'refresh_token', 'S256', 'plain', 'seller', ''),
      fc.constant('__APP__'),
      fc.constant('__CALLBACK__'),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: fc.constantFrom('%', '0', 'z', '+', '&', '=', '\u0000', 'é'), maxLength: 30 }),
      fc.nat({ max: 4000 }).map((n) => 'x'.repeat(n)),
    )
    .map((v) => (v === '__APP__' ? s().client.appKey : v === '__CALLBACK__' ? s().client.callback : v));

/** A raw query/body string from pairs, sometimes with broken encoding left in. */
const encoded = (s: () => TestServer) =>
  fc
    .array(fc.tuple(names, values(s), fc.boolean()), { maxLength: 8 })
    .map((pairs) =>
      pairs
        .map(([k, v, raw]) => `${encodeURIComponent(k)}=${raw ? v.replace(/[&#\s]/g, '') : encodeURIComponent(v)}`)
        .join('&'),
    );

await eachDialect(
  'security: fuzzing',
  { server: { limits: { clientAuthPerIp: { max: 1_000_000, windowMs: 60_000, blockMs: 1 } } } },
  (server) => {
    it('authorize: never 5xx, never a code or token in a redirect', async () => {
      await fc.assert(
        fc.asyncProperty(encoded(server), async (q) => {
          const s = server();
          const res = await fetch(`${s.url}/oauth/authorize?${q}`, { redirect: 'manual' });
          await res.arrayBuffer();
          assert.ok(res.status < 500, `${res.status} for ?${q}`);
          const loc = res.headers.get('location') ?? '';
          assert.doesNotMatch(loc, /[?#&](code|access_token)=/, loc);
        }),
        { numRuns: RUNS },
      );
    });

    it('token: never 5xx, never 200 for random input', async () => {
      await fc.assert(
        fc.asyncProperty(
          encoded(server),
          fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', ''),
          fc.boolean(),
          async (body, type, basic) => {
            const s = server();
            const headers: Record<string, string> = type ? { 'content-type': type } : {};
            if (basic)
              headers.authorization = `Basic ${Buffer.from(`${s.client.appKey}:${s.client.appSecret}`).toString('base64')}`;
            const res = await fetch(`${s.url}/oauth/token`, {
              method: 'POST',
              headers,
              body: type ? body : new Blob([body]),
            });
            const text = await res.text();
            assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text} for ${body}`);
            assert.equal(res.headers.get('cache-control'), 'no-store');
            assert.match(
              JSON.parse(text).error,
              /^(invalid_request|invalid_client|invalid_grant|unsupported_grant_type|invalid_scope|unauthorized_client)$/,
            );
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('introspect: never 5xx, never active for random tokens', async () => {
      await fc.assert(
        fc.asyncProperty(encoded(server), async (body) => {
          const s = server();
          const res = await fetch(`${s.url}/oauth/introspect`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: `Basic ${Buffer.from(`${s.client.appKey}:${s.client.appSecret}`).toString('base64')}`,
            },
            body,
          });
          const json = await res.json();
          assert.ok(res.status < 500, `${res.status} for ${body}`);
          if (res.status === 200) assert.deepEqual(json, { active: false });
        }),
        { numRuns: RUNS },
      );
    });

    it('router: arbitrary paths and methods never 5xx', async () => {
      const segment = fc.oneof(
        fc.constantFrom(
          'oauth',
          'interaction',
          'authorize',
          'token',
          'login',
          'consent',
          'api',
          'v1',
          'store',
          '.well-known',
          '..',
          '%2e%2e',
          '%00',
          '%zz',
        ),
        fc.string({ maxLength: 10 }).map(encodeURIComponent),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(segment, { minLength: 1, maxLength: 5 }),
          fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD'),
          async (segs, method) => {
            const s = server();
            const res = await fetch(`${s.url}/${segs.join('/')}`, {
              method,
              redirect: 'manual',
              ...(method === 'POST' || method === 'PUT'
                ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' }
                : {}),
            });
            await res.arrayBuffer();
            assert.ok(res.status < 500, `${method} /${segs.join('/')} → ${res.status}`);
          },
        ),
        { numRuns: RUNS * 2 },
      );
    });
  },
);
