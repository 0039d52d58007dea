// PKCE (RFC 7636 §4.3–§4.6; RFC 9700 §2.1.1, §4.8).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { authorizeUrl, BAD_CODE, codeFor, eachDialect, exchange, pkcePair, token } from '../helpers/oauth.js';
import type { TestServer } from '../helpers/server.js';

async function errorRedirect(s: TestServer, extra: Record<string, string>) {
  const res = await fetch(`${s.url}${authorizeUrl(s, extra)}`, { redirect: 'manual' });
  await res.arrayBuffer();
  assert.equal(res.status, 303);
  return Object.fromEntries(new URL(res.headers.get('location')!).searchParams);
}

await eachDialect('security: PKCE', {}, (server) => {
  it('a missing code_verifier is invalid_grant and burns the code', async () => {
    const s = server();
    const p = pkcePair();
    const code = await codeFor(s, { code_challenge: p.challenge, code_challenge_method: 'S256' });
    const res = await exchange(s, code);
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, BAD_CODE);
    const retry = await exchange(s, code, { code_verifier: p.verifier });
    assert.equal(retry.status, 400, 'the code is burned');
  });

  it('a wrong code_verifier is invalid_grant and burns the code', async () => {
    const s = server();
    const p = pkcePair();
    const code = await codeFor(s, { code_challenge: p.challenge, code_challenge_method: 'S256' });
    const res = await exchange(s, code, { code_verifier: pkcePair().verifier });
    assert.deepEqual(res.json, BAD_CODE);
    assert.equal((await exchange(s, code, { code_verifier: p.verifier })).status, 400);
  });

  it('the right code_verifier works', async () => {
    const s = server();
    const p = pkcePair();
    const code = await codeFor(s, { code_challenge: p.challenge, code_challenge_method: 'S256' });
    const res = await exchange(s, code, { code_verifier: p.verifier });
    assert.equal(res.status, 200, res.text);
  });

  for (const [name, verifier] of [
    ['too short (42)', 'a'.repeat(42)],
    ['too long (129)', 'a'.repeat(129)],
    ['characters outside the unreserved set', `${'a'.repeat(42)}+/`],
  ] as const) {
    it(`a malformed code_verifier (${name}) is invalid_grant and burns the code`, async () => {
      const s = server();
      const p = pkcePair();
      const code = await codeFor(s, { code_challenge: p.challenge, code_challenge_method: 'S256' });
      const res = await exchange(s, code, { code_verifier: verifier });
      assert.deepEqual(res.json, BAD_CODE);
      assert.equal((await exchange(s, code, { code_verifier: p.verifier })).status, 400);
    });
  }

  it('downgrade: a code_verifier for a code issued without a challenge is invalid_grant (RFC 9700 §2.1.1)', async () => {
    const s = server();
    const code = await codeFor(s);
    const res = await exchange(s, code, { code_verifier: pkcePair().verifier });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, BAD_CODE);
  });

  it('code_challenge_method=plain is refused at the authorization endpoint', async () => {
    const s = server();
    const p = pkcePair();
    assert.deepEqual(await errorRedirect(s, { code_challenge: p.verifier, code_challenge_method: 'plain' }), {
      error: 'invalid_request',
      error_description: 'code_challenge_method plain is not supported; use S256',
      state: 'st',
      iss: s.url,
    });
  });

  it('an omitted code_challenge_method (which would mean plain) is refused', async () => {
    const s = server();
    assert.deepEqual(await errorRedirect(s, { code_challenge: pkcePair().challenge }), {
      error: 'invalid_request',
      error_description: 'code_challenge_method is required and must be S256',
      state: 'st',
      iss: s.url,
    });
  });

  it('a malformed code_challenge is refused', async () => {
    const s = server();
    const r = await errorRedirect(s, { code_challenge: 'short', code_challenge_method: 'S256' });
    assert.equal(r.error, 'invalid_request');
    assert.equal(r.error_description, 'code_challenge must be 43 base64url characters (S256)');
  });

  it('code_challenge_method without code_challenge is refused', async () => {
    const s = server();
    const r = await errorRedirect(s, { code_challenge_method: 'S256' });
    assert.equal(r.error_description, 'code_challenge_method without code_challenge');
  });

  it('no public clients: a client without a secret cannot redeem a code (PKCE alone is not authentication)', async () => {
    const s = server();
    const p = pkcePair();
    const code = await codeFor(s, { code_challenge: p.challenge, code_challenge_method: 'S256' });
    const res = await token(s, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: s.client.callback,
      code_verifier: p.verifier,
      client_secret: '',
    });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { error: 'invalid_client', error_description: 'client authentication failed' });
  });
});
