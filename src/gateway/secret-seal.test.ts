import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSecret, sealSecret } from './secret-seal.js';

describe('sealed app secrets', () => {
  const key = randomBytes(32);
  it('round-trips and is bound to the AppKey and server key', () => {
    const sealed = sealSecret(key, '12345678', 'helloworld');
    assert.ok(!sealed.includes('helloworld'));
    assert.equal(openSecret(key, '12345678', sealed), 'helloworld');
    assert.equal(openSecret(key, '87654321', sealed), undefined);
    assert.equal(openSecret(randomBytes(32), '12345678', sealed), undefined);
    assert.equal(openSecret(key, '12345678', 'garbage'), undefined);
  });
});
