import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { money, paging, range, yuan } from './args.js';
import { GatewayError } from '../errors.js';

const args = (o: Record<string, string>) => new Map(Object.entries(o));

describe('gateway arguments', () => {
  it('parses money to cents and back', () => {
    assert.equal(money(args({ price: '12.5' }), 'price'), 1250);
    assert.equal(money(args({ price: '0.05' }), 'price'), 5);
    assert.equal(yuan(1250), '12.50');
    assert.equal(yuan(5), '0.05');
    assert.throws(
      () => money(args({ price: '-1' }), 'price'),
      (e: GatewayError) => e.code === 41 && e.subCode === 'isv.invalid-parameter:price',
    );
    assert.throws(
      () => money(args({}), 'price', true),
      (e: GatewayError) => e.code === 40,
    );
  });
  it('pages and checks ranges', () => {
    assert.deepEqual(paging(args({ page_no: '3', page_size: '10' })), { pageNo: 3, pageSize: 10, offset: 20 });
    assert.throws(
      () => paging(args({ page_size: '101' })),
      (e: GatewayError) => e.code === 41,
    );
    assert.throws(
      () => range(args({ a: '2024-01-02 00:00:00', b: '2024-01-01 00:00:00' }), 'a', 'b'),
      (e: GatewayError) => e.code === 41,
    );
  });
});
