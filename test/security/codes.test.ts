// Adversarial cases for authorization codes (RFC 6749 §4.1.2, §4.1.3, §10.5; RFC 9700 §4.2.4).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { accessWorks, anotherApp, BAD_CODE, codeFor, eachDialect, exchange, token } from '../helpers/oauth.js';

await eachDialect('security: authorization codes', {}, (server) => {
  it('replaying a code fails and revokes the tokens of the first exchange (RFC 6749 §4.1.2)', async () => {
    const s = server();
    const code = await codeFor(s);
    const first = await exchange(s, code);
    assert.equal(first.status, 200, first.text);
    assert.equal(await accessWorks(s, first.json.access_token), true);
    const replay = await exchange(s, code);
    assert.equal(replay.status, 400);
    assert.deepEqual(replay.json, BAD_CODE);
    assert.equal(await accessWorks(s, first.json.access_token), false);
    const refresh = await token(s, { grant_type: 'refresh_token', refresh_token: first.json.refresh_token });
    assert.equal(refresh.status, 400);
    assert.equal(refresh.json.error, 'invalid_grant');
  });

  it('10 parallel redemptions of one code give exactly one 200', async () => {
    const s = server();
    const code = await codeFor(s);
    const results = await Promise.all(Array.from({ length: 10 }, () => exchange(s, code)));
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, results.map((r) => r.status).join(','));
    for (const r of results.filter((x) => x.status !== 200)) assert.deepEqual(r.json, BAD_CODE);
  });

  it("another client's code is invalid_grant (and burned)", async () => {
    const s = server();
    const other = await anotherApp(s);
    const code = await codeFor(s);
    const stolen = await exchange(s, code, {}, other);
    assert.equal(stolen.status, 400);
    assert.deepEqual(stolen.json, BAD_CODE);
    const owner = await exchange(s, code);
    assert.equal(owner.status, 400, 'a code presented by the wrong client is burned');
  });

  it('a different redirect_uri at the token endpoint is invalid_grant', async () => {
    const s = server();
    const code = await codeFor(s);
    const res = await exchange(s, code, { redirect_uri: 'https://isv.example.com/other' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, BAD_CODE);
  });

  it('a missing redirect_uri (sent at /authorize) is invalid_grant (RFC 6749 §4.1.3)', async () => {
    const s = server();
    const code = await codeFor(s);
    const res = await token(s, { grant_type: 'authorization_code', code });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, BAD_CODE);
  });

  it('an expired code is invalid_grant', async () => {
    const s = server();
    const code = await codeFor(s);
    s.advance(601_000);
    try {
      const res = await exchange(s, code);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, BAD_CODE);
    } finally {
      s.advance(-601_000);
    }
  });

  it('a guessed code is invalid_grant', async () => {
    const s = server();
    const res = await exchange(s, randomBytes(32).toString('base64url'));
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, BAD_CODE);
  });
});
