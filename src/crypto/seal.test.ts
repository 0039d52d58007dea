import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { seal, unseal } from './seal.js';

const key = randomBytes(32);

it('opens only with the same key, purpose and context', () => {
  const sealed = seal(key, 'p1', 'ctx', 'secret value');
  assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.doesNotMatch(sealed, /secret value/);
  assert.equal(unseal(key, 'p1', 'ctx', sealed), 'secret value');
  assert.equal(unseal(key, 'p2', 'ctx', sealed), undefined, 'another purpose');
  assert.equal(unseal(key, 'p1', 'other', sealed), undefined, 'another context');
  assert.equal(unseal(randomBytes(32), 'p1', 'ctx', sealed), undefined, 'another server key');
  const parts = sealed.split('.');
  const flipped = Buffer.from(parts[2]!, 'base64url');
  flipped[0]! ^= 1;
  assert.equal(
    unseal(key, 'p1', 'ctx', [parts[0], parts[1], flipped.toString('base64url'), parts[3]].join('.')),
    undefined,
    'altered',
  );
  assert.equal(unseal(key, 'p1', 'ctx', 'v2.a.b.c'), undefined);
});

it('uses a fresh nonce each time', () => {
  assert.notEqual(seal(key, 'p', 'c', 'x'), seal(key, 'p', 'c', 'x'));
});
