import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { standardProfile } from '../profiles/standard.profile.js';
import {
  appMayRequest,
  chosenScope,
  compressScope,
  expandScope,
  narrowScope,
  offeredPackages,
} from './scope-choice.js';

const p = standardProfile;
const SIX = ['store.read', 'store.write', 'products.read', 'products.write', 'orders.read', 'orders.write'];

describe('scope choice (docs/adr/0136)', () => {
  it('opens bundles up and writes a whole requested bundle back as its name', () => {
    assert.deepEqual(expandScope(p, ['seller']), SIX);
    assert.deepEqual(compressScope(p, SIX, ['seller']), ['seller']);
    assert.deepEqual(compressScope(p, SIX, ['orders.read']), SIX, 'a bundle the request did not name is not invented');
  });

  it('offers store.read first, fixed, then the requested packages ticked', () => {
    assert.deepEqual(offeredPackages(p, ['orders.read']), [
      { scope: 'store.read', fixed: true, checked: true },
      { scope: 'orders.read', fixed: false, checked: true },
    ]);
    assert.deepEqual(offeredPackages({ scopeChoice: { alwaysGranted: [], optIn: ['x'] } }, ['x']), [
      { scope: 'x', fixed: false, checked: false },
    ]);
  });

  it('grants what was ticked plus store.read; defaults when nothing was sent; refuses what was not offered', () => {
    assert.deepEqual(chosenScope(p, ['seller'], undefined), ['seller']);
    assert.deepEqual(chosenScope(p, ['seller'], ['orders.read']), ['store.read', 'orders.read']);
    assert.deepEqual(chosenScope(p, ['orders.read'], []), ['store.read']);
    assert.equal(chosenScope(p, ['orders.read'], ['orders.write']), undefined);
    assert.deepEqual(
      chosenScope({}, ['seller'], ['anything']),
      ['seller'],
      'profiles without scopeChoice grant the request as a whole',
    );
  });

  it('lets an app with a bundle ask for its packages, and nothing else', () => {
    assert.equal(appMayRequest(p, ['seller'], 'orders.write'), true);
    assert.equal(appMayRequest(p, ['orders.read'], 'orders.write'), false);
    assert.equal(appMayRequest(p, ['orders.read'], 'orders.read'), true);
  });

  it('narrows, never widens, and keeps store.read', () => {
    assert.deepEqual(narrowScope(p, ['seller'], ['orders.read']), ['store.read', 'orders.read']);
    assert.deepEqual(narrowScope(p, ['seller'], SIX), ['seller']);
    assert.deepEqual(narrowScope(p, ['store.read', 'orders.read'], ['orders.read', 'orders.write']), [
      'store.read',
      'orders.read',
    ]);
  });
});
