import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';

/** A refused authorization request (RFC 6749 §4.1.2.1: no redirect) explains itself in the seller's language. */
describe('authorization request error page', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s?.close());

  const unknownClient = () =>
    `${s.url}/oauth/authorize?response_type=code&client_id=99999999&redirect_uri=${encodeURIComponent(s.client.callback)}`;

  it('says what to do in Chinese, with the protocol reason as detail', async () => {
    const res = await fetch(unknownClient(), { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    const page = await res.text();
    assert.match(page, /<html lang="zh-CN">/);
    assert.match(
      page,
      /<p class="error" role="alert">此授权链接无效。请返回应用重试；如果问题持续出现，请联系应用的开发者。<\/p>/,
    );
    assert.match(page, /<p class="detail">详细信息: unknown client_id<\/p>/);
  });

  it('says the same in English', async () => {
    const res = await fetch(`${unknownClient()}&lang=en`);
    assert.equal(res.status, 400);
    const page = await res.text();
    assert.match(
      page,
      /<p class="error" role="alert">This authorization link is not valid\. Go back to the app and try again; if it keeps happening, contact the app&#39;s developer\.<\/p>/,
    );
    assert.match(page, /<p class="detail">Details: unknown client_id<\/p>/);
  });
});
