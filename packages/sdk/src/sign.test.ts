import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { formatTimestamp, paramText, signParams, stringToSign } from './sign.js';

// The vector from a public TOP SDK's tests (issue 4).
const TOP_PARAMS = {
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

// Written out by hand, independently of stringToSign(): names in byte order, name+value.
const TOP_STRING =
  'app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0';

describe('router signing (TOP convention)', () => {
  it('builds the string to sign in byte order of the names', () => {
    assert.equal(stringToSign(TOP_PARAMS), TOP_STRING);
  });

  it('matches the public TOP md5 vector', () => {
    assert.equal(signParams(TOP_PARAMS, 'helloworld', 'md5'), '66987CB115214E59E6EC978214934FB8');
  });

  it('hmac is uppercase HMAC-MD5 of the string, keyed with the secret', () => {
    const params = { ...TOP_PARAMS, sign_method: 'hmac' };
    const text = TOP_STRING.replace('sign_methodmd5', 'sign_methodhmac');
    const expected = createHmac('md5', 'helloworld').update(text).digest('hex').toUpperCase();
    assert.equal(signParams(params, 'helloworld', 'hmac'), expected);
    assert.match(expected, /^[0-9A-F]{32}$/);
  });

  it('hmac-sha256 is uppercase HMAC-SHA256 of the string, keyed with the secret', () => {
    const params = { ...TOP_PARAMS, sign_method: 'hmac-sha256' };
    const text = TOP_STRING.replace('sign_methodmd5', 'sign_methodhmac-sha256');
    const expected = createHmac('sha256', 'helloworld').update(text).digest('hex').toUpperCase();
    assert.equal(signParams(params, 'helloworld', 'hmac-sha256'), expected);
    assert.match(expected, /^[0-9A-F]{64}$/);
  });

  it('leaves out sign and empty values, and signs Chinese values as UTF-8', () => {
    const params = {
      method: 'shouquan.products.create',
      title: '羊毛围巾 红色',
      sign: 'ignored',
      empty: '',
      app_key: '10000001',
    };
    assert.equal(stringToSign(params), 'app_key10000001methodshouquan.products.createtitle羊毛围巾 红色');
    const expected = createHash('md5')
      .update(Buffer.from('s3cretapp_key10000001methodshouquan.products.createtitle羊毛围巾 红色s3cret', 'utf8'))
      .digest('hex')
      .toUpperCase();
    assert.equal(signParams(params, 's3cret', 'md5'), expected);
  });

  it('sorts names by UTF-8 bytes (uppercase before lowercase, like the server)', () => {
    assert.equal(stringToSign({ b: '2', a: '1', B: '3', _: '4' }), 'B3_4a1b2');
  });

  it('sorts non-ASCII names by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16 (FF21 > D83D).
    assert.equal(stringToSign({ '\u{1F600}': '2', '\uFF21': '1', a: '0' }), 'a0\uFF211\u{1F600}2');
  });

  it('refuses an unknown sign method', () => {
    assert.throws(() => signParams(TOP_PARAMS, 'x', 'sha1' as never), /unknown sign_method sha1/);
  });

  it('writes timestamps in GMT+8 and values as text', () => {
    assert.equal(formatTimestamp(Date.UTC(2016, 0, 1, 4, 0, 0)), '2016-01-01 12:00:00');
    assert.equal(formatTimestamp(Date.UTC(2025, 11, 31, 16, 30, 5)), '2026-01-01 00:30:05');
    assert.equal(paramText(3), '3');
    assert.equal(paramText(true), 'true');
    assert.equal(paramText(['a', 1]), '["a",1]');
    assert.equal(paramText(new Date(Date.UTC(2016, 0, 1, 4))), '2016-01-01 12:00:00');
    assert.equal(paramText(undefined), undefined);
    assert.equal(paramText(null), undefined);
  });
});
