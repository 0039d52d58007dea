import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { parseDirectorySeller, signDirectoryRequest } from './seller-directory.js';
import { parseSellerDirectory } from '../config.js';

describe('seller directory', () => {
  it('signs sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>', () => {
    const body = '{"username":"alice","password":"pw"}';
    const expected = createHmac('sha256', 's3cret').update(`1700000000.${body}`).digest('hex');
    assert.equal(signDirectoryRequest('s3cret', '1700000000', body), `sha256=${expected}`);
    assert.notEqual(signDirectoryRequest('s3cret', '1700000001', body), `sha256=${expected}`);
  });

  it('takes the documented 200 body and refuses anything else with the reason', () => {
    assert.deepEqual(
      parseDirectorySeller('{"seller_id":"P1","nick":" Ann ","stores":[{"store_id":"S1","name":"Shop"}]}'),
      {
        source: 'directory',
        externalId: 'P1',
        nick: 'Ann',
        stores: [{ externalId: 'S1', name: 'Shop' }],
      },
    );
    assert.match(String(parseDirectorySeller('nope')), /not JSON/);
    assert.match(String(parseDirectorySeller('[]')), /not a JSON object/);
    assert.match(String(parseDirectorySeller('{"seller_id":7,"nick":"a","stores":[]}')), /seller_id/);
    assert.match(String(parseDirectorySeller('{"seller_id":"7","nick":"","stores":[]}')), /nick/);
    assert.match(String(parseDirectorySeller('{"seller_id":"7","nick":"a"}')), /stores must be an array/);
    assert.match(
      String(parseDirectorySeller('{"seller_id":"7","nick":"a","stores":[{"store_id":1,"name":"x"}]}')),
      /each store/,
    );
    assert.match(
      String(
        parseDirectorySeller(
          '{"seller_id":"7","nick":"a","stores":[{"store_id":"1","name":"x"},{"store_id":"1","name":"y"}]}',
        ),
      ),
      /listed twice/,
    );
  });

  it('the secret comes only from SHOUQUAN_SELLER_DIRECTORY_SECRET; the timeout defaults to 3000 ms', () => {
    assert.throws(
      () => parseSellerDirectory('https://accounts.example.com/auth', undefined, {}),
      /SHOUQUAN_SELLER_DIRECTORY_SECRET/,
    );
    assert.deepEqual(
      parseSellerDirectory('https://accounts.example.com/auth', undefined, { SHOUQUAN_SELLER_DIRECTORY_SECRET: 'k' }),
      { url: 'https://accounts.example.com/auth', secret: 'k', timeoutMs: 3000 },
    );
    assert.equal(
      parseSellerDirectory('https://a.example/x', '250', { SHOUQUAN_SELLER_DIRECTORY_SECRET: 'k' })?.timeoutMs,
      250,
    );
    assert.throws(
      () => parseSellerDirectory('https://a.example/x', '0', { SHOUQUAN_SELLER_DIRECTORY_SECRET: 'k' }),
      /timeout-ms/,
    );
    assert.throws(
      () => parseSellerDirectory('ftp://a.example/x', undefined, { SHOUQUAN_SELLER_DIRECTORY_SECRET: 'k' }),
      /http or https/,
    );
    assert.throws(() => parseSellerDirectory(undefined, '100', {}), /needs --seller-directory/);
    assert.equal(parseSellerDirectory(undefined, undefined, {}), undefined);
  });
});
