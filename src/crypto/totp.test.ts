import { it } from 'node:test';
import assert from 'node:assert/strict';
import {
  base32Decode,
  base32Encode,
  hotp,
  matchTotp,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUri,
  totp,
  totpStep,
} from './totp.js';

// RFC 6238 Appendix B, the SHA1 rows: secret "12345678901234567890", 8 digits.
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

it('RFC 6238 Appendix B test vectors (SHA1)', () => {
  for (const [seconds, code] of RFC_VECTORS) assert.equal(totp(RFC_SECRET, seconds * 1000, 8), code, `T=${seconds}`);
});

it('RFC 4226 Appendix D HOTP values (6 digits)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  expected.forEach((code, counter) => assert.equal(hotp(RFC_SECRET, counter), code));
});

it('base32 round trip, and RFC 4648 §10 vectors', () => {
  assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
  assert.equal(base32Encode(Buffer.from('f')), 'MY');
  assert.equal(base32Decode('mzxw 6ytb oi==')?.toString(), 'foobar');
  assert.equal(base32Decode('MZX1'), undefined);
  const secret = newTotpSecret();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.equal(base32Encode(base32Decode(secret)!), secret);
});

it('a code matches one step either side, never a step already used, never a malformed code', () => {
  const now = 1111111111 * 1000;
  const step = totpStep(now);
  const code = (s: number) => hotp(RFC_SECRET, s);
  assert.equal(matchTotp(RFC_SECRET, code(step), now, null), step);
  assert.equal(matchTotp(RFC_SECRET, code(step - 1), now, null), step - 1);
  assert.equal(matchTotp(RFC_SECRET, code(step + 1), now, null), step + 1);
  assert.equal(matchTotp(RFC_SECRET, code(step - 2), now, null), undefined);
  assert.equal(matchTotp(RFC_SECRET, code(step + 2), now, null), undefined);
  assert.equal(matchTotp(RFC_SECRET, code(step), now, step), undefined, 'the same step twice');
  assert.equal(matchTotp(RFC_SECRET, code(step - 1), now, step - 1), undefined);
  assert.equal(matchTotp(RFC_SECRET, code(step + 1), now, step), step + 1);
  assert.equal(
    matchTotp(RFC_SECRET, ` ${code(step).slice(0, 3)} ${code(step).slice(3)} `, now, null),
    step,
    'spaces are ignored',
  );
  assert.equal(matchTotp(RFC_SECRET, '12345', now, null), undefined);
  assert.equal(matchTotp(RFC_SECRET, 'abcdef', now, null), undefined);
});

it('the otpauth:// URI and recovery codes', () => {
  assert.equal(
    otpauthUri('JBSWY3DPEHPK3PXP', 'Shouquan (auth.example.com)', 'ops@x'),
    'otpauth://totp/Shouquan%20(auth.example.com):ops%40x?secret=JBSWY3DPEHPK3PXP&issuer=Shouquan%20%28auth.example.com%29&algorithm=SHA1&digits=6&period=30',
  );
  const codes = newRecoveryCodes();
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const c of codes) assert.match(c, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
});
