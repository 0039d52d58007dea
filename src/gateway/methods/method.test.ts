import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../errors.js';
import { parseArgs } from './args.js';
import { gatewayMethods } from './index.js';
import { productsCreateMethod } from './products.method.js';
import { ordersListMethod } from './orders.method.js';

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof GatewayError) return `${e.code} ${e.subCode} ${e.subMsg}`;
    throw e;
  }
  return 'accepted';
};

describe('declared gateway methods', () => {
  it('refuse a call without a required argument, naming it (code 40)', () => {
    for (const m of gatewayMethods) {
      const first = Object.entries(m.args).find(([, a]) => a.required)?.[0];
      if (first === undefined) continue;
      assert.match(
        refusal(() => parseArgs(m.args, new Map())),
        new RegExp(`^40 isv.missing-parameter:${first} `),
        m.name,
      );
    }
  });
  it('parse in declaration order, with the same refusals as before', () => {
    const a = (o: Record<string, string>) => new Map(Object.entries(o));
    assert.equal(
      refusal(() => parseArgs(productsCreateMethod.args, a({ title: 'x', outer_id: 'y'.repeat(65), price: 'bad' }))),
      '41 isv.invalid-parameter:outer_id parameter outer_id must be at most 64 characters',
    );
    assert.deepEqual(parseArgs(productsCreateMethod.args, a({ title: 'T', price: '12.5', stock: '3' })), {
      title: 'T',
      outer_id: undefined,
      price: 1250,
      stock: 3,
      status: undefined,
    });
    assert.equal(
      refusal(() =>
        parseArgs(
          ordersListMethod.args,
          a({ start_created: '2024-01-02 00:00:00', end_created: '2024-01-01 00:00:00' }),
        ),
      ),
      '41 isv.invalid-parameter:start_created parameter start_created may not be after end_created',
    );
    assert.equal(parseArgs(ordersListMethod.args, a({})).page_size, 20);
  });
});
