import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { standardProfile } from '../profiles/standard.profile.js';
import { covers, methodPrefix, scopePermissions } from './permissions.js';

describe('gateway permissions', () => {
  it('matches packages, levels and exact permissions', () => {
    assert.ok(covers(['*'], 'orders.write'));
    assert.ok(covers(['orders'], 'orders.write'));
    assert.ok(covers(['read'], 'products.read'));
    assert.ok(!covers(['read'], 'products.write'));
    assert.ok(covers(['orders.read'], 'orders.read'));
    assert.ok(!covers(['orders.read'], 'orders.write'));
    assert.ok(!covers([], 'store.read'));
  });
  it('maps scopes through the profile', () => {
    assert.deepEqual(scopePermissions(standardProfile, ['seller']), ['*']);
    assert.deepEqual(scopePermissions(standardProfile, ['other']), []);
    const p = {
      ...standardProfile,
      gateway: { methodPrefix: 'psdm', scopePermissions: { item: ['products'], trade_read: ['orders.read'] } },
    };
    assert.deepEqual(scopePermissions(p, ['item', 'trade_read']), ['products', 'orders.read']);
    assert.equal(methodPrefix(p), 'psdm');
    assert.equal(methodPrefix(standardProfile), 'shouquan');
  });
});
