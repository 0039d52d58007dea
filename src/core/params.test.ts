import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { duplicatedParams, param, parseFormEncoded } from './params.js';
import { InvalidRequestError } from './errors.js';

describe('parseFormEncoded', () => {
  it('decodes + and percent-encoding, keeps every value of a name', () => {
    const bag = parseFormEncoded('a=1+2&b=%E5%BA%97%E9%93%BA&a=3&flag');
    assert.deepEqual(
      [...bag],
      [
        ['a', ['1 2', '3']],
        ['b', ['店铺']],
        ['flag', ['']],
      ],
    );
    assert.deepEqual(duplicatedParams(bag), ['a']);
  });
  it('refuses malformed percent-encoding and NUL bytes', () => {
    assert.throws(() => parseFormEncoded('a=%ZZ'), InvalidRequestError);
    assert.throws(() => parseFormEncoded('a=%E5%BA'), InvalidRequestError);
    assert.throws(() => parseFormEncoded('a=%00'), InvalidRequestError);
  });
});

describe('param', () => {
  it('treats empty values as absent and accepts aliases that agree', () => {
    const bag = parseFormEncoded('client_id=&app_key=k&x=1');
    assert.equal(param(bag, ['client_id', 'app_key']), 'k');
    assert.equal(param(bag, 'missing'), undefined);
  });
  it('refuses aliases that disagree and repeated names', () => {
    assert.throws(() => param(parseFormEncoded('client_id=a&app_key=b'), ['client_id', 'app_key']), /disagree/);
    assert.throws(() => param(parseFormEncoded('x=1&x=1'), 'x'), /repeated/);
  });
});
