import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSecret, openSecretOf, sealSecret } from './secret-seal.js';

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

  it('opened from a record: the same answers, and a new sealed text or key on the same record is opened again', () => {
    const record = { sealedSecret: sealSecret(key, '12345678', 'first') };
    assert.equal(openSecretOf(record, key, '12345678', record.sealedSecret), 'first');
    assert.equal(openSecretOf(record, key, '12345678', record.sealedSecret), 'first');
    // Bound to the AppKey and server key on every call, as openSecret is.
    assert.equal(openSecretOf(record, key, '87654321', record.sealedSecret), undefined);
    assert.equal(openSecretOf(record, randomBytes(32), '12345678', record.sealedSecret), undefined);
    assert.equal(openSecretOf(record, key, '12345678', 'garbage'), undefined);
    // A rotated secret (new sealed text), whether on the same object or a fresh record.
    record.sealedSecret = sealSecret(key, '12345678', 'second');
    assert.equal(openSecretOf(record, key, '12345678', record.sealedSecret), 'second');
    const fresh = { sealedSecret: sealSecret(key, '12345678', 'third') };
    assert.equal(openSecretOf(fresh, key, '12345678', fresh.sealedSecret), 'third');
  });
});
