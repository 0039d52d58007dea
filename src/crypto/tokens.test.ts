import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { keyedHash, randomId, randomToken, safeEqual, sha256, sha256Base64url } from './tokens.js';

describe('random credentials', () => {
  it('have the documented shapes', () => {
    assert.match(randomToken(), /^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url without padding
    assert.match(randomToken('hex32'), /^[0-9a-f]{32}$/);
    assert.match(randomId(), /^[A-Za-z0-9_-]{22}$/);
    assert.match(randomId(9), /^[A-Za-z0-9_-]{12}$/);
  });

  it('never repeat, across many refills of the entropy buffer', () => {
    const seen = new Set<string>();
    // 4 KiB per refill: 10 000 tokens of 32 bytes and 10 000 ids of 13 or 16 cross it ≈ 115 times, at odd offsets too.
    for (let i = 0; i < 10_000; i++) {
      seen.add(randomToken());
      seen.add(randomId(i % 7 === 0 ? 13 : 16));
    }
    assert.equal(seen.size, 20_000);
  });

  it('are uniformly distributed (a bias would show in the hex digits)', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 4000; i++) for (const c of randomToken('hex32')) counts[parseInt(c, 16)]!++;
    // 128 000 digits: each count is 8 000 ± 87 (one sigma); 6 sigma either side never fails by chance.
    for (const n of counts) assert.ok(n > 7_480 && n < 8_520, `digit count ${n} is off`);
  });

  it('serve requests of exactly the buffer and larger (straight from the CSPRNG)', () => {
    assert.equal(Buffer.from(randomId(4096), 'base64url').length, 4096);
    assert.equal(Buffer.from(randomId(5000), 'base64url').length, 5000);
    assert.match(randomToken('hex32'), /^[0-9a-f]{32}$/);
  });

  it('refuse sizes that are not a whole number of bytes, leaving the buffer as it was', () => {
    for (const n of [0, -16, 1.5, Number.NaN]) assert.throws(() => randomId(n), RangeError);
    // A negative size once moved the read position back over bytes already handed out (zeroed).
    const after = new Set(Array.from({ length: 300 }, () => randomToken('hex32')));
    assert.equal(after.size, 300);
    for (const t of after) assert.notEqual(t, '0'.repeat(32));
  });
});

describe('hashes at rest', () => {
  it('sha256 is SHA-256 hex of the UTF-8 string (FIPS 180-4 test vector, and non-ASCII)', () => {
    assert.equal(sha256('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256('授权'), createHash('sha256').update('授权', 'utf8').digest('hex'));
  });

  it('sha256Base64url is the PKCE S256 transform (RFC 7636 Appendix B)', () => {
    assert.equal(
      sha256Base64url('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('keyedHash is HMAC-SHA256 hex (RFC 4231 test case 2)', () => {
    assert.equal(
      keyedHash(Buffer.from('Jefe'), 'what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    const key = Buffer.alloc(32, 7);
    assert.equal(keyedHash(key, 'secret'), createHmac('sha256', key).update('secret').digest('hex'));
  });

  it('safeEqual compares exactly', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
  });
});
