// State and mix-up defence (RFC 6749 §4.1.2, §10.12; RFC 9207; RFC 9700 §4.4).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { authorizeThroughForms } from '../helpers/browserless.js';
import { authorizeUrl, callbackFor, eachDialect } from '../helpers/oauth.js';

/** 1 KB of state with characters that need encoding, including non-ASCII. */
const BIG_STATE = ('a+b/c=d&e%f g~h.i_j-k:l;m?n#o' + '状态').repeat(40).slice(0, 1024);

async function redirectOf(url: string): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' });
  await res.arrayBuffer();
  assert.equal(res.status, 303);
  return new URL(res.headers.get('location')!);
}

await eachDialect('security: state and mix-up', {}, (server) => {
  it('a 1 KB state is echoed byte-exact with the code', async () => {
    const s = server();
    const cb = await callbackFor(s, { state: BIG_STATE });
    assert.equal(cb.searchParams.get('state'), BIG_STATE);
    assert.ok(cb.searchParams.get('code'));
  });

  it('iss is in the success response (RFC 9207 §2)', async () => {
    const s = server();
    const cb = await callbackFor(s);
    assert.equal(cb.searchParams.get('iss'), s.url);
  });

  it('iss and state are in the access_denied response', async () => {
    const s = server();
    const { location } = await authorizeThroughForms(s.url, authorizeUrl(s, { state: 'deny-me' }), {
      username: s.seller.username,
      password: s.seller.password,
      decision: 'deny',
    });
    const cb = new URL(location);
    assert.deepEqual(Object.fromEntries(cb.searchParams), {
      error: 'access_denied',
      error_description: 'the seller declined to authorize the app',
      state: 'deny-me',
      iss: s.url,
    });
  });

  it('the metadata advertises iss support and the same issuer (RFC 9207 §3, RFC 8414 §3.3)', async () => {
    const s = server();
    const meta = await (await fetch(`${s.url}/.well-known/oauth-authorization-server`)).json();
    assert.equal(meta.issuer, s.url);
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
  });

  it('a bad scope with a good client redirects with error, state and iss', async () => {
    const s = server();
    const cb = await redirectOf(`${s.url}${authorizeUrl(s, { scope: 'admin', state: BIG_STATE })}`);
    assert.equal(`${cb.origin}${cb.pathname}`, s.client.callback);
    assert.deepEqual(Object.fromEntries(cb.searchParams), {
      error: 'invalid_scope',
      error_description: 'unknown scope admin',
      state: BIG_STATE,
      iss: s.url,
    });
  });

  it('a bad response_type with a good client redirects with error, state and iss', async () => {
    const s = server();
    const cb = await redirectOf(`${s.url}${authorizeUrl(s, { response_type: 'code id_token', state: 'x1' })}`);
    assert.deepEqual(Object.fromEntries(cb.searchParams), {
      error: 'unsupported_response_type',
      error_description: 'response_type code id_token is not supported',
      state: 'x1',
      iss: s.url,
    });
  });
});
