import { it } from 'node:test';
import assert from 'node:assert/strict';
import { sellerFromClaims } from './seller-oidc.js';

it("the seller from IdP claims: sub, a display name, and the stores claim in the directory's shape", () => {
  assert.deepEqual(sellerFromClaims({ sub: 'P-1', nickname: ' 小王 ', stores: [{ store_id: 'S-1', name: 'Shop' }] }), {
    source: 'oidc',
    externalId: 'P-1',
    nick: '小王',
    stores: [{ externalId: 'S-1', name: 'Shop' }],
  });
  assert.equal(sellerFromClaims({ sub: 'P-2', name: 'Full Name' }).valueOf().constructor, Object);
  assert.deepEqual(sellerFromClaims({ sub: 'P-2', preferred_username: 'wang' }), {
    source: 'oidc',
    externalId: 'P-2',
    nick: 'wang',
    stores: [],
  });
  assert.deepEqual(sellerFromClaims({ sub: 'P-3' }), { source: 'oidc', externalId: 'P-3', nick: 'P-3', stores: [] });
  assert.match(String(sellerFromClaims({ sub: 'P-4', stores: 'S-1' })), /stores must be an array/);
  assert.match(
    String(
      sellerFromClaims({
        sub: 'P-5',
        stores: [
          { store_id: 'S-1', name: 'a' },
          { store_id: 'S-1', name: 'b' },
        ],
      }),
    ),
    /listed twice/,
  );
  assert.match(String(sellerFromClaims({ nickname: 'x' })), /^sub must be/);
});
