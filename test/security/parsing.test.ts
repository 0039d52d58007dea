// Request parsing at the token endpoint and elsewhere (RFC 6749 §3.1, §3.2, §5.1, §5.2).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { basicAuth, codeFor, eachDialect, token } from '../helpers/oauth.js';
import type { TestServer } from '../helpers/server.js';
import { readResponse } from '../helpers/browserless.js';

async function raw(url: string, init: RequestInit) {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return readResponse(res);
}

const form = (s: TestServer, body: string, path = '/oauth/token', headers: Record<string, string> = {}) =>
  raw(`${s.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });

function assertNoStore(res: { headers: Headers }) {
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('pragma'), 'no-cache');
}

await eachDialect('security: parsing', {}, (server) => {
  for (const name of ['grant_type', 'code', 'redirect_uri', 'client_id', 'client_secret', 'code_verifier']) {
    it(`a duplicated ${name} is invalid_request`, async () => {
      const s = server();
      const values: Record<string, string> = {
        grant_type: 'authorization_code',
        code: 'abc',
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
        code_verifier: 'v'.repeat(43),
      };
      const body = `${new URLSearchParams(values)}&${name}=${encodeURIComponent(values[name]!)}`;
      const res = await form(s, body);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, { error: 'invalid_request', error_description: `parameter ${name} is repeated` });
      assertNoStore(res);
    });
  }

  it('a duplicated parameter at the authorization endpoint is an error (state repeated)', async () => {
    const s = server();
    const res = await raw(
      `${s.url}/oauth/authorize?response_type=code&client_id=${s.client.appKey}&redirect_uri=${encodeURIComponent(s.client.callback)}&state=a&state=b`,
      {},
    );
    assert.equal(res.status, 303);
    const q = new URL(res.headers.get('location')!).searchParams;
    assert.equal(q.get('error'), 'invalid_request');
    assert.equal(q.get('code'), null);
  });

  it('a duplicated client_id at the authorization endpoint is an error page', async () => {
    const s = server();
    const res = await raw(
      `${s.url}/oauth/authorize?response_type=code&client_id=${s.client.appKey}&client_id=${s.client.appKey}`,
      {},
    );
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });

  it('GET at the token endpoint is 400 invalid_request (standard profile)', async () => {
    const s = server();
    const res = await raw(
      `${s.url}/oauth/token?grant_type=refresh_token&refresh_token=x&client_id=${s.client.appKey}&client_secret=${s.client.appSecret}`,
      {},
    );
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { error: 'invalid_request', error_description: 'the token endpoint accepts only POST' });
    assertNoStore(res);
  });

  for (const [name, headers, body] of [
    [
      'JSON',
      { 'content-type': 'application/json' },
      JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'x' }),
    ],
    [
      'multipart',
      { 'content-type': 'multipart/form-data; boundary=XX' },
      '--XX\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nrefresh_token\r\n--XX--\r\n',
    ],
    ['text/plain', { 'content-type': 'text/plain' }, 'grant_type=refresh_token&refresh_token=x'],
    ['no content type', {}, 'grant_type=refresh_token&refresh_token=x'],
  ] as Array<[string, Record<string, string>, string]>) {
    it(`a ${name} body at the token endpoint is 400`, async () => {
      const s = server();
      const blob = new Blob([body]);
      const res = await raw(`${s.url}/oauth/token`, {
        method: 'POST',
        headers: { ...headers, authorization: basicAuth(s.client.appKey, s.client.appSecret) },
        body: name === 'no content type' ? blob : body,
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.error, 'invalid_request');
      assertNoStore(res);
    });
  }

  it('an unknown grant_type is unsupported_grant_type', async () => {
    const s = server();
    const res = await token(s, { grant_type: 'password', username: 'a', password: 'b' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, {
      error: 'unsupported_grant_type',
      error_description: 'grant_type password is not supported here',
    });
    assertNoStore(res);
  });

  it('an oversized body is 413', async () => {
    const s = server();
    const res = await form(s, `grant_type=authorization_code&code=${'a'.repeat(70 * 1024)}`);
    assert.equal(res.status, 413);
    assert.deepEqual(res.json, { error: 'invalid_request', error_description: 'the request body is too large' });
    assertNoStore(res);
  });

  for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
    it(`malformed percent-encoding at ${path} is 400`, async () => {
      const s = server();
      const res = await form(s, `grant_type=authorization_code&code=%E0%A4%A&token=%zz`, path);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, {
        error: 'invalid_request',
        error_description: 'malformed percent-encoding in parameters',
      });
    });

    it(`a NUL byte at ${path} is 400`, async () => {
      const s = server();
      const res = await form(
        s,
        `grant_type=authorization_code&code=a%00b&token=a%00b&client_id=${s.client.appKey}&client_secret=${s.client.appSecret}`,
        path,
      );
      assert.equal(res.status, 400);
      assert.equal(res.json.error, 'invalid_request');
    });
  }

  it('malformed percent-encoding and NUL bytes at the authorization endpoint are 400 pages', async () => {
    const s = server();
    for (const q of ['client_id=%zz', `client_id=${s.client.appKey}%00`, 'state=%E0%A4%A']) {
      const res = await raw(`${s.url}/oauth/authorize?response_type=code&${q}`, {});
      assert.equal(res.status, 400, q);
      assert.equal(res.headers.get('location'), null);
    }
  });

  it('a NUL byte in an interaction id or a Basic client id is 400, never 500', async () => {
    const s = server();
    const page = await raw(`${s.url}/oauth/interaction/a%00b`, {});
    assert.equal(page.status, 400, page.text);
    const res = await form(s, 'grant_type=refresh_token&refresh_token=x', '/oauth/token', {
      authorization: basicAuth(`${s.client.appKey}\0`, s.client.appSecret),
    });
    assert.ok(res.status === 400 || res.status === 401, `${res.status} ${res.text}`);
    assert.equal(res.json.error, res.status === 401 ? 'invalid_client' : 'invalid_request');
  });

  it('huge values are refused cleanly, never 500', async () => {
    const s = server();
    const bigCode = await form(
      s,
      `grant_type=authorization_code&code=${'a'.repeat(60 * 1024)}&client_id=${s.client.appKey}&client_secret=${s.client.appSecret}`,
    );
    assert.equal(bigCode.status, 400);
    assert.equal(bigCode.json.error, 'invalid_grant');
    const bigQuery = await raw(`${s.url}/oauth/authorize?client_id=${'9'.repeat(20 * 1024)}`, {});
    assert.ok(bigQuery.status >= 400 && bigQuery.status < 500, String(bigQuery.status));
    const bigHeader = await raw(`${s.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${'A'.repeat(12 * 1024)}` },
      body: 'grant_type=refresh_token',
    });
    assert.ok(bigHeader.status >= 400 && bigHeader.status < 500, String(bigHeader.status));
  });

  it('Cache-Control: no-store and Pragma: no-cache on token responses, success included', async () => {
    const s = server();
    const code = await codeFor(s);
    const ok = await token(s, { grant_type: 'authorization_code', code, redirect_uri: s.client.callback });
    assert.equal(ok.status, 200);
    assertNoStore(ok);
    const bad = await token(s, { grant_type: 'authorization_code', code, redirect_uri: s.client.callback });
    assert.equal(bad.status, 400);
    assertNoStore(bad);
    const unauth = await token(s, { grant_type: 'authorization_code', code, client_secret: 'nope' });
    assert.equal(unauth.status, 401);
    assertNoStore(unauth);
  });
});
