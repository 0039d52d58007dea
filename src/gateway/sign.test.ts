import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { formatGmt8, gmt8Day, msUntilNextGmt8Midnight, parseGmt8, signParams, stringToSign } from './sign.js';
import { candidateStrings } from './sign-diagnosis.js';

const TOP_VECTOR = {
  method: 'taobao.item.seller.get',
  app_key: '12345678',
  session: 'test',
  timestamp: '2016-01-01 12:00:00',
  format: 'json',
  v: '2.0',
  sign_method: 'md5',
  fields: 'num_iid,title,nick,price,num',
  num_iid: '11223344',
};

describe('TOP signing', () => {
  it('matches the public TOP SDK test vector (md5)', () => {
    assert.equal(signParams(TOP_VECTOR, 'helloworld', 'md5'), '66987CB115214E59E6EC978214934FB8');
  });

  it('leaves out sign and empty values, sorts by name', () => {
    const withNoise = new Map<string, string[]>([
      ...Object.entries(TOP_VECTOR).map(([k, v]) => [k, [v]] as [string, string[]]),
      ['sign', ['X']],
      ['empty', ['']],
    ]);
    assert.equal(signParams(withNoise, 'helloworld', 'md5'), '66987CB115214E59E6EC978214934FB8');
    assert.equal(stringToSign({ b: '2', a: '1', sign: 'S', c: '' }), 'a1b2');
  });

  it('signs hmac (HMAC-MD5) and hmac-sha256 with the secret as key', () => {
    const text = stringToSign(TOP_VECTOR);
    assert.equal(
      signParams(TOP_VECTOR, 'helloworld', 'hmac'),
      createHmac('md5', 'helloworld').update(text).digest('hex').toUpperCase(),
    );
    assert.equal(
      signParams(TOP_VECTOR, 'helloworld', 'hmac-sha256'),
      createHmac('sha256', 'helloworld').update(text).digest('hex').toUpperCase(),
    );
    assert.notEqual(signParams(TOP_VECTOR, 'helloworld', 'hmac'), signParams(TOP_VECTOR, 'helloworld', 'md5'));
  });

  it('hashes Chinese values as UTF-8', () => {
    const p = { title: '夏季新款连衣裙', app_key: '1' };
    // Independently computed (Python hashlib over the UTF-8 bytes).
    assert.equal(signParams(p, 'helloworld', 'md5'), '189034E27779DD53CED8228926B74B28');
    // Hashing the string as Latin-1 (the classic mismatch) gives something else.
    assert.notEqual(
      createHash('md5')
        .update(Buffer.from('helloworldapp_key1title夏季新款连衣裙helloworld', 'latin1'))
        .digest('hex')
        .toUpperCase(),
      '189034E27779DD53CED8228926B74B28',
    );
  });

  it('parses and formats GMT+8 timestamps', () => {
    assert.equal(parseGmt8('2016-01-01 12:00:00'), Date.UTC(2016, 0, 1, 4, 0, 0));
    assert.equal(formatGmt8(Date.UTC(2016, 0, 1, 4, 0, 0)), '2016-01-01 12:00:00');
    assert.equal(parseGmt8('2016-02-31 12:00:00'), undefined);
    assert.equal(parseGmt8('2016-01-01T12:00:00'), undefined);
    assert.equal(msUntilNextGmt8Midnight(Date.UTC(2016, 0, 1, 15, 0, 0)), 3600 * 1000);
  });

  it('gives the GMT+8 day of any time, across midnights and back', () => {
    const midnight = Date.UTC(2016, 0, 1, 16, 0, 0); // 2016-01-02 00:00:00 GMT+8
    const times = [midnight - 1, midnight, midnight + 1, midnight - 1, midnight + 86_400_000, midnight - 86_400_001, 0];
    for (const t of times) assert.equal(gmt8Day(t), formatGmt8(t).slice(0, 10), `at ${t}`);
  });

  it('candidate strings are stringToSign without and (when any is empty) with the empty parameters', () => {
    const cases: Array<Record<string, string>> = [
      { method: 'm', app_key: 'k', sign: 'S', v: '2.0' },
      { b: '2', a: '', sign: 'S', c: '', ä: 'x', Z: 'y', 'a b': '+' },
      { sign: '' },
      {},
    ];
    for (const c of cases) {
      const params = new Map(Object.entries(c));
      const hasEmpty = Object.entries(c).some(([k, v]) => k !== 'sign' && v === '');
      const expected = hasEmpty
        ? [stringToSign(params), stringToSign(params, { keepEmpty: true })]
        : [stringToSign(params)];
      assert.deepEqual(candidateStrings(params), expected);
    }
  });
});
