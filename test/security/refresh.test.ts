// Refresh tokens (RFC 6749 §6, §10.4; RFC 9700 §4.14).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { accessWorks, anotherApp, authorizeUrl, eachDialect, token, tokensFor } from '../helpers/oauth.js';

const BAD_REFRESH = { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' };

await eachDialect('security: refresh tokens', {}, (server) => {
  it('reusing a rotated refresh token revokes the whole family', async () => {
    const s = server();
    const t0 = await tokensFor(s);
    const t1 = await token(s, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
    assert.equal(t1.status, 200, t1.text);
    assert.equal(await accessWorks(s, t1.json.access_token), true);
    // Past the grace window (docs/adr/0100; test/refresh-grace.test.ts covers inside it).
    s.advance(61_000);
    const reuse = await token(s, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
    s.advance(-61_000);
    assert.equal(reuse.status, 400);
    assert.deepEqual(reuse.json, BAD_REFRESH);
    assert.equal(await accessWorks(s, t1.json.access_token), false, 'the newest access token dies too');
    const t2 = await token(s, { grant_type: 'refresh_token', refresh_token: t1.json.refresh_token });
    assert.deepEqual(t2.json, BAD_REFRESH);
  });

  it('10 concurrent refreshes with one token: one rotation, every answer the same successor', async () => {
    const s = server();
    const t0 = await tokensFor(s);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => token(s, { grant_type: 'refresh_token', refresh_token: t0.refresh_token })),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 10, results.map((r) => r.status).join(','));
    assert.equal(new Set(results.map((r) => r.json.refresh_token)).size, 1);
    assert.equal(new Set(results.map((r) => r.json.access_token)).size, 1);
  });

  it("another client's refresh token is invalid_grant", async () => {
    const s = server();
    const other = await anotherApp(s);
    const t0 = await tokensFor(s);
    const res = await token(s, { grant_type: 'refresh_token', refresh_token: t0.refresh_token }, other);
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, BAD_REFRESH);
    const owner = await token(s, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
    assert.equal(owner.status, 200, 'the owner keeps its token');
  });

  it('a wider scope is invalid_scope (RFC 6749 §6)', async () => {
    const s = server();
    const t0 = await tokensFor(s);
    const res = await token(s, { grant_type: 'refresh_token', refresh_token: t0.refresh_token, scope: 'seller admin' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { error: 'invalid_scope', error_description: 'scope admin was not granted' });
  });

  it('an expired refresh token is invalid_grant', async () => {
    const s = server();
    const t0 = await tokensFor(s);
    const ms = 31 * 24 * 3600 * 1000;
    s.advance(ms);
    try {
      const res = await token(s, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
      assert.deepEqual(res.json, BAD_REFRESH);
    } finally {
      s.advance(-ms);
    }
  });

  it('the implicit flow never returns a refresh token (standard: not offered at all)', async () => {
    const s = server();
    const res = await fetch(`${s.url}${authorizeUrl(s, { response_type: 'token' })}`, { redirect: 'manual' });
    await res.arrayBuffer();
    assert.equal(res.status, 303);
    const location = res.headers.get('location')!;
    assert.doesNotMatch(location, /refresh_token|access_token/);
    // A flow the profile lacks is answered in the query, not the fragment (RFC 6749 §4.1.2.1).
    assert.equal(new URL(location).hash, '');
    assert.deepEqual(Object.fromEntries(new URL(location).searchParams), {
      error: 'unsupported_response_type',
      error_description: 'response_type token is not supported',
      state: 'st',
      iss: s.url,
    });
  });
});
