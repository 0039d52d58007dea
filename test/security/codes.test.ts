// Adversarial cases for authorization codes (RFC 6749 §4.1.2, §4.1.3, §10.5; RFC 9700 §4.2.4).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../src/crypto/tokens.js';
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

  it("replaying the code of a later consent merged into the grant revokes that code's tokens only, not the earlier consent's (RFC 6749 §4.1.2, RFC 9700 §4.5)", async () => {
    const s = server();
    const first = await exchange(s, await codeFor(s));
    assert.equal(first.status, 200, first.text);
    const code2 = await codeFor(s);
    const second = await exchange(s, code2);
    assert.equal(second.status, 200, second.text);
    // The standard profile adds a later consent to the live grant (grants.reconsent: add): one grant.
    const [a, b] = await Promise.all(
      [first.json.access_token, second.json.access_token].map((t: string) => s.core.storage.tokens.find(sha256(t))),
    );
    assert.equal(a?.grantId, b?.grantId, 'both consents are one grant');
    // A refresh from the second code: its successor came from that code too.
    const refreshed = await token(s, { grant_type: 'refresh_token', refresh_token: second.json.refresh_token });
    assert.equal(refreshed.status, 200, refreshed.text);

    const replay = await exchange(s, code2);
    assert.equal(replay.status, 400);
    assert.deepEqual(replay.json, BAD_CODE);
    // Everything issued from code #2 is dead…
    assert.equal(await accessWorks(s, second.json.access_token), false);
    assert.equal(await accessWorks(s, refreshed.json.access_token), false);
    const again = await token(s, { grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token });
    assert.equal(again.status, 400);
    assert.equal(again.json.error, 'invalid_grant');
    // …and the first consent's tokens still work, refresh included.
    assert.equal(await accessWorks(s, first.json.access_token), true);
    const stillFirst = await token(s, { grant_type: 'refresh_token', refresh_token: first.json.refresh_token });
    assert.equal(stillFirst.status, 200, stillFirst.text);
    assert.equal(await accessWorks(s, stillFirst.json.access_token), true);
    const grant = await s.core.storage.grants.findLive(s.client.appKey, s.seller.sellerId);
    assert.equal(grant?.grantId, a?.grantId, 'the grant stays live');
    const last = (await s.core.storage.audit!.list()).filter((e) => e.subject === grant?.grantId).at(-1);
    assert.equal(last?.event, 'grant.tokens_revoked');
    assert.deepEqual({ ...last?.detail, code: undefined }, { reason: 'code_replay', tokens: 4, code: undefined });
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
